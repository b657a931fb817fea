"""Settings and a Slack emulator for running `check --online` against the real test servers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.config import Settings
from tests.support.harness import PEOPLE
from tests.support.slack_emulator import SlackEmulator


@asynccontextmanager
async def slack_with_people() -> AsyncIterator[SlackEmulator]:
    """A running Slack emulator that knows the test people."""
    async with SlackEmulator() as emulator:
        for user_id, (name, email) in PEOPLE.items():
            emulator.add_user(user_id, name, email=email)
        yield emulator


def settings_for(emu: SlackEmulator, privatebin_url: str, state_url: str) -> Settings:
    """Settings aimed at emu, PrivateBin at privatebin_url and the state store at state_url."""
    return Settings(
        slack_bot_token="xoxb-check",
        slack_app_token="xapp-check",
        slack_api_url=emu.api_url,
        privatebin_url=privatebin_url,
        database_url=state_url,
    )
