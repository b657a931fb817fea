"""`db-access-bot run` as a real process: Socket Mode, help reply, health, clean SIGTERM."""

import asyncio
import json
import time
from pathlib import Path

import pytest

from tests.support.bot_process import BotProcess
from tests.support.catalogs import BASE
from tests.support.slack_emulator import SlackEmulator


@pytest.fixture
def catalog_file(tmp_path: Path) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(json.dumps(BASE))  # JSON is YAML
    return path


async def test_run_answers_help_reports_health_and_stops_on_sigterm(
        tmp_path: Path, catalog_file: Path, state_url: str) -> None:
    emu = SlackEmulator()
    await emu.start()
    bot = BotProcess(env={
        "SLACK_BOT_TOKEN": "xoxb-run-test", "SLACK_APP_TOKEN": "xapp-run-test",
        "SLACK_API_URL": emu.api_url, "DATABASE_URL": state_url,
        "DB_ACCESS_CATALOG": str(catalog_file), "PRIVATEBIN_URL": "http://127.0.0.1:9",
        "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    }, log_path=tmp_path / "bot.log").start()
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
