"""The bot on the Slack emulator with fake providers and a fresh state store, per test."""

from collections.abc import AsyncIterator

import pytest

from tests.support.harness import BotHarness


@pytest.fixture
async def h(state_url: str) -> AsyncIterator[BotHarness]:
    """A running bot with the base test catalog."""
    async with BotHarness(state_url) as harness:
        yield harness
