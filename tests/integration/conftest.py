"""Fixtures the `check --online` tests share."""

from collections.abc import AsyncIterator

import pytest

from tests.support.online_check_setup import slack_with_people
from tests.support.slack_emulator import SlackEmulator


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    """A Slack emulator that knows the test people."""
    async with slack_with_people() as emulator:
        yield emulator
