"""Break-glass crosses the lifecycle's boundaries like any approval: a fault anywhere is repaired.

The crash matrix's faults (tests/lifecycle) at every boundary a grant's steps cross, with a
break-glass as the action: afterwards the lifecycle's invariants hold, and the loud card and
the admin's alert are in Slack exactly once.
"""

from collections.abc import AsyncIterator

import pytest

from bot import failpoints
from bot.failpoints import BOUNDARIES
from bot.store.models import AuditEvent, Step
from tests.e2e import helpers as x
from tests.lifecycle import crash_support as cs
from tests.lifecycle.test_crash_matrix import _arm, _recover
from tests.scheduler.support import MovableClock
from tests.support import catalogs
from tests.support.fakes import FAKE_SIGNATURE
from tests.support.harness import BotHarness

STEPS = ("provision", "deliver", "message")
CASES = [case for case in cs.cases() if BOUNDARIES[case[0]].step in STEPS]


@pytest.fixture(autouse=True)
def _disarm() -> AsyncIterator[None]:
    yield
    failpoints.disarm_all()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def h(state_url: str, clock: MovableClock) -> AsyncIterator[BotHarness]:
    data = catalogs.catalog_data()
    data["databases"]["orders-prod"]["breakglass"] = {"users": [catalogs.DEV], "levels": ["rw"]}
    async with BotHarness(state_url, catalog=catalogs.make_catalog(data)) as harness:
        harness.workflow.d.clock = clock
        yield harness


def test_the_cases_cover_every_boundary_of_a_grant() -> None:
    assert {BOUNDARIES[name].step for name, _ in CASES} == set(STEPS)


@pytest.mark.parametrize(("boundary", "fault"), CASES)
async def test_a_fault_during_break_glass_is_repaired(
    h: BotHarness, clock: MovableClock, caplog: pytest.LogCaptureFixture, boundary: str, fault: str
) -> None:
    fired: list[str] = []
    _arm(h, BOUNDARIES[boundary], fault, fired)
    await h.command("breakglass orders-prod rw 1h primary down")
    await _recover(h, clock)
    assert fired == [boundary], f"break-glass never reached {boundary}"
    for method in ("chat.postMessage", "chat.update"):
        h.emu.web_api.failures[method].clear()
    await _recover(h, clock)

    steps = await h.rows(Step)
    cs.assert_invariants(
        cs.State(
            requests=await h.requests(),
            grants=await h.grants(),
            steps=steps,
            audit=await h.rows(AuditEvent),
            policies={gid for found in h.iam.policies.values() for gid in found},
            keys=cs.message_keys(h.emu),
            dms={catalogs.DEV: x.dm_texts(h, catalogs.DEV)},
            log=caplog.text,
        ),
        secrets=(FAKE_SIGNATURE, "#-FakeKey"),
    )
    [request] = await h.requests()
    keys = cs.message_keys(h.emu)
    assert keys[f"card:{request.id}"] == 1
    assert keys[f"dm:{catalogs.ADMIN}:breakglass:{request.id}"] == 1
    assert "BREAK-GLASS" in h.card_of(request.id).text
    assert len(await h.audit("breakglass.used")) == 1
