"""Break-glass nobody reviewed within `review_within`: re-posted to the admins, once each."""

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Deps
from bot.domain import ApprovalRule
from bot.effects import Effects
from bot.lifecycle import Lifecycle
from bot.slack.blocks import section
from bot.slack.breakglass_blocks import breakglass_alert, breakglass_card_text
from bot.store import leases
from bot.store.models import AccessRequest
from bot.store.transactions import transaction

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=1)
BATCH = 50


class OverdueReviews:
    """Claims overdue break-glass rows, marks them re-posted and writes the DMs with the mark."""

    def __init__(self, deps: Deps, lifecycle: Lifecycle | None = None) -> None:
        self._d = deps
        self._steps = (lifecycle or Lifecycle(deps)).steps

    async def run(self) -> int:
        """Re-post every overdue unreviewed break-glass; returns how many were re-posted."""
        reposted = 0
        admins: list[str] | None = None
        while True:
            now = self._d.clock()
            async with transaction(self._d.sessions) as session:
                requests = await leases.claim_requests(
                    session,
                    where=[
                        AccessRequest.rule == ApprovalRule.BREAKGLASS,
                        AccessRequest.review.is_(None),
                        AccessRequest.review_reposted_at.is_(None),
                        AccessRequest.review_due_at <= now,
                    ],
                    owner=self._d.owner,
                    now=now,
                    lease=LEASE,
                    limit=BATCH,
                )
                if requests and admins is None:
                    # Only now: user groups are resolved through Slack, which may be down; then
                    # this transaction claims nothing and a later sweep tries again.
                    admins = sorted(await self._d.people.members(self._d.catalog.admins))
                fx = Effects(self._d, session)
                for request in requests:
                    await self._repost(session, fx, request, admins or [], now)
                await fx.flush()
            if not requests:
                return reposted
            reposted += len(requests)
            await self._steps.run_now(fx.steps)

    async def _repost(
        self,
        session: AsyncSession,
        fx: Effects,
        request: AccessRequest,
        admins: list[str],
        now: datetime,
    ) -> None:
        request.review_reposted_at = now
        request.claimed_by = request.claim_until = None
        await self._d.audit(
            session,
            actor="bot",
            action="breakglass.review_overdue",
            database=request.database,
            request_id=request.id,
            due=str(request.review_due_at),
            admins=admins,
        )
        self._d.metrics.breakglass_reviews.labels("overdue").inc()
        for admin in admins:
            if admin != request.requester_id:
                fx.dm(
                    admin,
                    key=f"breakglass-overdue:{request.id}",
                    request_id=request.id,
                    text=f"Not reviewed in time: {breakglass_card_text(request)}",
                    blocks=breakglass_alert(request, overdue=True),
                )
        text = (
            ":alarm_clock: Nobody reviewed this break-glass in time; it was re-posted to "
            "the admins."
        )
        fx.post(
            request.card_channel or request.approvals_channel,
            key=f"breakglass-overdue:{request.id}",
            text=text,
            blocks=[section(text)],
            thread_of=request.id,
        )
        if not admins:
            log.warning(
                "an unreviewed break-glass is overdue and the catalog names no admins",
                extra={"request_id": request.id},
            )
