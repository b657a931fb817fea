"""Recording an approver's decision: compare-and-set on the request row, retried on conflict."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalog.database import DatabaseSpec
from bot.context import Deps
from bot.domain import DecisionKind, Level
from bot.domain import RequestStatus as RS
from bot.effects import Effects
from bot.errors import AlreadyDecided
from bot.policy import Vote, quorum
from bot.store import repo
from bot.store.models import AccessRequest, ApprovalDecision, Step
from bot.store.transactions import transaction

CAS_RETRIES = 8
# What a recorded decision commits to, written in its transaction (card update, grant, DMs).
Consequences = Callable[
    [AsyncSession, Effects, AccessRequest, list[ApprovalDecision]], Awaitable[None]
]


class _Conflict(Exception):
    """Someone else changed the request between our read and our write."""


async def record_decision(
    deps: Deps,
    request_id: str,
    decision: ApprovalDecision,
    consequences: Consequences,
) -> tuple[AccessRequest, list[ApprovalDecision], list[Step]]:
    """Add a decision and move the request on; two clicks at once give one transition.

    The consequences are written in the same transaction, so an approval and the grant it
    gives are committed together or not at all.
    """
    for _ in range(CAS_RETRIES):
        now = deps.clock()
        try:
            async with transaction(deps.sessions) as session:
                fx = Effects(deps, session)
                request = await repo.get_request(session, request_id=request_id)
                assert request is not None
                if request.status != RS.PENDING:
                    raise AlreadyDecided(
                        f"Request `{request.id}` is already {request.status}; nothing was changed."
                    )
                earlier = await repo.decisions(session, request_id=request_id)
                if any(d.approver_id == decision.approver_id for d in earlier):
                    raise AlreadyDecided("You already decided on this request.")
                fresh = ApprovalDecision(
                    **{
                        k: getattr(decision, k)
                        for k in (
                            "request_id",
                            "approver_id",
                            "decision",
                            "level",
                            "duration_s",
                            "reason",
                        )
                    },
                    created_at=now,
                )
                session.add(fresh)
                all_decisions = [*earlier, fresh]
                values = transition(
                    request, all_decisions, now, deps.catalog.database(request.database)
                )
                if not await repo.cas_request(
                    session, request_id=request_id, version=request.version, **values
                ):
                    raise _Conflict
                action = {RS.APPROVED: "request.approved", RS.DENIED: "request.denied"}.get(
                    values.get("status"), "request.approval_recorded"
                )
                await deps.audit(
                    session,
                    actor=decision.approver_id,
                    action=action,
                    database=request.database,
                    request_id=request_id,
                    **{
                        k: v
                        for k, v in values.items()
                        if k in ("granted_level", "granted_duration_s", "deny_reason")
                    },
                )
                for key, value in values.items():
                    setattr(request, key, value)
                await consequences(session, fx, request, all_decisions)
                await fx.flush()
        except (_Conflict, IntegrityError):
            await asyncio.sleep(0.01)
            continue
        return request, all_decisions, fx.steps
    raise AlreadyDecided(
        "This request is being decided by someone else right now; "
        "look at the card again in a moment."
    )


def transition(
    request: AccessRequest,
    decisions: list[ApprovalDecision],
    now: datetime,
    db: DatabaseSpec | None,
) -> dict[str, Any]:
    """The column values the newest decision moves the request to ({} while still pending)."""
    last = decisions[-1]
    if last.decision == DecisionKind.DENY:
        return {
            "status": RS.DENIED,
            "decided_at": now,
            "decided_by": last.approver_id,
            "deny_reason": last.reason,
        }
    votes = [
        Vote(
            Level(d.level) if d.level else None,
            timedelta(seconds=d.duration_s) if d.duration_s else None,
        )
        for d in decisions
        if d.decision == DecisionKind.APPROVE
    ]
    granted = quorum(
        db,
        level=Level(request.level),
        duration=timedelta(seconds=request.duration_s),
        required=request.approvals_required,
        approvals=votes,
    )
    if granted is None:
        return {}
    return {
        "status": RS.APPROVED,
        "decided_at": now,
        "decided_by": last.approver_id,
        "granted_level": granted[0].value,
        "granted_duration_s": int(granted[1].total_seconds()),
    }
