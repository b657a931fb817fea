"""A real bolt app connected to a running emulator over Socket Mode, as the bot connects."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from tests.support.emulated_bot_app import Seen, build_app
from tests.support.slack_emulator import SlackEmulator

ALICE = "U0ALICE001"
BOB = "U0BOB00001"
DBA_GROUP = "S0DBAGROUP"


@dataclass
class Bot:
    """A running bot wired to the emulator."""

    emu: SlackEmulator
    app: AsyncApp
    handler: AsyncSocketModeHandler
    seen: Seen
    received: list[dict[str, Any]]


async def start_bot(emu: SlackEmulator, *, ping_interval: float = 10) -> Bot:
    """Connect a real AsyncApp + AsyncSocketModeHandler to emu, the way the bot must."""
    seen = Seen()
    client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
    app = build_app(client, seen)
    handler = AsyncSocketModeHandler(app, emu.app_token, ping_interval=ping_interval)
    received: list[dict[str, Any]] = []

    async def capture(_client: Any, message: dict[str, Any], _raw: str | None) -> None:
        """Keep every message the SDK received."""
        received.append(message)

    handler.client.message_listeners.append(capture)
    await handler.connect_async()
    await emu.wait_connected()
    return Bot(emu, app, handler, seen, received)


@asynccontextmanager
async def emulator_with_people() -> AsyncIterator[SlackEmulator]:
    """A running emulator with Alice, Bob and their group; fails if it leaves tasks running."""
    before = asyncio.all_tasks()
    async with SlackEmulator() as emulator:
        emulator.add_user(ALICE, "alice", email="alice@example.com", real_name="Alice Doe")
        emulator.add_user(BOB, "bob")
        emulator.add_usergroup(DBA_GROUP, [ALICE, BOB])
        yield emulator
        print(emulator.transcript())
    for _ in range(20):
        leaked = [
            t
            for t in asyncio.all_tasks() - before
            if not t.done() and t is not asyncio.current_task()
        ]
        if not leaked:
            break
        await asyncio.sleep(0.01)
    assert not leaked, f"tasks left running: {leaked}"


@asynccontextmanager
async def running_bot(emu: SlackEmulator) -> AsyncIterator[Bot]:
    """A connected bot, closed afterwards."""
    running = await start_bot(emu)
    try:
        yield running
    finally:
        await running.handler.close_async()
