"""Helpers for scheduler tests: a movable clock, grants made directly, a scheduler on a harness."""

import asyncio
import copy
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.carry_out import carry_out
from bot.catalog.database import DatabaseSpec
from bot.context import Deps
from bot.domain import GrantTarget, RequestKind, RequestStatus
from bot.effects import Effects
from bot.identity import handle_for
from bot.ids import new_id
from bot.lifecycle import Lifecycle
from bot.store.models import AccessRequest, AuditEvent, Grant
from bot.store.transactions import transaction
from scheduler import Scheduler, SchedulerConfig
from tests.support import catalogs
from tests.support.harness import PEOPLE


class MovableClock:
    """Wall time plus an offset the test moves forward (Deps.clock)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        """Jump forward by delta."""
        self.offset += delta

    def move_to(self, moment: datetime) -> None:
        """Jump so that now is moment."""
        self.offset += moment - self()


def catalog_with(changes: dict[str, dict[str, Any]], **top: Any) -> dict[str, Any]:
    """The base catalog data with some databases' keys replaced (and top-level keys)."""
    data = catalogs.catalog_data(**top)
    for name, values in changes.items():
        data["databases"][name] = {**copy.deepcopy(data["databases"].get(name, {})), **values}
    return data


async def make_grant(
    deps: Deps,
    *,
    user_id: str = catalogs.DEV,
    database: str = "orders-prod",
    level: str = "ro",
    duration: timedelta = timedelta(hours=1),
) -> Grant:
    """An approved request carried out by the real lifecycle (grant made, link sent)."""
    _, email = PEOPLE[user_id]
    handle = handle_for(email, deps.catalog)
    now = deps.clock()
    seconds = int(duration.total_seconds())
    request = AccessRequest(
        id=new_id("r"),
        kind=RequestKind.NEW,
        status=RequestStatus.APPROVED,
        requester_id=user_id,
        requester_email=email,
        handle=handle,
        database=database,
        level=level,
        duration_s=seconds,
        reason="scheduler test",
        approvals_required=1,
        approvals_channel=catalogs.CHANNEL,
        version=1,
        created_at=now,
        decided_at=now,
        expires_at=now + timedelta(minutes=30),
        granted_level=level,
        granted_duration_s=seconds,
        decided_by=catalogs.APPROVER,
    )
    async with transaction(deps.sessions) as session:
        session.add(request)
        await session.flush()
        fx = Effects(deps, session)
        await carry_out(deps, session, fx, request, approver=catalogs.APPROVER)
        await fx.flush()
    [made] = [s for s in fx.steps if s.grant_id]
    await Lifecycle(deps).steps.run_now(fx.steps)
    return await grant(deps, str(made.grant_id))


async def rows(deps: Deps, model: Any, *where: Any) -> list[Any]:
    """Rows of a table matching where."""
    async with deps.sessions() as session:
        return list(await session.scalars(select(model).where(*where)))


async def grant(deps: Deps, grant_id: str) -> Grant:
    """The current row of a grant."""
    [row] = await rows(deps, Grant, Grant.id == grant_id)
    return row


async def audit(deps: Deps, action: str, grant_id: str | None = None) -> list[AuditEvent]:
    """Audit rows of an action (for one grant)."""
    where = [AuditEvent.action == action]
    if grant_id is not None:
        where.append(AuditEvent.grant_id == grant_id)
    return await rows(deps, AuditEvent, *where)


async def wait_for(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll an async check until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await check()
        if found:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not true within {timeout}s")
        await asyncio.sleep(0.02)


@asynccontextmanager
async def running_scheduler(
    deps: Deps, *, sweep: float = 0.2, reconcile: float = 3600.0
) -> AsyncIterator[Scheduler]:
    """A started scheduler over deps, its hook installed; stopped on exit."""
    scheduler = Scheduler(deps, SchedulerConfig(sweep_interval=sweep, reconcile_interval=reconcile))
    deps.on_grant_active = scheduler.on_grant_active
    await scheduler.start()
    try:
        yield scheduler
    finally:
        await scheduler.stop()
        deps.on_grant_active = None


class CrashingIam:
    """Wraps an IamGrants; can die right after writing a policy, like a process killed then."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.crash_after_attach = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def attach(self, database: DatabaseSpec, target: GrantTarget) -> str:
        name = await self.inner.attach(database, target)
        if self.crash_after_attach:
            self.crash_after_attach -= 1
            raise ProcessKilled(target.grant_id)
        return str(name)


class ProcessKilled(BaseException):
    """Stands for the process dying: nothing after it runs, nothing catches it."""


async def half_made(deps: Deps, **kwargs: Any) -> Grant:
    """A grant whose policy was written but whose row still says GRANTING."""
    assert isinstance(deps.iam, CrashingIam)
    deps.iam.crash_after_attach = 1
    try:
        await make_grant(deps, **kwargs)
    except ProcessKilled as killed:
        return await grant(deps, str(killed))
    raise AssertionError("the grant did not crash")
