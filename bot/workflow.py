"""The access workflow: requests and the steps they commit to (the orchestrator).

Decisions on them (approve, deny) are in workflow_decisions.py; Workflow has both.
"""

import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import filing, on_behalf
from bot.asks import Ask, as_ask
from bot.bindings import bind
from bot.carry_out import carry_out
from bot.context import Deps
from bot.domain import Identity, RequestKind
from bot.domain import RequestStatus as RS
from bot.durations import format_duration
from bot.effects import Effects
from bot.errors import AwsError, IdentityError, InputError
from bot.identity import db_user_for, principal_for
from bot.ids import new_id
from bot.inflight import InFlight
from bot.lifecycle import Lifecycle
from bot.oncall import requester_on_call
from bot.part_quotas import apply_quotas, quota_guards
from bot.policy import Outcome, ValidRequest, Verdict, decide
from bot.request_rows import new_request_row
from bot.store import repo
from bot.store.models import AccessRequest
from bot.store.transactions import transaction
from bot.withdrawing import Withdrawals
from bot.workflow_decisions import Decisions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submitted:
    """The result of filing a request, as the requester should read it."""

    request_id: str | None
    message: str


class Workflow(Decisions):
    """Everything users and the scheduler can make happen, with its rules and its audit trail."""

    def __init__(self, deps: Deps) -> None:
        self.d = deps
        self.lifecycle = Lifecycle(deps)
        self.revoker = self.lifecycle.revoker
        self.inflight = InFlight()
        self.withdrawals = Withdrawals(deps, self.lifecycle.steps, self.inflight)

    async def note(self, actor_id: str, action: str, **details: Any) -> None:
        """Audit something a person did that changed no request or grant (a command, a refusal)."""
        async with transaction(self.d.sessions) as session:
            await self.d.audit(session, actor=actor_id, action=action, **details)

    async def identify(self, actor_id: str) -> Identity:
        """The actor's identity with its bound handle; a refusal is audited, then raised."""
        try:
            return await bind(self.d, await self.d.people.identity(actor_id), self.lifecycle.steps)
        except IdentityError as exc:
            await self.note(actor_id, "request.refused", why=exc.user_message, code=exc.code)
            raise

    async def submit(self, actor_id: str, valid: ValidRequest | Ask) -> Submitted:
        """File a validated request: deny, auto-approve, or post an approval card.

        One request may name several databases, each decided on its own, and an admin may file
        it for someone else, who is then its requester in every respect.
        """
        ask = as_ask(valid)
        with self.inflight:
            requester = await on_behalf.requester(self.d, actor_id, ask.for_user)
            identity = await self.identify(requester)
            verdicts = [await self._verdict(identity, actor_id, part) for part in ask.parts]
            for part, verdict in zip(ask.parts, verdicts, strict=True):
                if verdict.outcome != Outcome.DENY or verdict.quota is not None:
                    await self.preflight(identity, part)
            try:
                requests, steps, verdicts = await self._file(
                    identity, ask, verdicts, filer=actor_id
                )
            except IntegrityError:
                names = ", ".join(p.database.name for p in ask.parts)
                who = filing.subject(
                    requester, actor_id, you="You already have", they="already has"
                )
                raise InputError(
                    f"{who} a pending request for {ask.parts[0].level.value} on "
                    f"{names}; wait for its decision."
                ) from None
            for request in requests:
                self.d.metrics.requests.labels(request.kind).inc()
            started = time.perf_counter()
            await self.lifecycle.steps.run_now(steps)
            if len(requests) == 1 and not requests[0].filed_by:
                return await self._submitted(requests[0], verdicts[0], started)
            async with transaction(self.d.sessions) as session:
                fresh = [await repo.get_request(session, request_id=r.id) or r for r in requests]
            return Submitted(fresh[0].bundle_id or fresh[0].id, filing.reply(fresh, verdicts))

    async def _verdict(self, identity: Identity, filer: str, valid: ValidRequest) -> Verdict:
        """The policy's decision; neither the requester nor an admin who filed it approves it."""
        db, requester = valid.database, identity.user_id
        may = db.requesters is None or await self.d.people.is_member(requester, db.requesters)
        approvers = await self.d.people.members(db.approvers)
        on_call = may and await requester_on_call(self.d, identity, valid)
        return decide(
            valid,
            may_request=may,
            eligible_approvers=approvers - {requester, filer},
            on_call=on_call,
        )

    async def preflight(self, identity: Identity, valid: ValidRequest) -> None:
        """Refuse now what could only fail after approval: a missing role, an unknown instance."""
        db, level = valid.database, valid.level
        try:
            db_user_for(self.d.catalog, identity, level)
            principal = principal_for(self.d.catalog, db, identity, level)
            await self.d.iam.check_principal(db, principal_arn=principal)
        except AwsError as exc:
            if exc.retryable:
                log.warning(
                    "could not check the principal; filing the request anyway",
                    extra={"database": db.name, "error": str(exc)[:300]},
                )
                return
            await self.note(
                identity.user_id, "request.refused", database=db.name, why=exc.user_message
            )
            raise
        except IdentityError as exc:
            await self.note(
                identity.user_id, "request.refused", database=db.name, why=exc.user_message
            )
            raise

    async def _file(
        self, identity: Identity, ask: Ask, verdicts: list[Verdict], *, filer: str
    ) -> tuple[list[AccessRequest], list[Any], list[Verdict]]:
        """Write the request (a row per database) and everything it commits to, at once."""
        now = self.d.clock()
        bundle = new_id("r") if len(ask.parts) > 1 else None
        held = filing.subject(identity.user_id, filer, you="You hold", they="holds")
        waiting = filing.subject(
            identity.user_id, filer, you="You already have", they="already has"
        )
        async with (
            quota_guards(identity.user_id, ask.parts, verdicts),
            transaction(self.d.sessions) as session,
        ):
            actives = []
            for valid in ask.parts:
                db, level = valid.database, valid.level
                # A later start is its own grant, never more time on one held now.
                active = (
                    None
                    if valid.starts_at
                    else await repo.active_grant_for(
                        session, user_id=identity.user_id, database=db.name, level=level.value
                    )
                )
                if active is not None and (active.standing or active.expires_at is None):
                    raise InputError(
                        f"{held} standing {level.value} access to {db.name} "
                        f"(grant `{active.id}`): it has no end, so there is "
                        "nothing to extend."
                    )
                await self._refuse_duplicate(
                    session, identity.user_id, db.name, level.value, waiting
                )
                actives.append(active)
            verdicts = await apply_quotas(
                session, user_id=identity.user_id, parts=ask.parts, verdicts=verdicts, now=now
            )
            requests = []
            for n, (valid, verdict, active) in enumerate(
                zip(ask.parts, verdicts, actives, strict=True), 1
            ):
                request = new_request_row(
                    identity, valid, verdict, active, now, timeout=self.d.catalog.approval_timeout
                )
                if bundle:
                    request.id, request.bundle_id = f"{bundle}-{n}", bundle
                request.filed_by = filer if filer != identity.user_id else None
                session.add(request)
                await session.flush()  # the unique index refuses a second pending request here
                await self.d.audit(
                    session,
                    actor=filer,
                    action="request.submitted",
                    database=valid.database.name,
                    request_id=request.id,
                    kind=request.kind,
                    level=valid.level.value,
                    duration=format_duration(valid.duration),
                    outcome=verdict.outcome.value,
                    **filing.details(request),
                )
                requests.append(request)
            fx = Effects(self.d, session)
            for request, verdict in zip(requests, verdicts, strict=True):
                await self._consequences(session, fx, request, verdict)
            filing.tell(fx, requests, verdicts)
            await fx.flush()
        return requests, fx.steps, verdicts

    async def _refuse_duplicate(
        self,
        session: AsyncSession,
        user_id: str,
        database: str,
        level: str,
        who: str = "You already have",
    ) -> None:
        for pending in await repo.pending_requests(session, requester_id=user_id):
            if pending.database == database and pending.level == level:
                raise InputError(
                    f"{who} a pending request `{pending.id}` for "
                    f"{level} on {database}; wait for its decision."
                )

    async def _consequences(
        self, session: AsyncSession, fx: Effects, request: AccessRequest, verdict: Verdict
    ) -> None:
        if verdict.outcome == Outcome.DENY:
            fx.dm(
                request.requester_id,
                key=f"refused:{request.id}",
                request_id=request.id,
                text=f":no_entry: Request `{request.id}` was refused: {verdict.reason}",
            )
            return
        await fx.card(request, [])
        if verdict.outcome == Outcome.AUTO_APPROVE:
            await self.d.audit(
                session,
                actor="bot",
                action="request.auto_approved",
                database=request.database,
                request_id=request.id,
                rule=verdict.rule,
                note=verdict.note,
            )
            await carry_out(self.d, session, fx, request, approver="auto")

    async def _submitted(
        self, request: AccessRequest, verdict: Verdict, started: float
    ) -> Submitted:
        """What the requester reads once the request's first steps ran."""
        if verdict.outcome == Outcome.DENY:
            self.d.metrics.decisions.labels("denied").inc()
            return Submitted(
                None, f":no_entry: Request `{request.id}` was refused: {verdict.reason}"
            )
        if verdict.outcome == Outcome.AUTO_APPROVE:
            self.d.metrics.decisions.labels("auto_approved").inc()
            self.d.metrics.grant_latency.observe(time.perf_counter() - started)
            why = f" ({verdict.note})" if verdict.note else ""
            return Submitted(
                request.id,
                f":white_check_mark: `{request.id}` was auto-approved"
                f"{why}; check your DMs for the login link.",
            )
        async with transaction(self.d.sessions) as session:
            row = await repo.get_request(session, request_id=request.id)
        if row is not None and row.status == RS.FAILED:
            return Submitted(
                None,
                f":warning: Your request `{request.id}` could not reach its "
                f"approvers: I cannot post in <#{request.approvals_channel}>. "
                "The admins were told (someone must run `/invite "
                "@db-access-bot` there); ask again once that is done.",
            )
        what = "extension request" if request.kind == RequestKind.EXTENSION else "request"
        spent = f" Auto-approval: {verdict.note}." if verdict.note else ""
        return Submitted(
            request.id,
            f":inbox_tray: Your {what} `{request.id}` was sent to "
            f"<#{request.approvals_channel}> for {verdict.approvals} approval(s)."
            f"{spent}",
        )
