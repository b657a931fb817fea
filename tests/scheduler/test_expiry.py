"""Grants end on time: the sweep and the date job revoke them; overlapping grants stay apart."""

from datetime import timedelta

from bot.domain import GrantStatus
from bot.slack.actions import ActionId
from bot.store.models import Grant
from scheduler import Scheduler, SchedulerConfig
from scheduler.sweeps import Sweeper
from tests.scheduler.support import (
    MovableClock,
    audit,
    catalog_with,
    grant,
    make_grant,
    running_scheduler,
    wait_for,
)
from tests.support import catalogs
from tests.support.harness import BotHarness


async def test_one_minute_grant_is_revoked_within_seconds_of_its_end(
    state_url: str, clock: MovableClock
) -> None:
    data = catalog_with({"orders-prod": {"durations": ["1m", "15m", "1h"]}})
    async with BotHarness(state_url, catalog=catalogs.make_catalog(data)) as h:
        deps = h.workflow.d
        deps.clock = clock
        async with running_scheduler(deps, sweep=0.2):
            await h.command("request orders-prod ro 1m checking INC-7")
            [request] = await h.requests()
            await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)
            [made] = await h.grants()
            assert made.status == GrantStatus.ACTIVE and made.expires_at is not None
            assert made.expires_at - made.created_at == timedelta(minutes=1)
            # Skip the minute itself; the sweep reads the Deps clock.
            clock.move_to(made.expires_at - timedelta(seconds=1))

            async def revoked() -> Grant | None:
                row = await grant(deps, made.id)
                return row if row.status == GrantStatus.REVOKED else None

            done = await wait_for(revoked, timeout=15)
        assert timedelta(0) <= done.revoked_at - made.expires_at < timedelta(seconds=10)
        assert done.revoke_reason == "expired"
        assert not h.iam.has(made.principal_arn, made.id)
        [event] = await audit(deps, "grant.revoked", made.id)
        assert event.details["reason"] == "expired" and event.details["lag_s"] < 10
        ended = [m for m in h.emu.dms_to(catalogs.DEV) if f"Access `{made.id}`" in m.text]
        assert ended and "reached its end time" in ended[-1].text, h.emu.transcript()
        card = h.card_of(request.id)
        assert f":lock: Access `{made.id}`" in str(card.blocks)
        sample = h.metrics.registry.get_sample_value
        assert sample("dbab_revocation_lag_seconds_count") == 1
        assert sample("dbab_revocation_lag_seconds_sum") < 10
        assert sample("dbab_revocations_total", {"reason": "expired"}) == 1


async def test_date_job_wakes_the_sweep_at_the_grant_end(h: BotHarness) -> None:
    deps = h.workflow.d
    # The interval sweep runs once at start and then not for an hour: only the date job is left.
    async with running_scheduler(deps, sweep=3600):
        made = await make_grant(deps, duration=timedelta(seconds=2))

        async def revoked() -> Grant | None:
            row = await grant(deps, made.id)
            return row if row.status == GrantStatus.REVOKED else None

        done = await wait_for(revoked, timeout=8)
    assert made.expires_at is not None
    assert done.revoked_at - made.expires_at < timedelta(seconds=3)
    assert not h.iam.has(made.principal_arn, made.id)


async def test_scheduler_plans_date_jobs_for_grants_made_before_it_started(h: BotHarness) -> None:
    deps = h.workflow.d
    # Long enough to be still ahead when the scheduler starts on a loaded machine.
    made = await make_grant(deps, duration=timedelta(seconds=6))
    async with running_scheduler(deps, sweep=3600) as scheduler:
        assert scheduler._aps is not None
        assert scheduler._aps.get_job(f"expire-{made.id}") is not None

        async def revoked() -> bool:
            return (await grant(deps, made.id)).status == GrantStatus.REVOKED

        await wait_for(revoked, timeout=20)


async def test_overlapping_grants_revoke_only_their_own_policy(
    h: BotHarness, clock: MovableClock
) -> None:
    deps = h.workflow.d
    sweeper = Sweeper(deps)
    early = await make_grant(deps, duration=timedelta(minutes=15))
    late = await make_grant(deps, duration=timedelta(hours=1))
    assert (early.db_user, early.principal_arn) == (late.db_user, late.principal_arn)
    h.dbadmin.sessions[("orders-prod", early.db_user)] = 2

    clock.advance(timedelta(minutes=16))
    assert await sweeper.run() == 1
    assert (await grant(deps, early.id)).status == GrantStatus.REVOKED
    assert (await grant(deps, late.id)).status == GrantStatus.ACTIVE
    assert not h.iam.has(early.principal_arn, early.id)
    assert h.iam.has(late.principal_arn, late.id)
    assert h.dbadmin.terminated == []  # the later grant still gives the same user
    [first] = await audit(deps, "grant.revoked", early.id)
    assert first.details["sessions_ended"] == 0

    clock.advance(timedelta(hours=1))
    assert await sweeper.run() == 1
    assert not h.iam.has(late.principal_arn, late.id)
    assert h.dbadmin.terminated == [("orders-prod", late.db_user)]
    [second] = await audit(deps, "grant.revoked", late.id)
    assert second.details["sessions_ended"] == 2
    ended = [m.text for m in h.emu.dms_to(catalogs.DEV) if f"Access `{late.id}`" in m.text]
    assert ended and "2 open session(s) were ended" in ended[-1]
    assert await sweeper.run() == 0


async def test_only_the_next_few_ends_have_date_jobs_and_later_ones_follow(h: BotHarness) -> None:
    deps = h.workflow.d
    users = [catalogs.DEV, catalogs.DEV2]
    before = [
        await make_grant(deps, user_id=users[i % 2], duration=timedelta(seconds=2 + 0.3 * i))
        for i in range(8)
    ]
    # The interval sweep runs once at start, then not for an hour: only wake-ups revoke.
    scheduler = Scheduler(
        deps, SchedulerConfig(sweep_interval=3600, reconcile_interval=3600, wakeups=3)
    )
    deps.on_grant_active = scheduler.on_grant_active
    await scheduler.start()
    jobs_seen: list[int] = []
    try:
        during = [
            await make_grant(deps, user_id=users[i % 2], duration=timedelta(seconds=2.1 + 0.3 * i))
            for i in range(4)
        ]
        ids = {g.id for g in before + during}

        async def all_revoked() -> bool:
            assert scheduler._aps is not None
            jobs_seen.append(sum(j.id.startswith("expire-") for j in scheduler._aps.get_jobs()))
            rows = [await grant(deps, gid) for gid in ids]
            return all(row.status == GrantStatus.REVOKED for row in rows)

        await wait_for(all_revoked, timeout=30)
    finally:
        await scheduler.stop()
        deps.on_grant_active = None
    assert max(jobs_seen) == 3  # never one job per grant, yet every grant's end was met
    assert len(await audit(deps, "grant.revoked")) == 12
