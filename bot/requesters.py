"""Who may request access to which database (the catalog's `requesters`), in words and in forms."""

from collections.abc import Awaitable, Callable, Iterable

from bot.catalog.database import DatabaseSpec
from bot.catalog.model import Catalog

IsMember = Callable[[str, tuple[str, ...]], Awaitable[bool]]


def mention(slack_id: str) -> str:
    """A Slack mention of a user (U…/W…) or a user group (S…)."""
    return f"<!subteam^{slack_id}>" if slack_id.startswith("S") else f"<@{slack_id}>"


def mentions(ids: Iterable[str]) -> str:
    """Several mentions as a readable list."""
    return ", ".join(mention(i) for i in ids)


def not_a_requester(database: DatabaseSpec) -> str:
    """Why someone outside database's requesters is refused, naming who may ask."""
    who = f"Only {mentions(database.requesters)}" if database.requesters else "Nobody"
    return (
        f"{who} may request access to {database.name}. Ask one of its approvers "
        f"({mentions(database.approvers)}) to add you, or someone who may request to do it "
        "for you."
    )


async def requestable(catalog: Catalog, user_id: str, is_member: IsMember) -> list[DatabaseSpec]:
    """The databases user_id may request, in catalog order."""
    return [
        db
        for db in catalog.databases.values()
        if db.requesters is None or await is_member(user_id, db.requesters)
    ]


def nothing_requestable(catalog: Catalog) -> str:
    """What to tell someone who may request no database at all."""
    names = ", ".join(sorted(catalog.databases))
    return (
        f"You are not among the people who may request access to any database here "
        f"({names}). Ask an admin ({mentions(catalog.admins)}) or a database's approvers "
        "to add you to its requesters."
    )
