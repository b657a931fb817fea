"""Revocation lag after expires_at, and recovery of grants that expired while no bot ran."""

import asyncio
import random
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.catalog import DatabaseSpec
from bot.domain import GrantStatus
from bot.models import Grant
from bot.state import make_engine
from providers.base import IamGrants
from scheduler import Scheduler, SchedulerConfig
from tests.support.bulk import seed_grants
from tests.support.harness import BotHarness


class TimedIam:
    """Delegates to the real IamGrants and notes when each grant's policy was deleted."""

    def __init__(self, inner: IamGrants) -> None:
        self._inner = inner
        self.gone_at: dict[str, datetime] = {}

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._inner, name)

    async def detach(self, database: DatabaseSpec, *, principal_arn: str, grant_id: str) -> None:
        await self._inner.detach(database, principal_arn=principal_arn, grant_id=grant_id)
        self.gone_at.setdefault(grant_id, datetime.now(UTC))


async def _revoked(state_url: str) -> int:
    engine = make_engine(state_url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(select(func.count()).select_from(Grant)
                                     .where(Grant.status == GrantStatus.REVOKED)) or 0
    finally:
        await engine.dispose()


async def revocation_lag(h: BotHarness, state_url: str, resource_id: str, count: int,
                         window: float) -> list[float]:
    """count grants ending at random moments within window seconds; lag of each policy delete."""
    timed = TimedIam(h.workflow.d.iam)
    h.workflow.d.iam = timed
    now = datetime.now(UTC)
    ends = sorted(now + timedelta(seconds=10 + random.uniform(0, window))
                  for _ in range(count))
    made = await seed_grants(state_url, ends=ends, now=now, resource_id=resource_id,
                             with_policies=True, prefix="lag", emu=h.emu)
    scheduler = Scheduler(h.workflow.d, SchedulerConfig())  # production intervals
    h.workflow.d.on_grant_active = scheduler.on_grant_active
    await scheduler.start()
    try:
        deadline = time.monotonic() + window + 120
        while len(timed.gone_at) < count and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.5)
    finally:
        await scheduler.stop()
    by_id = dict(zip((g for g, _ in made), ends, strict=True))
    return [(timed.gone_at[g] - by_id[g]).total_seconds() for g in by_id if g in timed.gone_at]


async def recovery(h: BotHarness, state_url: str, resource_id: str, count: int) -> float:
    """count grants that ended while no bot ran; seconds from scheduler start to all revoked."""
    now = datetime.now(UTC)
    ends = [now - timedelta(minutes=5, seconds=i) for i in range(count)]
    await seed_grants(state_url, ends=ends, now=now, resource_id=resource_id,
                      with_policies=True, prefix="rec", emu=h.emu)
    before = await _revoked(state_url)
    scheduler = Scheduler(h.workflow.d, SchedulerConfig())
    started = time.perf_counter()
    await scheduler.start()
    try:
        while await _revoked(state_url) - before < count:
            if time.perf_counter() - started > 600:
                break
            await asyncio.sleep(0.25)
        return time.perf_counter() - started
    finally:
        await scheduler.stop()
