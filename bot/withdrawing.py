"""Withdrawing a pending request: its requester (or the admin who filed it) takes it back.

Compare-and-set on every pending database of the request in one transaction: an approval that
commits first wins (the withdrawal then says what was granted), and a withdrawal that commits
first makes any later click find the request withdrawn.
"""

import asyncio

from bot import bundles
from bot.context import Deps
from bot.domain import RequestStatus
from bot.effects import Effects
from bot.errors import AlreadyDecided, NotAuthorized, NotFound
from bot.filing import details
from bot.inflight import InFlight
from bot.slack.blocks import quoted
from bot.steps import StepRunner
from bot.store import repo
from bot.store.models import AccessRequest
from bot.store.transactions import transaction

CAS_RETRIES = 8


class _Conflict(Exception):
    """An approver changed a part between our read and our write."""


class Withdrawals:
    """Takes back pending requests, with the card, the audit and the people told."""

    def __init__(self, deps: Deps, steps: StepRunner, inflight: InFlight) -> None:
        self._d = deps
        self._steps = steps
        self._inflight = inflight

    async def withdraw(self, actor_id: str, request_id: str) -> str:
        """Withdraw what is still pending of a request; returns what the actor reads."""
        with self._inflight:
            rid = request_id.strip()
            async with transaction(self._d.sessions) as session:
                parts = await bundles.find(session, request_id=rid)
            if not parts:
                raise NotFound(
                    f"There is no request {quoted(rid, 24)}. `/db-access list` shows "
                    "your pending requests."
                )
            await self._authorize(actor_id, parts[0])
            for _ in range(CAS_RETRIES):
                try:
                    withdrawn, parts, steps = await self._withdraw(actor_id, rid)
                except _Conflict:
                    await asyncio.sleep(0.01)
                    continue
                await self._steps.run_now(steps)
                return _summary(rid, withdrawn, parts)
            raise AlreadyDecided(
                f"Request `{rid}` is being decided right now; look at "
                "`/db-access list` in a moment."
            )

    async def _authorize(self, actor_id: str, request: AccessRequest) -> None:
        if actor_id in (request.requester_id, request.filed_by):
            return
        why = (
            f"Request `{request.bundle_id or request.id}` is not yours; only its requester "
            "(or the admin who filed it) can withdraw it."
        )
        async with transaction(self._d.sessions) as session:
            await self._d.audit(
                session,
                actor=actor_id,
                action="request.withdraw_refused",
                database=request.database,
                request_id=request.id,
                why=why,
            )
        raise NotAuthorized(why)

    async def _withdraw(
        self, actor_id: str, rid: str
    ) -> tuple[list[AccessRequest], list[AccessRequest], list]:
        """One transaction: every pending part withdrawn by compare-and-set, or none."""
        now = self._d.clock()
        async with transaction(self._d.sessions) as session:
            fx = Effects(self._d, session)
            parts = await bundles.find(session, request_id=rid)
            pending = [p for p in parts if p.status == RequestStatus.PENDING]
            for part in pending:
                if not await repo.cas_request(
                    session,
                    request_id=part.id,
                    version=part.version,
                    status=RequestStatus.WITHDRAWN,
                    decided_at=now,
                    decided_by=actor_id,
                ):
                    raise _Conflict  # rolls back whatever this transaction withdrew
                part.status, part.decided_at, part.decided_by = (
                    RequestStatus.WITHDRAWN,
                    now,
                    actor_id,
                )
                part.version += 1
                await self._d.audit(
                    session,
                    actor=actor_id,
                    action="request.withdrawn",
                    database=part.database,
                    request_id=part.id,
                    **details(part),
                )
            if pending:
                first = pending[0]
                await fx.card(
                    first,
                    await repo.decisions(session, request_id=first.id),
                    f":leftwards_arrow_with_hook: Withdrawn by <@{actor_id}>; "
                    "nothing more to decide.",
                )
                self._tell_other(fx, actor_id, rid, pending)
            await fx.flush()
        self._d.metrics.decisions.labels("withdrawn").inc(len(pending))
        return pending, parts, fx.steps

    def _tell_other(
        self, fx: Effects, actor_id: str, rid: str, withdrawn: list[AccessRequest]
    ) -> None:
        """On a request filed for someone else, the one who did not withdraw it hears of it."""
        first = withdrawn[0]
        if not first.filed_by:
            return
        names = ", ".join(f"`{p.database}`" for p in withdrawn)
        if actor_id == first.filed_by:
            to, text = (
                first.requester_id,
                (
                    f":leftwards_arrow_with_hook: <@{actor_id}> withdrew "
                    f"request `{rid}` ({first.level} on {names}) that "
                    "they filed for you."
                ),
            )
        else:
            to, text = (
                first.filed_by,
                (
                    f":leftwards_arrow_with_hook: <@{actor_id}> withdrew "
                    f"request `{rid}` ({first.level} on {names}) that you "
                    "filed for them."
                ),
            )
        fx.dm(to, key=f"withdrawn:{rid}", request_id=first.id, text=text)


def _summary(rid: str, withdrawn: list[AccessRequest], parts: list[AccessRequest]) -> str:
    """What the person who withdrew reads: what was taken back and what was not."""
    others = [p for p in parts if p not in withdrawn]
    done = ", ".join(p.database for p in withdrawn)
    rest = "; ".join(f"{p.database} was already {p.status}" for p in others)
    if not withdrawn:
        return (
            f"Request `{rid}` has nothing left to withdraw: {rest}. An approved request's "
            "grant ends with `/db-access revoke <grant>`."
        )
    tail = (
        f" ({rest}; an approved database's grant ends with `/db-access revoke <grant>`)"
        if others
        else ""
    )
    return f":leftwards_arrow_with_hook: Withdrew request `{rid}` on {done}.{tail}"
