"""Socket Mode dropped by Slack (abruptly, or with a disconnect envelope): the bot reconnects."""

import asyncio
import json
from pathlib import Path

from tests.support.bot_process import BotProcess
from tests.support.catalogs import BASE
from tests.support.slack_emulator import SlackEmulator


async def test_bot_reconnects_and_healthz_follows(tmp_path: Path, state_url: str) -> None:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(json.dumps(BASE))
    async with SlackEmulator() as emu:
        bot = BotProcess(env={
            "SLACK_BOT_TOKEN": "xoxb-drop", "SLACK_APP_TOKEN": "xapp-drop",
            "SLACK_API_URL": emu.api_url, "DATABASE_URL": state_url,
            "DB_ACCESS_CATALOG": str(catalog), "PRIVATEBIN_URL": "http://127.0.0.1:9",
            "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        }, log_path=tmp_path / "bot.log").start()
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
