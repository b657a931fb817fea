"""The Slack emulator drops Socket Mode connections the way Slack does, and bolt reconnects."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.support.emulated_bot import Bot, emulator_with_people, running_bot, start_bot
from tests.support.slack_emulator import SlackEmulator


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    """A running emulator; on failure its transcript is printed."""
    async with emulator_with_people() as emulator:
        yield emulator


@pytest_asyncio.fixture
async def bot(emu: SlackEmulator) -> AsyncIterator[Bot]:
    """A connected bot, closed after the test."""
    async with running_bot(emu) as running:
        yield running


@pytest.mark.asyncio
async def test_disconnect_message_makes_sdk_reconnect(bot: Bot) -> None:
    """Slack's disconnect message leads to a new apps.connections.open and websocket."""
    emu = bot.emu
    since = len(emu.calls)
    await emu.send_disconnect()
    await emu.wait_for_call("apps.connections.open", since=since)
    await emu.wait_connected(count=2)
    assert emu.connection_count == 2
    assert await emu.slash_command("ping") == {"text": "pong"}


@pytest.mark.asyncio
async def test_graceful_server_close_makes_sdk_reconnect(bot: Bot) -> None:
    """A server-side close frame makes the SDK reconnect at once."""
    emu = bot.emu
    await emu.drop_connections(graceful=True)
    await emu.wait_connected(count=2)
    assert len([c for c in emu.calls if c.method == "apps.connections.open"]) == 2
    assert await emu.slash_command("ping") == {"text": "pong"}


@pytest.mark.asyncio
async def test_abrupt_drop_makes_sdk_reconnect(emu: SlackEmulator) -> None:
    """A TCP abort is noticed by the SDK's monitor (every ping_interval) and repaired."""
    running = await start_bot(emu, ping_interval=0.2)
    try:
        await emu.drop_connections()
        assert not emu.connected
        await emu.wait_connected(count=2)
        assert len([c for c in emu.calls if c.method == "apps.connections.open"]) == 2
        assert await emu.slash_command("ping") == {"text": "pong"}
    finally:
        await running.handler.close_async()
