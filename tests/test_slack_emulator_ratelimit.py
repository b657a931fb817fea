"""The emulator answers 429 with Retry-After where Slack's tiers and per-channel limits do."""

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.support.slack_emulator import DEFAULT_CHANNEL_ID, SlackEmulator
from tests.support.slack_emulator_ratelimit import POST_BURST, RateLimits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_posts_are_one_per_second_per_channel_after_a_burst() -> None:
    clock = Clock()
    limits = RateLimits(clock=clock)
    admitted = [limits.retry_after("chat.postMessage", "C1") for _ in range(POST_BURST)]
    assert admitted == [None] * POST_BURST
    assert limits.retry_after("chat.postMessage", "C1") == 1
    assert limits.retry_after("chat.postMessage", "C2") is None  # another channel
    clock.now += 1.0
    assert limits.retry_after("chat.postMessage", "C1") is None
    assert limits.retry_after("chat.postMessage", "C1") == 1


def test_tiers_allow_a_minute_of_calls_at_once_then_refill_at_their_rate() -> None:
    clock = Clock()
    limits = RateLimits(clock=clock)
    assert all(limits.retry_after("chat.update", "C1") is None for _ in range(50))  # tier 3
    assert limits.retry_after("chat.update", "C2") == 2  # per method, not per channel: 1.2 s
    assert all(limits.retry_after("usergroups.users.list", None) is None for _ in range(20))
    assert limits.retry_after("usergroups.users.list", None) == 3  # tier 2: one every 3 s
    assert limits.retry_after("apps.connections.open", None) is None
    clock.now += 3.0
    assert limits.retry_after("usergroups.users.list", None) is None
    assert limits.retry_after("response_url", None) is None  # not a Web API method


def test_speed_refills_faster_but_keeps_whole_second_retry_after() -> None:
    clock = Clock()
    limits = RateLimits(speed=10, clock=clock)
    for _ in range(POST_BURST):
        limits.retry_after("chat.postMessage", "C1")
    assert limits.retry_after("chat.postMessage", "C1") == 1
    clock.now += 0.1
    assert limits.retry_after("chat.postMessage", "C1") is None


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator() as emulator:
        yield emulator


async def test_over_the_limit_is_http_429_with_retry_after_and_not_processed(
    emu: SlackEmulator,
) -> None:
    headers = {"Authorization": f"Bearer {emu.bot_token}"}
    statuses = []
    async with aiohttp.ClientSession() as session:
        for i in range(POST_BURST + 1):
            async with session.post(
                f"{emu.api_url}chat.postMessage",
                headers=headers,
                json={"channel": DEFAULT_CHANNEL_ID, "text": f"{i}"},
            ) as r:
                statuses.append((r.status, r.headers.get("Retry-After"), await r.json()))
    assert [s for s, _, _ in statuses[:-1]] == [200] * POST_BURST
    assert statuses[-1] == (429, "1", {"ok": False, "error": "ratelimited"})
    assert len(emu.messages_in(DEFAULT_CHANNEL_ID)) == POST_BURST
    assert [c.params["text"] for c in emu.throttled] == [f"{POST_BURST}"]
    assert "=> 429 Retry-After: 1" in emu.transcript()


async def test_rate_limits_can_be_turned_off() -> None:
    async with SlackEmulator(rate_limits=False) as emu, aiohttp.ClientSession() as session:
        for i in range(POST_BURST + 5):
            async with session.post(
                f"{emu.api_url}chat.postMessage",
                headers={"Authorization": f"Bearer {emu.bot_token}"},
                json={"channel": DEFAULT_CHANNEL_ID, "text": f"{i}"},
            ) as r:
                assert r.status == 200
        assert emu.throttled == []
