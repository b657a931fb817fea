"""Requests an admin files for someone else: who may, who the requester is, who is told.

The person the access is for is the request's requester in every respect (identity, role,
database user, who may not approve it); the admin who filed it is recorded as `filed_by`, may
not approve it either, and hears of its outcome.
"""

from bot.context import Deps
from bot.domain import RequestStatus
from bot.effects import Effects
from bot.errors import IdentityError, NotAuthorized, SlackError
from bot.slack.blocks import escape
from bot.store.models import AccessRequest
from bot.store.transactions import transaction

ADMINS_ONLY = (
    "Only admins can request access for someone else; ask the person to request it "
    "themselves (`/db-access`)."
)


async def _refuse(deps: Deps, actor_id: str, for_user: str, why: str) -> None:
    async with transaction(deps.sessions) as session:
        await deps.audit(
            session, actor=actor_id, action="request.refused", for_user=for_user, why=why
        )


async def requester(deps: Deps, actor_id: str, for_user: str | None) -> str:
    """The Slack user the access is for: the actor, or (admins only) the person they named."""
    if for_user is None or for_user == actor_id:
        return actor_id
    try:  # asked of Slack now: a permission, not a display
        admin = await deps.people.fresh().is_member(actor_id, deps.catalog.admins)
    except SlackError:
        why = (
            "I could not check with Slack just now whether you are an admin, so nothing was "
            "filed. Try again in a minute."
        )
        await _refuse(deps, actor_id, for_user, why)
        raise NotAuthorized(why) from None
    if not admin:
        await _refuse(deps, actor_id, for_user, ADMINS_ONLY)
        raise NotAuthorized(ADMINS_ONLY)
    try:
        await deps.people.identity(for_user)
    except IdentityError as exc:
        why = f"<@{for_user}> cannot be given database access: {exc.user_message}"
        await _refuse(deps, actor_id, for_user, why)
        raise IdentityError(why) from None
    return for_user


def who(request: AccessRequest) -> str:
    """`<@target> (filed by <@admin>)` for a request filed on someone's behalf, else `<@them>`."""
    if request.filed_by:
        return f"<@{request.requester_id}> (filed by <@{request.filed_by}>)"
    return f"<@{request.requester_id}>"


def tell_filer(fx: Effects, request: AccessRequest, actor_id: str) -> None:
    """The admin who filed a request hears how it was decided (the requester hears it anyway)."""
    if not request.filed_by or request.status not in (RequestStatus.APPROVED, RequestStatus.DENIED):
        return
    what = f"`{request.level}` on `{request.database}` for <@{request.requester_id}>"
    if request.status == RequestStatus.APPROVED:
        text = (
            f":white_check_mark: The request `{request.id}` you filed ({what}) was approved "
            f"by <@{actor_id}>; they get the login link."
        )
    else:
        text = (
            f":no_entry: The request `{request.id}` you filed ({what}) was denied by "
            f"<@{actor_id}>: {escape(request.deny_reason)}"
        )
    fx.dm(request.filed_by, key=f"filer:{request.id}", request_id=request.id, text=text)
