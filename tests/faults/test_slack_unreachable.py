"""Slack unreachable: `run` logs one plain warning per attempt and stops promptly on a signal."""

import asyncio
import json
import signal
import time
from pathlib import Path
from typing import Any

from tests.support.bot_process import BotProcess, offline_bot
from tests.support.ports import free_port
from tests.support.slack_emulator import SlackEmulator

STOP_BUDGET = 10  # seconds: the README promises it, Kubernetes' grace period is 30


def socket_warnings(bot: BotProcess) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in bot.output().splitlines() if line.startswith("{")]
    return [
        line for line in lines if line["logger"] == "bot.socket_mode" and line["level"] == "WARNING"
    ]


def wait_for_warnings(bot: BotProcess, count: int, timeout: float = 45) -> None:
    deadline = time.monotonic() + timeout
    while len(socket_warnings(bot)) < count:
        assert bot.process is not None and bot.process.poll() is None, bot.output()
        assert time.monotonic() < deadline, bot.output()
        time.sleep(0.1)


def assert_calm(bot: BotProcess) -> None:
    output = bot.output()
    assert "Traceback" not in output and '"exception"' not in output, output
    assert max(len(line) for line in output.splitlines()) < 700


async def test_sigterm_stops_the_bot_while_slack_cannot_be_reached(
    tmp_path: Path, state_url: str
) -> None:
    port = free_port()
    bot = offline_bot(
        f"http://127.0.0.1:{port}/api/", state_url, tmp_path, token="unreachable"
    ).start()
    try:
        await asyncio.to_thread(wait_for_warnings, bot, 2)
        assert bot.health("/healthz") == 503
        bot.signal(signal.SIGTERM)
        assert await asyncio.to_thread(bot.wait, STOP_BUDGET) == 0, bot.output()
    finally:
        bot.kill()
    assert_calm(bot)
    warnings = socket_warnings(bot)
    assert len(warnings) == 2, warnings  # one per attempt, ten seconds apart
    for warning in warnings:
        assert f"Cannot connect to host 127.0.0.1:{port}" in warning["message"]
        assert "retrying in 10 s" in warning["message"]
        assert "SLACK_API_URL" in warning["message"]


async def test_sigint_stops_the_bot_right_after_a_failed_attempt(
    tmp_path: Path, state_url: str
) -> None:
    bot = offline_bot(
        f"http://127.0.0.1:{free_port()}/api/", state_url, tmp_path, token="interrupted"
    ).start()
    try:
        await asyncio.to_thread(wait_for_warnings, bot, 1)
        bot.signal(signal.SIGINT)
        assert await asyncio.to_thread(bot.wait, STOP_BUDGET) == 0, bot.output()
    finally:
        bot.kill()
    assert_calm(bot)


async def test_a_refused_app_token_is_named_with_what_to_fix(
    tmp_path: Path, state_url: str
) -> None:
    async with SlackEmulator(app_token="xapp-the-one-slack-knows") as emu:
        bot = offline_bot(emu.api_url, state_url, tmp_path, token="not-that-one").start()
        try:
            await asyncio.to_thread(wait_for_warnings, bot, 1)
            assert bot.health("/healthz") == 503
            bot.signal(signal.SIGTERM)
            assert await asyncio.to_thread(bot.wait, STOP_BUDGET) == 0, bot.output()
        finally:
            bot.kill()
    assert_calm(bot)
    [warning] = socket_warnings(bot)
    assert "Slack answered invalid_auth" in warning["message"]
    assert "SLACK_APP_TOKEN" in warning["message"]


async def test_slack_going_away_is_reported_calmly_and_sigterm_still_stops(
    tmp_path: Path, state_url: str
) -> None:
    emu = SlackEmulator()
    await emu.start()
    bot = offline_bot(emu.api_url, state_url, tmp_path, token="went-away").start()
    try:
        await asyncio.to_thread(bot.wait_health, 200)
        await emu.stop()  # Slack is gone: the socket closes and cannot be opened again
        await asyncio.to_thread(bot.wait_health, 503)
        await asyncio.to_thread(wait_for_warnings, bot, 2)
        bot.signal(signal.SIGTERM)
        assert await asyncio.to_thread(bot.wait, STOP_BUDGET) == 0, bot.output()
    finally:
        bot.kill()
        await emu.stop()
    assert_calm(bot)
    lines = [json.loads(line) for line in bot.output().splitlines() if line.startswith("{")]
    assert [line for line in lines if line["level"] == "ERROR"] == []
    assert all(
        "reconnecting failed" in w["message"] and "SLACK_API_URL" in w["message"]
        for w in socket_warnings(bot)
    )
