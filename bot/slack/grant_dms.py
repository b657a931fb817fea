"""Pure Block Kit for the DMs about a grant: the link, the command, a failed link, the warning."""

from datetime import datetime

from bot.durations import humanize
from bot.slack.actions import ActionId
from bot.slack.blocks import Block, actions, button, escape, section, when
from bot.store.models import Grant


def connection_details(grant: Grant, host: str, port: int, dbname: str) -> str:
    """The non-secret parts of a login, for DMs."""
    return (
        f"*Host:* `{host}`   *Port:* `{port}`   *Database:* `{dbname}`\n"
        f"*User:* `{grant.db_user}`   *Level:* `{grant.level}`   "
        f"*Access until:* {when(grant.expires_at)}"
    )


def grant_buttons(grant: Grant) -> Block:
    """New token / Extend / Revoke for one grant."""
    return actions(
        button("New token", ActionId.NEW_TOKEN, grant.id, "primary"),
        button("Extend", ActionId.EXTEND, grant.id),
        button("Revoke", ActionId.REVOKE, grant.id, "danger"),
        block_id=f"grant_{grant.id}",
    )


def link_dm(
    grant: Grant,
    *,
    link: str,
    host: str,
    port: int,
    dbname: str,
    token_minutes: int = 15,
    verified: bool | None = None,
    note: str = "",
) -> list[Block]:
    """The DM carrying a one-time link (never the token itself); verified: the bot logged in."""
    ready = (
        f"is ready — verified (grant `{grant.id}`): I logged in with this token a moment ago."
        if verified
        else f"is ready (grant `{grant.id}`)."
    )
    return [
        section(f":key: Your access to `{grant.database}` {ready}"),
        *([section(escape(note, 900))] if note else []),
        section(connection_details(grant, host, port, dbname)),
        section(
            f"*One-time login link:* {link}\nIt opens once, then burns. The token inside "
            f"works for {token_minutes} minutes; press *New token* for another."
        ),
        grant_buttons(grant),
    ]


def command_dm(grant: Grant, *, command: str, host: str, port: int, dbname: str) -> list[Block]:
    """The DM for an IAM user principal: the command that makes a token (not secret)."""
    return [
        section(f":key: Your access to `{grant.database}` is ready (grant `{grant.id}`)."),
        section(connection_details(grant, host, port, dbname)),
        section(
            "Your principal is an IAM user, so make a 15-minute token with your own "
            f"credentials:\n```{command}```"
        ),
        grant_buttons(grant),
    ]


def link_failed_dm(grant: Grant, *, problem: str, host: str, port: int, dbname: str) -> list[Block]:
    """The DM when the grant is active but the link could not be made."""
    return [
        section(
            f":warning: Your access to `{grant.database}` is active (grant `{grant.id}`), "
            f"but I could not create the login link: {escape(problem, 600)}"
        ),
        section(connection_details(grant, host, port, dbname)),
        section("Press *New token* to try again."),
        grant_buttons(grant),
    ]


def expiry_warning_dm(grant: Grant, now: datetime) -> list[Block]:
    """The warning ten minutes before a grant ends."""
    left = humanize((grant.expires_at or now) - now)
    return [
        section(
            f":alarm_clock: Your `{grant.level}` access to `{grant.database}` "
            f"(grant `{grant.id}`) ends in {left}, at {when(grant.expires_at)}."
        ),
        actions(
            button("Extend", ActionId.EXTEND, grant.id, "primary"),
            button("Revoke now", ActionId.REVOKE, grant.id),
            block_id=f"warn_{grant.id}",
        ),
    ]
