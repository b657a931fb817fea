"""Fixtures: the bot on the emulator with fakes, a clock the test moves, and its scheduler."""

from collections.abc import AsyncIterator

import pytest

from tests.scheduler.support import MovableClock
from tests.support.harness import BotHarness


@pytest.fixture
def clock() -> MovableClock:
    """A clock starting at wall time."""
    return MovableClock()


@pytest.fixture
async def h(state_url: str, clock: MovableClock) -> AsyncIterator[BotHarness]:
    """A running bot (base catalog, fakes) whose Deps use the movable clock."""
    async with BotHarness(state_url) as harness:
        harness.workflow.d.clock = clock
        yield harness
