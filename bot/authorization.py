"""Who may decide, asked of Slack at the moment of the decision; when Slack cannot say, no."""

from collections.abc import Sequence

from bot.catalog.database import DatabaseSpec
from bot.errors import SlackError
from bot.identity import People

UNKNOWN = (
    "I could not check your user-group membership with Slack just now, so I did not "
    "{verb}; nothing was changed. Try again in a minute."
)


async def approver_refusal(
    people: People, actor_id: str, database: DatabaseSpec, verb: str
) -> str | None:
    """None when actor_id approves database right now; else why they may not verb."""
    try:
        if await people.fresh().is_member(actor_id, database.approvers):
            return None
    except SlackError:
        return UNKNOWN.format(verb=f"{verb} this request")
    return f"Only approvers of {database.name} can {verb} this request."


async def revoker_refusal(
    people: People, actor_id: str, database: DatabaseSpec, admins: tuple[str, ...]
) -> str | None:
    """None when actor_id approves database or is an admin right now; else why not."""
    membership = people.fresh()
    try:
        if await membership.is_member(actor_id, database.approvers) or await membership.is_member(
            actor_id, admins
        ):
            return None
    except SlackError:
        return UNKNOWN.format(verb="revoke the grant")
    return f"Only the grant's holder, an approver of {database.name} or an admin can revoke it."


async def audit_readers(
    people: People, actor_id: str, admins: tuple[str, ...], databases: Sequence[DatabaseSpec]
) -> tuple[bool, list[str], str | None]:
    """(is admin, databases actor_id approves, refusal if Slack could not say) right now."""
    membership = people.fresh()
    try:
        if await membership.is_member(actor_id, admins):
            # An admin reads every database: asking Slack about each one's approver groups
            # would only spend usergroups.users.list calls (Tier 2, about 20 a minute).
            return True, [], None
        approves = [
            db.name for db in databases if await membership.is_member(actor_id, db.approvers)
        ]
    except SlackError:
        return False, [], UNKNOWN.format(verb="show the audit trail")
    return False, approves, None
