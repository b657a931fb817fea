"""Every step boundary × every fault, in process: the scheduler repairs, the invariants hold.

Faults: a provider failure injected just before the side effect (or the commit) at the
boundary, and, where Slack comes next, Slack's own refusals from the emulator. Killing the
process at each boundary is the job of test_crash_matrix_kill.py.
"""

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot import failpoints
from bot.domain import GrantStatus, StepStatus
from bot.failpoints import BOUNDARIES, Boundary
from bot.lifecycle import Lifecycle
from bot.slack.actions import ActionId
from bot.store.models import AuditEvent, Step
from scheduler.sweeps import Sweeper
from tests.e2e import helpers as x
from tests.lifecycle import crash_support as cs
from tests.scheduler.support import MovableClock
from tests.support import catalogs
from tests.support.fakes import FAKE_SIGNATURE
from tests.support.harness import BotHarness


@pytest.fixture(autouse=True)
def _disarm() -> AsyncIterator[None]:
    yield
    failpoints.disarm_all()


def test_every_boundary_has_a_scenario() -> None:
    missing = {point.step for point in BOUNDARIES.values()} - set(cs.SCENARIOS)
    assert not missing, f"no crash-matrix scenario reaches steps {missing}; add one"
    assert len(cs.cases()) >= len(BOUNDARIES)


async def _recover(h: BotHarness, clock: MovableClock) -> None:
    """Let time pass with the scheduler's jobs running until nothing is left to do."""
    deps = h.workflow.d
    lifecycle = Lifecycle(deps)
    for _ in range(12):
        clock.advance(timedelta(minutes=3))  # leases lapse, backoffs end
        await lifecycle.steps.run_due()
        await Sweeper(deps, lifecycle).run()
        steps = await h.rows(Step, Step.status == StepStatus.PENDING)
        busy = [
            g for g in await h.grants() if g.status in (GrantStatus.GRANTING, GrantStatus.REVOKING)
        ]
        if not steps and not busy:
            return


async def _approve_if_pending(h: BotHarness) -> None:
    found = cs.pending_card(h.emu, await h.requests())
    if found is not None:
        request_id, card = found
        await h.emu.click(
            user_id=catalogs.APPROVER,
            action_id=ActionId.APPROVE,
            value=request_id,
            message=(card.channel, card.ts),
        )
        await h.settle()


def _arm(h: BotHarness, point: Boundary, fault: str, fired: list[str]) -> None:
    """At the boundary: record that it was reached, then fail the way `fault` says."""

    async def strike(reached: Boundary) -> None:
        fired.append(reached.name)
        if fault == "raise":
            await failpoints.fail(reached)
        for method in ("chat.postMessage", "chat.update"):
            h.emu.fail_next(method, fault)

    failpoints.arm(point.name, strike)


@pytest.mark.parametrize(("boundary", "fault"), cs.cases())
async def test_fault_at_a_boundary_is_repaired(
    h: BotHarness, clock: MovableClock, caplog: pytest.LogCaptureFixture, boundary: str, fault: str
) -> None:
    point = BOUNDARIES[boundary]
    scenario = cs.SCENARIOS[point.step]
    grant = await x.request_and_approve(h, cs.LINE) if scenario.needs_grant else None
    fired: list[str] = []
    _arm(h, point, fault, fired)

    async def command(text: str) -> None:
        await h.command(text)
        await _recover(h, clock)

    async def approve() -> None:
        await _approve_if_pending(h)
        await _recover(h, clock)

    # A later start lies past the first recovery's minutes, so it is approved ahead.
    await cs.act(
        scenario, grant, command=command, approve=approve, start_at=clock() + timedelta(minutes=10)
    )
    assert fired == [boundary], f"the scenario never reached {boundary}"
    for method in ("chat.postMessage", "chat.update"):
        h.emu.web_api.failures[method].clear()  # a refusal armed but not used
    await _recover(h, clock)

    cs.assert_invariants(
        cs.State(
            requests=await h.requests(),
            grants=await h.grants(),
            steps=await h.rows(Step),
            audit=await h.rows(AuditEvent),
            policies={gid for found in h.iam.policies.values() for gid in found},
            keys=cs.message_keys(h.emu),
            dms={user: x.dm_texts(h, user) for user in (catalogs.DEV,)},
            log=caplog.text,
        ),
        secrets=(FAKE_SIGNATURE, "#-FakeKey"),
    )
    if scenario.act in ("request", "schedule"):  # the link, or why it could not be made
        assert any(
            "paste.test" in d or "could not create the login link" in d
            for d in x.dm_texts(h, catalogs.DEV)
        ), h.emu.transcript()
