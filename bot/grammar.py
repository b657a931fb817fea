"""The `/db-access` one-line grammar: parse text into a command, or explain what is wrong."""

import re
from dataclasses import dataclass

from bot.errors import InputError
from bot.slack.blocks import quoted
from bot.slack.text import mentioned_user, plain

USAGE = """*`/db-access`* — temporary, approved access to databases
• `/db-access` — open the request form
• `/db-access request <db> <ro|rw> <duration> <reason…>` — ask in one line,
  e.g. `/db-access request orders-prod ro 1h investigating INC-42`
  · several databases at once: `request orders-prod,billing-prod ro 1h …`
  · starting later: `request orders-prod ro 1h --at 2026-12-02T02:00Z …` (ISO 8601, `Z` or an
    offset such as `+01:00`)
  · admins, for someone else: `request @carol orders-prod ro 1h …`
• `/db-access breakglass <db> <level> <duration> <reason…>` — in an emergency, take access
  at once without approval, if you are on the database's break-glass list (the admins are
  alerted and an approver reviews it afterwards)
• `/db-access list` — your pending requests and active grants
• `/db-access withdraw <request>` — take back a request still waiting for approval
• `/db-access token <grant>` — a fresh one-time login link for an active grant
• `/db-access extend <grant> <duration>` — ask for more time (same approval rules)
• `/db-access revoke <grant>` — end a grant now
• `/db-access audit [db] [since]` — recent history (approvers and admins),
  e.g. `/db-access audit orders-prod 7d`
• `/db-access help` — this text"""
REQUEST_USAGE = (
    "`/db-access request [@person] <db>[,<db>…] <ro|rw> <duration> [--at <time>] <reason…>`"
)
AT = "--at"


@dataclass(frozen=True)
class OpenForm:
    """No arguments: open the request modal."""


@dataclass(frozen=True)
class Help:
    """Show the grammar."""


@dataclass(frozen=True)
class Request:
    """A one-line request."""

    database: str  # one name, or several separated by commas
    level: str
    duration: str
    reason: str
    for_user: str | None = None  # an admin filing for this Slack user id
    at: str | None = None  # the start as typed (ISO 8601), if later than approval


@dataclass(frozen=True)
class Withdraw:
    """Take back a pending request."""

    request_id: str


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


Command = (
    OpenForm | Help | Request | BreakGlass | Withdraw | ListMine | Token | Extend | Revoke | Audit
)
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
    if verb == "request":
        return _request(text)
    if verb in {"breakglass", "break-glass"}:
        if len(args) < 4:
            missing = ["<db>", "<level>", "<duration>", "<reason…>"][len(args)]
            raise InputError(
                f"{missing} is missing. Usage: "
                "`/db-access breakglass <db> <level> <duration> <reason…>`"
            )
        return BreakGlass(
            args[0], args[1].lower(), args[2].lower(), plain(text.split(None, 4)[4].strip())
        )
    if verb == "withdraw":
        if len(args) != 1:
            raise _usage("withdraw <request>")
        return Withdraw(args[0])
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


def _request(text: str) -> Request:
    """`request [@person] <dbs> <level> <duration> [--at <time>] <reason…>`."""
    tokens = list(re.finditer(r"\S+", text))[1:]
    for_user = at = None
    positional: list[str] = []
    i = 0
    while i < len(tokens) and (len(positional) < 3 or _is_at(tokens[i].group())):
        word = tokens[i].group()
        if _is_at(word):
            at, i = _at_value(tokens, i)
            continue
        if not positional and for_user is None and word.startswith(("<@", "@")):
            for_user = _mention(word)
        else:
            positional.append(word)
        i += 1
    if len(positional) < 3 or i >= len(tokens):
        missing = ["<db>", "<ro|rw>", "<duration>", "<reason…>"][
            len(positional) if len(positional) < 3 else 3
        ]
        raise InputError(f"{missing} is missing. Usage: {REQUEST_USAGE}")
    reason = plain(text[tokens[i].start() :].strip())
    return Request(
        positional[0],
        positional[1].lower(),
        positional[2].lower(),
        reason,
        for_user=for_user,
        at=at,
    )


def _is_at(word: str) -> bool:
    return word.lower() == AT or word.lower().startswith(AT + "=")


def _at_value(tokens: list[re.Match[str]], i: int) -> tuple[str, int]:
    """The time after `--at` (or in `--at=…`) and the index after it."""
    word = tokens[i].group()
    if "=" in word:
        return word.split("=", 1)[1], i + 1
    if i + 1 >= len(tokens):
        raise InputError(
            f"`--at` needs a time, e.g. `--at 2026-12-02T02:00Z`. Usage: {REQUEST_USAGE}"
        )
    return tokens[i + 1].group(), i + 2


def _mention(word: str) -> str:
    """The user id of a mention as Slack sends it; plain `@name` text did not become one."""
    user_id = mentioned_user(word)
    if user_id is None:
        raise InputError(
            f"{quoted(plain(word), 40)} is not a mention of a Slack user: type @ "
            "and pick the person from Slack's list, so that Slack sends who they "
            "are."
        )
    return user_id
