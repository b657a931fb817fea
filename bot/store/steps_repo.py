"""State-store queries for durable steps, keyword-only; callers own the session."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import StepKind, StepStatus
from bot.store.models import Grant, Step


def new_step(
    *,
    kind: StepKind,
    key: str,
    now: datetime,
    owner: str | None,
    lease: timedelta,
    request_id: str | None = None,
    grant_id: str | None = None,
    payload: dict[str, Any] | None = None,
) -> Step:
    """A pending step; with an owner it is leased to it at once (run inline, then by anyone)."""
    return Step(
        kind=kind,
        key=key,
        status=StepStatus.PENDING,
        request_id=request_id,
        grant_id=grant_id,
        payload=payload or {},
        version=0,
        attempts=1 if owner else 0,
        in_doubt=owner is not None,
        next_attempt_at=now,
        claimed_by=owner,
        claim_until=now + lease if owner else None,
        created_at=now,
    )


async def add_steps(session: AsyncSession, steps: Sequence[Step]) -> list[Step]:
    """Insert steps (flushed, so their ids are known)."""
    session.add_all(steps)
    await session.flush()
    return list(steps)


async def replace_message(
    session: AsyncSession,
    *,
    key: str,
    request_id: str | None,
    payload: dict[str, Any],
    now: datetime,
    owner: str | None,
    lease: timedelta,
) -> tuple[Step, bool]:
    """Insert a message step, or give an existing one new content to send (a card's latest).

    Returns the step and whether it is now leased to owner (False: someone is sending an older
    version; they send this one after it).
    """
    values = {
        "kind": StepKind.MESSAGE,
        "key": key,
        "status": StepStatus.PENDING,
        "request_id": request_id,
        "payload": payload,
        "version": 0,
        "attempts": 0,
        "in_doubt": False,
        "next_attempt_at": now,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Step).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[Step.key],
        set_={
            "payload": statement.excluded.payload,
            "status": StepStatus.PENDING,
            "version": Step.version + 1,
            "next_attempt_at": now,
            "last_error": None,
        },
    )
    await session.execute(statement)
    step = await session.scalar(
        select(Step).where(Step.key == key).execution_options(populate_existing=True)
    )
    assert step is not None
    if owner is None or (step.claim_until is not None and step.claim_until >= now):
        return step, False
    step.recheck = step.attempts > 0 and step.in_doubt  # type: ignore[attr-defined]
    step.claimed_by, step.claim_until = owner, now + lease
    step.in_doubt, step.attempts = True, step.attempts + 1
    return step, True


async def claim_due(
    session: AsyncSession,
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    ids: Sequence[int] | None = None,
) -> list[Step]:
    """Lease pending steps whose time has come (SKIP LOCKED); attempts counts the new try.

    `recheck` (not a column) tells the runner an earlier attempt may have reached Slack.
    """
    query = select(Step).where(
        Step.status == StepStatus.PENDING,
        Step.next_attempt_at <= now,
        or_(Step.claim_until.is_(None), Step.claim_until < now),
    )
    if ids is not None:
        query = query.where(Step.id.in_(list(ids)))
    rows = list(
        await session.scalars(
            query.order_by(Step.id).limit(limit).with_for_update(skip_locked=True)
        )
    )
    for step in rows:
        step.recheck = step.attempts > 0 and step.in_doubt  # type: ignore[attr-defined]
        step.claimed_by, step.claim_until = owner, now + lease
        step.attempts, step.in_doubt = step.attempts + 1, True
    return rows


async def get_step(session: AsyncSession, *, step_id: int, for_update: bool = False) -> Step | None:
    """The step with that id (row-locked when for_update)."""
    query = select(Step).where(Step.id == step_id).execution_options(populate_existing=True)
    return await session.scalar(query.with_for_update() if for_update else query)


async def finish(
    session: AsyncSession,
    *,
    step: Step,
    now: datetime,
    status: StepStatus = StepStatus.DONE,
    error: str | None = None,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Record a step's outcome, unless its content was replaced meanwhile (then it stays due)."""
    values: dict[str, Any] = {
        "status": status,
        "done_at": now,
        "claimed_by": None,
        "claim_until": None,
        "in_doubt": False,
        "last_error": error,
    }
    if payload is not None:
        values["payload"] = payload
    result = await session.execute(
        update(Step).where(Step.id == step.id, Step.version == step.version).values(**values)
    )
    if result.rowcount == 1:
        return True
    # Newer content arrived while this version was sent: release it to be sent again.
    await session.execute(
        update(Step)
        .where(Step.id == step.id)
        .values(claimed_by=None, claim_until=None, in_doubt=False)
    )
    return False


async def retry_later(session: AsyncSession, *, step: Step, at: datetime, error: str) -> None:
    """Release a step to be tried again at `at`, remembering why the last try failed.

    It stays in doubt: whatever failed, the message may have gone out before it (a commit
    that failed after Slack took it), so the next try looks for it before sending.
    """
    await session.execute(
        update(Step)
        .where(Step.id == step.id)
        .values(
            next_attempt_at=at,
            last_error=error[:500],
            in_doubt=True,
            claimed_by=None,
            claim_until=None,
        )
    )


async def hand_over(session: AsyncSession, *, steps: Sequence[Step], now: datetime) -> None:
    """Give up the lease on steps not tried yet, so the next due run (any replica) sends them."""
    for step in steps:
        # Written and leased here but never started: not in doubt, and this try did not count.
        held_here = and_(Step.id == step.id, Step.claimed_by == step.claimed_by)
        await session.execute(
            update(Step)
            .where(held_here)
            .values(
                next_attempt_at=now,
                in_doubt=False,
                claimed_by=None,
                claim_until=None,
                attempts=Step.attempts - 1,
            )
        )


async def steps_of(
    session: AsyncSession, *, request_id: str | None = None, grant_id: str | None = None
) -> list[Step]:
    """Steps of a request or a grant, oldest first."""
    query = select(Step)
    if request_id is not None:
        query = query.where(Step.request_id == request_id)
    if grant_id is not None:
        query = query.where(Step.grant_id == grant_id)
    return list(await session.scalars(query.order_by(Step.id)))


def holder(owner: str, key: str) -> str:
    """The lease holder name of one piece of work in one instance (two coroutines of one
    instance working on the same grant must exclude each other too)."""
    return f"{owner}#{key}"


def held_by_other(grant: Grant, *, owner: str, now: datetime) -> bool:
    """Whether someone else holds a live lease on the grant (then this instance must wait)."""
    return (
        grant.claimed_by not in (None, owner)
        and grant.claim_until is not None
        and grant.claim_until > now
    )
