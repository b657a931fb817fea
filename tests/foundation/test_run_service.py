"""`db-access-bot run` as a real process: Socket Mode, help reply, health, clean SIGTERM."""

import asyncio
import json
import time
from pathlib import Path

from tests.support.bot_process import offline_bot
from tests.support.slack_emulator import SlackEmulator


async def test_run_answers_help_reports_health_and_stops_on_sigterm(
    tmp_path: Path, state_url: str
) -> None:
    emu = SlackEmulator()
    await emu.start()
    bot = offline_bot(emu.api_url, state_url, tmp_path, token="run-test").start()
    try:
        await asyncio.to_thread(bot.wait_health, 200)
        assert await asyncio.to_thread(bot.health, "/readyz") == 200
        metrics = await asyncio.to_thread(bot.health, "/metrics")
        assert metrics == 200
        ack = await emu.slash_command("help")
        assert "/db-access request <db> <ro|rw> <duration> <reason…>" in ack["text"]
        await emu.stop()  # the socket closes and cannot come back
        await asyncio.to_thread(bot.wait_health, 503)
        started = time.monotonic()
        bot.signal()
        code = await asyncio.to_thread(bot.wait, 15)
        assert code == 0, bot.output()
        assert time.monotonic() - started < 10
        lines = [json.loads(line) for line in bot.output().splitlines() if line.startswith("{")]
        assert any(line["message"] == "db-access-bot stopped" for line in lines)
        assert "xoxb-run-test" not in bot.output() and "xapp-run-test" not in bot.output()
    finally:
        bot.kill()
        await emu.stop()
