"""Socket Mode dropped by Slack (abruptly, or with a disconnect envelope): the bot reconnects."""

import asyncio
import json
from pathlib import Path

from tests.support.bot_process import offline_bot
from tests.support.slack_emulator import SlackEmulator


async def test_bot_reconnects_and_healthz_follows(tmp_path: Path, state_url: str) -> None:
    async with SlackEmulator() as emu:
        bot = offline_bot(emu.api_url, state_url, tmp_path, token="drop").start()
        try:
            await asyncio.to_thread(bot.wait_health, 200)
            await emu.send_disconnect(reason="refresh_requested")
            await emu.wait_connected(timeout=20, count=2)
            assert (await emu.slash_command("help"))["text"].startswith("*`/db-access`*")
            await emu.drop_connections()  # abrupt: no close frame, like a network cut
            await asyncio.to_thread(bot.wait_health, 503, "/healthz", 60)
            await emu.wait_connected(timeout=60, count=3)
            await asyncio.to_thread(bot.wait_health, 200, "/healthz", 30)
            assert "help" in json.dumps(await emu.slash_command("help"))
            bot.signal()
            assert await asyncio.to_thread(bot.wait, 15) == 0
        finally:
            bot.kill()
