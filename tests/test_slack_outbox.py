"""The Slack adapter as the outbox uses it, on the emulator: keys, lookups, error kinds."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import MessageRef
from bot.errors import SlackError
from providers.slack import SlackWeb
from tests.support.slack_emulator import SlackEmulator

USER, CHANNEL = "U0ALICE1", "C0APPROVALS"


@pytest.fixture
async def slack() -> AsyncIterator[tuple[SlackWeb, SlackEmulator]]:
    emu = SlackEmulator()
    await emu.start()
    emu.add_user(USER, "alice", email="alice@example.com")
    try:
        yield SlackWeb(AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)), emu
    finally:
        await emu.stop()


async def test_a_keyed_message_is_found_again_and_others_are_not(slack) -> None:
    web, emu = slack
    since = datetime.now(UTC)
    sent = await web.dm(USER, text="your link is ready", key="deliver:g1:first")
    await web.dm(USER, text="unkeyed")
    assert await web.find_sent(key="deliver:g1:first", since=since, user_id=USER) == sent
    assert await web.find_sent(key="deliver:g2:first", since=since, user_id=USER) is None
    card = await web.post(CHANNEL, text="a card", key="card:r1")
    reply = await web.post(CHANNEL, text="a reminder", thread_ts=card.ts, key="post:C:remind")
    assert await web.find_sent(key="card:r1", since=since, channel=CHANNEL) == card
    assert await web.find_sent(
        key="post:C:remind", since=since, channel=CHANNEL, thread_ts=card.ts
    ) == MessageRef(CHANNEL, reply.ts)
    assert len(emu.dms_to(USER)) == 2


@pytest.mark.parametrize(
    ("fault", "retryable", "in_doubt", "posted"),
    [
        ("ratelimited", True, False, False),
        ("internal_error", True, True, False),
        ("http_500", True, True, False),
        ("http_500_after", True, True, True),
        ("not_in_channel", False, False, False),
        ("channel_not_found", False, False, False),
    ],
)
async def test_failures_say_whether_to_retry_and_whether_it_may_have_arrived(
    slack, fault: str, retryable: bool, in_doubt: bool, posted: bool
) -> None:
    web, emu = slack
    emu.fail_next("chat.postMessage", fault)
    with pytest.raises(SlackError) as caught:
        await web.post(CHANNEL, text="card", key="card:r9")
    assert (caught.value.retryable, caught.value.in_doubt) == (retryable, in_doubt)
    assert bool(emu.messages_in(CHANNEL)) == posted
    assert "xoxb" not in str(caught.value)
