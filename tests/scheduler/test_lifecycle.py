"""The scheduler's life: clean stop with work in flight, crashes mid-job finished later."""

import asyncio
from datetime import timedelta

from bot.catalog.database import DatabaseSpec
from bot.domain import GrantStatus
from bot.revoking import LEASE
from scheduler import Scheduler, SchedulerConfig
from scheduler.runner import JobRunner
from scheduler.sweeps import Sweeper
from tests.scheduler.support import (
    MovableClock,
    audit,
    grant,
    make_grant,
    running_scheduler,
    wait_for,
)
from tests.support.fakes import FakeIam
from tests.support.harness import BotHarness


class SlowIam(FakeIam):
    """Deletes take a while; or blow up the way an unexpected bug would."""

    def __init__(self) -> None:
        super().__init__()
        self.delay = 0.0
        self.explode = 0

    async def detach(self, database: DatabaseSpec, *, principal_arn: str, grant_id: str) -> None:
        await asyncio.sleep(self.delay)
        if self.explode:
            self.explode -= 1
            raise RuntimeError("unexpected bug in the middle of a revocation")
        await super().detach(database, principal_arn=principal_arn, grant_id=grant_id)


async def test_stop_lets_a_running_revocation_finish(h: BotHarness, clock: MovableClock) -> None:
    deps = h.workflow.d
    iam = SlowIam()
    iam.policies, iam.delay = h.iam.policies, 0.5
    deps.iam = iam
    made = await make_grant(deps, duration=timedelta(minutes=15))
    clock.advance(timedelta(minutes=16))
    scheduler = Scheduler(deps, SchedulerConfig(sweep_interval=3600, reconcile_interval=3600))
    await scheduler.start()

    async def in_the_slow_delete() -> bool:
        return (await grant(deps, made.id)).status == GrantStatus.REVOKING

    await wait_for(in_the_slow_delete)
    await scheduler.stop()
    assert (await grant(deps, made.id)).status == GrantStatus.REVOKED
    assert not scheduler.running
    await scheduler.stop()  # a second stop is harmless
    scheduler.on_grant_active(made.id, clock() + timedelta(hours=1))  # ignored once stopped


async def test_a_revocation_cut_short_is_finished_when_its_lease_lapses(
    h: BotHarness, clock: MovableClock
) -> None:
    deps = h.workflow.d
    iam = SlowIam()
    iam.policies, iam.explode = h.iam.policies, 1
    deps.iam = iam
    made = await make_grant(deps, duration=timedelta(minutes=15))
    clock.advance(timedelta(minutes=16))
    sweeper = Sweeper(deps)
    assert await sweeper.run() == 0  # the bug: logged, the lease stays
    row = await grant(deps, made.id)
    assert row.status == GrantStatus.REVOKING and row.claimed_by == deps.owner
    assert await sweeper.run() == 0  # leased: nobody touches it yet
    clock.advance(LEASE + timedelta(seconds=1))
    assert await sweeper.run() == 1
    assert (await grant(deps, made.id)).status == GrantStatus.REVOKED


async def test_a_lease_left_by_a_dead_replica_is_taken_over(
    h: BotHarness, clock: MovableClock
) -> None:
    deps = h.workflow.d
    made = await make_grant(deps, duration=timedelta(minutes=15))
    async with deps.sessions() as session, session.begin():
        row = await session.get(type(made), made.id)
        assert row is not None
        row.status, row.revoke_reason = GrantStatus.REVOKING, "expired"
        row.claimed_by, row.claim_until = "dead-replica", clock() + timedelta(seconds=30)
    assert await Sweeper(deps).run() == 0
    clock.advance(timedelta(seconds=31))
    assert await Sweeper(deps).run() == 1


async def test_job_failures_do_not_stop_the_scheduler(h: BotHarness) -> None:
    runs: list[int] = []

    async def flaky() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("boom")

    runner = JobRunner()
    await runner.run("flaky", flaky)
    await runner.run("flaky", flaky)
    assert runs == [0, 1]


async def test_a_wake_during_a_run_makes_one_more_pass() -> None:
    runner, passes, gate = JobRunner(), [], asyncio.Event()

    async def job() -> None:
        passes.append(1)
        if len(passes) == 1:
            await gate.wait()

    first = asyncio.create_task(runner.run("j", job))
    await asyncio.sleep(0.01)
    await asyncio.gather(*(runner.run("j", job) for _ in range(3)))  # all while it runs
    gate.set()
    await first
    assert len(passes) == 2


async def test_an_extension_moves_the_grant_date_job(h: BotHarness) -> None:
    deps = h.workflow.d
    async with running_scheduler(deps, sweep=3600) as scheduler:
        made = await make_grant(deps, duration=timedelta(minutes=15))
        assert made.expires_at is not None
        later = made.expires_at + timedelta(hours=1)
        scheduler.on_grant_active(made.id, later)  # what Granter.extend calls
        assert scheduler._aps is not None
        jobs = [j for j in scheduler._aps.get_jobs() if j.id == f"expire-{made.id}"]
        assert [j.args for j in jobs] == [(later,)]
        assert abs((jobs[0].next_run_time - later).total_seconds()) < 1


async def test_a_user_revoke_racing_the_sweep_ends_the_grant_once(
    h: BotHarness, clock: MovableClock
) -> None:
    deps = h.workflow.d
    iam = SlowIam()
    iam.policies, iam.delay = h.iam.policies, 0.3
    deps.iam = iam
    made = await make_grant(deps, duration=timedelta(minutes=15))
    clock.advance(timedelta(minutes=16))

    async def click_revoke() -> None:
        async def swept() -> bool:  # the sweep has the row and is inside the slow delete
            return (await grant(deps, made.id)).status == GrantStatus.REVOKING

        await wait_for(swept)
        await h.workflow.revoker.revoke(made.id, reason="revoked", actor=made.user_id)

    swept, _ = await asyncio.gather(Sweeper(deps).run(), click_revoke())
    assert swept in (0, 1)  # 0 when the click finished first
    assert iam.detached.count(made.id) == 2  # both really ran; deleting twice is harmless
    assert len(await audit(deps, "grant.revoked", made.id)) == 1
    ended = [m for m in h.emu.dms_to(made.user_id) if f"Access `{made.id}`" in m.text]
    assert len(ended) == 1
    assert h.metrics.registry.get_sample_value("dbab_revocations_total", {"reason": "expired"}) == 1
