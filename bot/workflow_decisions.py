"""The workflow's decisions: who may approve or deny a request, and what a decision commits to."""

import time
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import on_behalf
from bot.authorization import approver_refusal
from bot.carry_out import carry_out
from bot.catalog.database import DatabaseSpec
from bot.context import Deps
from bot.decisions import record_decision
from bot.domain import DecisionKind, Level
from bot.domain import RequestStatus as RS
from bot.effects import Effects
from bot.errors import AlreadyDecided, NotAuthorized, NotFound
from bot.inflight import InFlight
from bot.lifecycle import Lifecycle
from bot.policy import check_duration, check_narrowing
from bot.slack.blocks import escape as _escape
from bot.slack.blocks import quoted, section
from bot.store import repo
from bot.store.models import AccessRequest, ApprovalDecision
from bot.store.transactions import transaction


class Decisions:
    """Approve and deny, with their rules and audit trail; Workflow is one of these."""

    d: Deps
    lifecycle: Lifecycle
    inflight: InFlight

    async def authorize_decision(
        self, request_id: str, actor_id: str, verb: str
    ) -> tuple[AccessRequest, DatabaseSpec]:
        """The request and its database, if actor may decide it now; refusals are audited."""
        async with transaction(self.d.sessions) as session:
            request = await repo.get_request(session, request_id=request_id)
        if request is None:
            raise NotFound(f"There is no request {quoted(request_id, 16)}.")
        db = self.d.catalog.database(request.database)
        refusal = None
        if request.requester_id == actor_id:
            refusal = f"You cannot {verb} your own request."
        elif request.filed_by == actor_id:
            refusal = (
                f"You filed this request for <@{request.requester_id}>; another "
                f"approver must {verb} it."
            )
        elif request.status != RS.PENDING:
            raise AlreadyDecided(
                f"Request `{request.id}` is already {request.status}; nothing was changed."
            )
        elif db is None:
            refusal = f"Only approvers of {request.database} can {verb} this request."
        else:
            # Asked of Slack now, outside any transaction: group membership may have changed.
            refusal = await approver_refusal(self.d.people, actor_id, db, verb)
        if refusal:
            async with transaction(self.d.sessions) as session:
                await self.d.audit(
                    session,
                    actor=actor_id,
                    action="decision.refused",
                    database=request.database,
                    request_id=request.id,
                    attempted=verb,
                    why=refusal,
                )
            raise NotAuthorized(refusal)
        assert db is not None
        return request, db

    async def approve(
        self,
        request_id: str,
        actor_id: str,
        *,
        level: str | None = None,
        duration: str | None = None,
    ) -> str:
        """Record an approval; when the quorum is reached, grant. Returns a note for the actor."""
        with self.inflight:
            request, db = await self.authorize_decision(request_id, actor_id, "approve")
            narrowed_level = Level(level) if level else None
            narrowed = check_duration(db, duration) if duration else None
            if narrowed_level or narrowed:
                check_narrowing(
                    db,
                    requested_level=Level(request.level),
                    requested=timedelta(seconds=request.duration_s),
                    level=narrowed_level or Level(request.level),
                    duration=narrowed or timedelta(seconds=request.duration_s),
                )
            decision = ApprovalDecision(
                request_id=request_id,
                approver_id=actor_id,
                decision=DecisionKind.APPROVE,
                level=narrowed_level.value if narrowed_level else None,
                duration_s=int(narrowed.total_seconds()) if narrowed else None,
            )
            started = time.perf_counter()
            request, decisions, steps = await record_decision(
                self.d, request_id, decision, self._after_decision(actor_id)
            )
            if request.status != RS.PENDING:
                self.d.metrics.decisions.labels(request.status).inc()
            await self.lifecycle.steps.run_now(steps)
            approvals = [d for d in decisions if d.decision == DecisionKind.APPROVE]
            if request.status == RS.PENDING:
                return (
                    f"Approval recorded: {len(approvals)} of "
                    f"{request.approvals_required} for `{request.id}`."
                )
            self.d.metrics.grant_latency.observe(time.perf_counter() - started)
            return f"Approved `{request.id}`."

    async def deny(self, request_id: str, actor_id: str, *, reason: str) -> str:
        """Deny a pending request with a reason the requester sees."""
        with self.inflight:
            await self.authorize_decision(request_id, actor_id, "deny")
            decision = ApprovalDecision(
                request_id=request_id,
                approver_id=actor_id,
                decision=DecisionKind.DENY,
                reason=reason,
            )
            request, _, steps = await record_decision(
                self.d, request_id, decision, self._after_decision(actor_id)
            )
            self.d.metrics.decisions.labels(request.status).inc()
            await self.lifecycle.steps.run_now(steps)
            return f"Denied `{request.id}`."

    def _after_decision(self, actor_id: str) -> Any:
        """What a recorded decision commits to: the card in step, and the grant or the no."""

        async def consequences(
            session: AsyncSession,
            fx: Effects,
            request: AccessRequest,
            decisions: list[ApprovalDecision],
        ) -> None:
            await fx.card(request, decisions)
            if request.status == RS.APPROVED:
                await carry_out(self.d, session, fx, request, approver=actor_id)
            elif request.status == RS.DENIED:
                reason = request.deny_reason or ""
                denied = (
                    f":no_entry: Your request `{request.id}` for {request.level} on "
                    f"`{request.database}` was denied by <@{actor_id}>."
                )
                fx.dm(
                    request.requester_id,
                    key=f"denied:{request.id}",
                    request_id=request.id,
                    text=f"{denied} {_escape(reason)}",
                    blocks=[section(denied), section("*Reason:* " + _escape(reason))],
                )
            on_behalf.tell_filer(fx, request, actor_id)

        return consequences
