"""The access workflow: requests, decisions, grants, tokens, revocations (the one orchestrator)."""

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot import repo
from bot.blocks import approval_card, card_text, quoted, section, when
from bot.blocks import escape as _escape
from bot.catalog import DatabaseSpec
from bot.context import Deps
from bot.decisions import record_decision
from bot.domain import DecisionKind, GrantStatus, Identity, Level, MessageRef, RequestKind
from bot.domain import RequestStatus as RS
from bot.durations import format_duration
from bot.errors import (
    AlreadyDecided,
    DbAccessError,
    IdentityError,
    InputError,
    NotAuthorized,
    NotFound,
)
from bot.granting import Granter
from bot.ids import new_id
from bot.inflight import InFlight
from bot.models import AccessRequest, ApprovalDecision, Grant
from bot.policy import (
    Outcome,
    ValidRequest,
    check_duration,
    check_narrowing,
    decide,
)
from bot.revoking import Revoker
from bot.transactions import transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submitted:
    """The result of filing a request, as the requester should read it."""

    request_id: str | None
    message: str


class Workflow:
    """Everything users and the scheduler can make happen, with its rules and its audit trail."""

    def __init__(self, deps: Deps) -> None:
        self.d = deps
        self.granter = Granter(deps)
        self.revoker = Revoker(deps)
        self.inflight = InFlight()

    # -- requests ------------------------------------------------------------------------------

    async def note(self, actor_id: str, action: str, **details: Any) -> None:
        """Audit something a person did that changed no request or grant (a command, a refusal)."""
        async with transaction(self.d.sessions) as session:
            await self.d.audit(session, actor=actor_id, action=action, **details)

    async def identify(self, actor_id: str) -> Identity:
        """The actor's identity; a refusal (guest without email, bot) is audited, then raised."""
        try:
            return await self.d.people.identity(actor_id)
        except IdentityError as exc:
            await self.note(actor_id, "request.refused", why=exc.user_message)
            raise

    async def submit(self, actor_id: str, valid: ValidRequest) -> Submitted:
        """File a validated request: deny, auto-approve, or post an approval card."""
        with self.inflight:
            identity = await self.identify(actor_id)
            db, level = valid.database, valid.level
            may = db.requesters is None or await self.d.people.is_member(actor_id, db.requesters)
            approvers = await self.d.people.members(db.approvers)
            verdict = decide(valid, may_request=may, eligible_approvers=approvers - {actor_id})
            now = self.d.clock()
            async with transaction(self.d.sessions) as session:
                active = await repo.active_grant_for(session, user_id=actor_id,
                                                     database=db.name, level=level.value)
                duplicate = [r for r in await repo.pending_requests(session, requester_id=actor_id)
                             if r.database == db.name and r.level == level.value]
                if duplicate:
                    raise InputError(f"You already have a pending request `{duplicate[0].id}` "
                                     f"for {level.value} on {db.name}; wait for its decision.")
                request = self._new_request(identity, valid, verdict.approvals, active, now)
                if verdict.outcome == Outcome.DENY:
                    request.status, request.deny_reason, request.decided_at = (
                        RS.DENIED, verdict.reason, now)
                session.add(request)
                await self.d.audit(session, actor=actor_id, action="request.submitted",
                                   database=db.name, request_id=request.id, kind=request.kind,
                                   level=level.value, duration=format_duration(valid.duration),
                                   outcome=verdict.outcome.value)
            self.d.metrics.requests.labels(request.kind).inc()
            if verdict.outcome == Outcome.DENY:
                self.d.metrics.decisions.labels("denied").inc()
                message = f":no_entry: Request `{request.id}` was refused: {verdict.reason}"
                await self.d.slack.dm(actor_id, text=message)
                return Submitted(None, message)
            if verdict.outcome == Outcome.AUTO_APPROVE:
                return await self._auto_approve(request)
            await self._post_card(request)
            await self.d.slack.dm(actor_id, text=(
                f"Your request `{request.id}` for {level.value} on {db.name} "
                f"({format_duration(valid.duration)}) is waiting for "
                f"{verdict.approvals} approval(s) in <#{request.approvals_channel}>."))
            what = "extension request" if active else "request"
            return Submitted(request.id, f":inbox_tray: Your {what} `{request.id}` was sent to "
                             f"<#{request.approvals_channel}> for {verdict.approvals} approval(s).")

    def _new_request(self, identity: Identity, valid: ValidRequest, approvals: int,
                     active: Grant | None, now: datetime) -> AccessRequest:
        db = valid.database
        return AccessRequest(
            id=new_id("r"), kind=RequestKind.EXTENSION if active else RequestKind.NEW,
            status=RS.PENDING, requester_id=identity.user_id, requester_email=identity.email,
            handle=identity.handle, database=db.name, level=valid.level.value,
            duration_s=int(valid.duration.total_seconds()), reason=valid.reason,
            ticket_url=valid.ticket_url, extends_grant_id=active.id if active else None,
            approvals_required=max(approvals, 1), approvals_channel=db.approvals_channel,
            version=0, created_at=now, expires_at=now + self.d.catalog.approval_timeout)

    async def _post_card(self, request: AccessRequest) -> None:
        ref = await self.d.slack.post(request.approvals_channel, text=card_text(request),
                                      blocks=approval_card(request, []))
        async with transaction(self.d.sessions) as session:
            row = await repo.get_request(session, request_id=request.id)
            if row is None:
                return
            row.card_channel, row.card_ts = ref.channel, ref.ts
            decisions = await repo.decisions(session, request_id=request.id)
        request.card_channel, request.card_ts = ref.channel, ref.ts
        if decisions or row.status != request.status:
            # An approver clicked before the card's address was stored: catch the card up.
            await self._refresh_card(row, decisions)

    async def _auto_approve(self, request: AccessRequest) -> Submitted:
        now = self.d.clock()
        async with transaction(self.d.sessions) as session:
            await repo.cas_request(session, request_id=request.id, version=0,
                                   status=RS.APPROVED, decided_at=now, decided_by="auto",
                                   granted_level=request.level,
                                   granted_duration_s=request.duration_s)
            await self.d.audit(session, actor="bot", action="request.auto_approved",
                               database=request.database, request_id=request.id)
        request.status, request.decided_by = RS.APPROVED, "auto"
        request.granted_level, request.granted_duration_s = request.level, request.duration_s
        self.d.metrics.decisions.labels("auto_approved").inc()
        await self._post_card(request)
        await self.d.slack.dm(request.requester_id, text=(
            f":white_check_mark: Your request `{request.id}` for {request.level} on "
            f"{request.database} ({_span(request.duration_s)}) was auto-approved by the catalog "
            "rule. Setting it up now…"))
        await self._carry_out(request)
        return Submitted(request.id, f":white_check_mark: `{request.id}` was auto-approved; "
                                     "check your DMs for the login link.")

    # -- decisions -----------------------------------------------------------------------------

    async def authorize_decision(self, request_id: str, actor_id: str,
                                  verb: str) -> tuple[AccessRequest, DatabaseSpec]:
        async with transaction(self.d.sessions) as session:
            request = await repo.get_request(session, request_id=request_id)
            if request is None:
                raise NotFound(f"There is no request {quoted(request_id, 16)}.")
            db = self.d.catalog.database(request.database)
            refusal = None
            if request.requester_id == actor_id:
                refusal = f"You cannot {verb} your own request."
            elif db is None or not await self.d.people.is_member(actor_id, db.approvers):
                refusal = f"Only approvers of {request.database} can {verb} this request."
            if refusal:
                await self.d.audit(session, actor=actor_id, action="decision.refused",
                                   database=request.database, request_id=request.id,
                                   attempted=verb, why=refusal)
        if refusal:
            raise NotAuthorized(refusal)
        if request.status != RS.PENDING:
            raise AlreadyDecided(f"Request `{request.id}` is already {request.status}; "
                                 "nothing was changed.")
        assert db is not None
        return request, db

    async def approve(self, request_id: str, actor_id: str, *, level: str | None = None,
                      duration: str | None = None) -> str:
        """Record an approval; when the quorum is reached, grant. Returns a note for the actor."""
        with self.inflight:
            request, db = await self.authorize_decision(request_id, actor_id, "approve")
            narrowed_level = Level(level) if level else None
            narrowed = check_duration(db, duration) if duration else None
            if narrowed_level or narrowed:
                check_narrowing(db, requested_level=Level(request.level),
                                requested=timedelta(seconds=request.duration_s),
                                level=narrowed_level or Level(request.level),
                                duration=narrowed or timedelta(seconds=request.duration_s))
            decision = ApprovalDecision(
                request_id=request_id, approver_id=actor_id, decision=DecisionKind.APPROVE,
                level=narrowed_level.value if narrowed_level else None,
                duration_s=int(narrowed.total_seconds()) if narrowed else None)
            request, decisions = await self._decide(request_id, decision)
            if request.status == RS.PENDING:
                return (f"Approval recorded: {len(decisions)} of "
                        f"{request.approvals_required} for `{request.id}`.")
            granted = f"{request.granted_level} for {_span(request.granted_duration_s)}"
            asked = f"{request.level} for {_span(request.duration_s)}"
            changed = f" (you asked for {asked})" if granted != asked else ""
            await self.d.slack.dm(request.requester_id, text=(
                f":white_check_mark: Your request `{request.id}` on {request.database} was "
                f"approved by <@{actor_id}>: {granted}{changed}. Setting it up now…"))
            await self._carry_out(request)
            return f"Approved `{request.id}`."

    async def deny(self, request_id: str, actor_id: str, *, reason: str) -> str:
        """Deny a pending request with a reason the requester sees."""
        with self.inflight:
            await self.authorize_decision(request_id, actor_id, "deny")
            decision = ApprovalDecision(request_id=request_id, approver_id=actor_id,
                                        decision=DecisionKind.DENY, reason=reason)
            request, _ = await self._decide(request_id, decision)
            denied = (f":no_entry: Your request `{request.id}` for {request.level} on "
                      f"`{request.database}` was denied by <@{actor_id}>.")
            await self.d.slack.dm(request.requester_id, text=f"{denied} {_escape(reason)}",
                                  blocks=[section(denied), section("*Reason:* " + _escape(reason))])
            return f"Denied `{request.id}`."

    async def _decide(self, request_id: str, decision: ApprovalDecision,
                      ) -> tuple[AccessRequest, list[ApprovalDecision]]:
        """Record a decision (compare-and-set), refresh the card; return request and approvals."""
        request, all_decisions = await record_decision(self.d, request_id, decision)
        await self._refresh_card(request, all_decisions)
        if request.status != RS.PENDING:
            self.d.metrics.decisions.labels(request.status).inc()
        return request, [d for d in all_decisions if d.decision == DecisionKind.APPROVE]

    async def _refresh_card(self, request: AccessRequest, decisions: list[ApprovalDecision],
                            note: str = "") -> None:
        if not request.card_ts:
            # The card may have been posted after this request was read (see _post_card).
            async with transaction(self.d.sessions) as session:
                row = await repo.get_request(session, request_id=request.id)
            if row is not None:
                request.card_channel, request.card_ts = row.card_channel, row.card_ts
        if request.card_channel and request.card_ts:
            try:
                await self.d.slack.update(MessageRef(request.card_channel, request.card_ts),
                                          text=card_text(request),
                                          blocks=approval_card(request, decisions, note))
            except DbAccessError:
                log.warning("could not update the approval card",
                            extra={"request_id": request.id})

    async def _carry_out(self, request: AccessRequest) -> None:
        """Grant (or extend) an approved request and deliver the first link."""
        started = time.perf_counter()
        try:
            if request.kind == RequestKind.EXTENSION and request.extends_grant_id:
                async with transaction(self.d.sessions) as session:
                    grant = await repo.get_grant(session, grant_id=request.extends_grant_id)
                if grant is not None and grant.status == GrantStatus.ACTIVE:
                    grant = await self.granter.extend(grant, request)
                    await self.d.slack.dm(request.requester_id, text=(
                        f":hourglass: Grant `{grant.id}` on {grant.database} now lasts until "
                        f"{grant.expires_at:%Y-%m-%d %H:%M UTC}."))
                    await self._note_on_card(request, f"Extended grant `{grant.id}`.")
                    return
            grant = await self.granter.grant(request)
        except DbAccessError as exc:
            await self.d.slack.dm(request.requester_id, text=(
                f":warning: Your request `{request.id}` was approved, but the access could not "
                f"be set up: {exc.user_message}"))
            await self._note_on_card(request, f":warning: Grant failed: {_escape(str(exc))}")
            raise
        await self._note_on_card(request, f":unlock: Granted as `{grant.id}` until "
                                          f"{_until(grant)}.")
        await self.granter.deliver(grant, actor="bot")
        self.d.metrics.grant_latency.observe(time.perf_counter() - started)

    async def _note_on_card(self, request: AccessRequest, note: str) -> None:
        async with transaction(self.d.sessions) as session:
            decisions = await repo.decisions(session, request_id=request.id)
        await self._refresh_card(request, decisions, note)


def _until(grant: Grant) -> str:
    return when(grant.expires_at)


def _span(seconds: int | None) -> str:
    return format_duration(timedelta(seconds=seconds or 0))
