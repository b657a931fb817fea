"""The `/db-access` one-line grammar: parse text into a command, or explain what is wrong."""

from dataclasses import dataclass

from bot.blocks import quoted
from bot.errors import InputError

USAGE = """*`/db-access`* — temporary, approved access to databases
• `/db-access` — open the request form
• `/db-access request <db> <ro|rw> <duration> <reason…>` — ask in one line,
  e.g. `/db-access request orders-prod ro 1h investigating INC-42`
• `/db-access breakglass <db> <level> <duration> <reason…>` — in an emergency, take access
  at once without approval, if you are on the database's break-glass list (the admins are
  alerted and an approver reviews it afterwards)
• `/db-access list` — your pending requests and active grants
• `/db-access token <grant>` — a fresh one-time login link for an active grant
• `/db-access extend <grant> <duration>` — ask for more time (same approval rules)
• `/db-access revoke <grant>` — end a grant now
• `/db-access audit [db] [since]` — recent history (approvers and admins),
  e.g. `/db-access audit orders-prod 7d`
• `/db-access help` — this text"""


@dataclass(frozen=True)
class OpenForm:
    """No arguments: open the request modal."""


@dataclass(frozen=True)
class Help:
    """Show the grammar."""


@dataclass(frozen=True)
class Request:
    """A one-line request."""

    database: str
    level: str
    duration: str
    reason: str


@dataclass(frozen=True)
class BreakGlass:
    """Take access at once, without approval (for the people a database's break-glass lists)."""

    database: str
    level: str
    duration: str
    reason: str


@dataclass(frozen=True)
class ListMine:
    """List my pending requests and active grants."""


@dataclass(frozen=True)
class Token:
    """A new one-time link for a grant."""

    grant_id: str


@dataclass(frozen=True)
class Extend:
    """Ask for more time on a grant."""

    grant_id: str
    duration: str


@dataclass(frozen=True)
class Revoke:
    """End a grant now."""

    grant_id: str


@dataclass(frozen=True)
class Audit:
    """Show recent audit events."""

    database: str | None
    since: str | None


Command = OpenForm | Help | Request | BreakGlass | ListMine | Token | Extend | Revoke | Audit
_ONE_ARG = {"token": Token, "revoke": Revoke}


def _usage(form: str) -> InputError:
    return InputError(f"Usage: `/db-access {form}` (see `/db-access help`).")


def parse(text: str) -> Command:
    """Parse the text after `/db-access`; raise InputError naming the problem and the usage."""
    words = text.split()
    if not words:
        return OpenForm()
    verb, args = words[0].lower(), words[1:]
    if verb in {"help", "-h", "--help", "?"}:
        return Help()
    if verb in {"request", "breakglass", "break-glass"}:
        form = "request <db> <ro|rw>" if verb == "request" else "breakglass <db> <level>"
        if len(args) < 4:
            missing = ["<db>", "<ro|rw>" if verb == "request" else "<level>", "<duration>",
                       "<reason…>"][len(args)]
            raise InputError(f"{missing} is missing. Usage: "
                             f"`/db-access {form} <duration> <reason…>`")
        kind = Request if verb == "request" else BreakGlass
        return kind(args[0], args[1].lower(), args[2].lower(), text.split(None, 4)[4].strip())
    if verb == "list":
        return ListMine()
    if verb in _ONE_ARG:
        if len(args) != 1:
            raise _usage(f"{verb} <grant>")
        return _ONE_ARG[verb](args[0])
    if verb == "extend":
        if len(args) != 2:
            raise _usage("extend <grant> <duration>")
        return Extend(args[0], args[1].lower())
    if verb == "audit":
        if len(args) > 2:
            raise _usage("audit [db] [since]")
        database = since = None
        for arg in args:
            if arg[:-1].isdigit() and arg[-1:].lower() in "smhdw":
                since = arg.lower()
            else:
                database = arg
        return Audit(database, since)
    raise InputError(f"Unknown command {quoted(words[0], 40)}.\n{USAGE}")
