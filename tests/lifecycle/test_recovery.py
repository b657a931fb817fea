"""Steps a dead process left behind are finished by whoever runs the scheduler next."""

from datetime import timedelta

from bot.domain import GrantStatus, StepStatus
from bot.lifecycle import Lifecycle
from bot.steps import LEASE
from bot.store.models import Step
from tests.e2e import helpers as x
from tests.scheduler.support import CrashingIam, MovableClock, audit, grant, half_made, rows
from tests.support import catalogs
from tests.support.fakes import FakeDbAdmin, FakeIam, FakeMinter, FakeShare
from tests.support.harness import BotHarness, Providers


async def test_grants_killed_after_their_policy_are_completed_or_undone(
    state_url: str, clock: MovableClock
) -> None:
    providers = Providers(
        iam=CrashingIam(FakeIam()), minter=FakeMinter(), dbadmin=FakeDbAdmin(), share=FakeShare()
    )
    async with BotHarness(state_url, providers=providers) as h:
        deps = h.workflow.d
        deps.clock = clock
        steps = Lifecycle(deps).steps
        in_time = await half_made(deps, duration=timedelta(hours=1))
        too_late = await half_made(deps, user_id=catalogs.DEV2, duration=timedelta(minutes=2))
        assert in_time.status == too_late.status == GrantStatus.GRANTING
        assert h.iam.has(too_late.principal_arn, too_late.id)
        assert await steps.run_due() == 0  # their maker's lease still holds: maybe alive

        clock.advance(LEASE + timedelta(seconds=1))
        await steps.run_due()
        done = await grant(deps, in_time.id)
        assert done.status == GrantStatus.ACTIVE and done.claimed_by is None
        assert h.iam.has(done.principal_arn, done.id)
        links = [m for m in h.emu.dms_to(catalogs.DEV) if "https://paste.test/" in str(m.blocks)]
        assert len(links) == 1
        late = await grant(deps, too_late.id)
        assert (late.status, late.revoke_reason) == (GrantStatus.REVOKED, "grant_failed")
        assert not h.iam.has(late.principal_arn, late.id)
        told = x.dm_texts(h, catalogs.DEV2)
        assert any("could not be set up before its end" in t for t in told), told
        assert not any("paste.test" in t for t in told)
        assert len(await audit(deps, "grant.failed", too_late.id)) == 1
        left = [s for s in await rows(deps, Step) if s.status == StepStatus.PENDING]
        assert left == []
