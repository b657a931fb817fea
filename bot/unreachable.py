"""When an approval card cannot be posted: free the request, tell the requester and the admins."""

from sqlalchemy.ext.asyncio import AsyncSession

from bot.bundles import parts_of
from bot.context import Deps
from bot.domain import RequestStatus
from bot.effects import Effects
from bot.store import repo


async def approvers_unreachable(
    deps: Deps,
    fx: Effects,
    session: AsyncSession,
    *,
    request_id: str,
    channel: str,
    code: str,
    admins: list[str],
) -> None:
    """The card of request_id cannot be posted in channel (Slack said code)."""
    request = await repo.get_request(session, request_id=request_id)
    if request is None:
        return
    pending = False
    # Every database of the request whose approvers look at that channel shares the card.
    for part in await parts_of(session, request):
        if part.approvals_channel != request.approvals_channel:
            continue
        if part.status == RequestStatus.PENDING and await repo.cas_request(
            session,
            request_id=part.id,
            version=part.version,
            status=RequestStatus.FAILED,
            decided_at=deps.clock(),
            decided_by="bot",
            deny_reason=f"approvals channel unreachable ({code})",
        ):
            pending = True
            await deps.audit(
                session,
                actor="bot",
                action="request.failed",
                database=part.database,
                request_id=part.id,
                channel=channel,
                error=code,
            )
            deps.metrics.decisions.labels("failed").inc()
            fx.dm(
                part.requester_id,
                key=f"unreachable:{part.id}",
                request_id=part.id,
                text=(
                    f":warning: Your request `{part.id}` for {part.level} on "
                    f"{part.database} could not reach its approvers: I cannot post in "
                    f"<#{channel}> (Slack says `{code}`). The admins were told; once "
                    "someone runs `/invite @db-access-bot` in that channel, ask again."
                ),
            )
    fix = (
        "run `/invite @db-access-bot` in that channel"
        if code == "not_in_channel"
        else "fix the channel id in the catalog (`approvals_channel`) or unarchive the channel"
    )
    for admin in admins:
        fx.dm(
            admin,
            key=f"unreachable:{request_id}",
            request_id=request_id,
            text=(
                f":rotating_light: I cannot post approval cards in <#{channel}> (Slack says "
                f"`{code}`), so nobody can approve {request.database}. To fix it, {fix} — "
                f"e.g. `/invite @db-access-bot`. Request `{request_id}` from "
                f"<@{request.requester_id}> was {'closed' if pending else 'not shown there'}."
            ),
        )
