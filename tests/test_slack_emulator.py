"""The Slack emulator speaks the real protocol: a real bolt AsyncApp drives it over Socket Mode."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from slack_sdk.errors import SlackApiError

from tests.support.emulated_bot import ALICE, BOB, Bot, emulator_with_people, running_bot
from tests.support.slack_emulator import (
    APP_ID,
    BOT_USER_ID,
    DEFAULT_CHANNEL_ID,
    AckTimeoutError,
    SlackEmulator,
)


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
async def test_connects_with_app_token_and_receives_hello(bot: Bot) -> None:
    """apps.connections.open uses the xapp token; the SDK receives Slack's hello."""
    emu = bot.emu
    opened = await emu.wait_for_call("apps.connections.open")
    assert opened.token == emu.app_token
    assert opened.response["url"].startswith(f"ws://127.0.0.1:{emu.port}/link/?ticket=")
    assert emu.connected and emu.connection_count == 1
    await emu.wait_until(lambda: bot.received)
    hello = bot.received[0]
    assert hello["type"] == "hello"
    assert hello["connection_info"] == {"app_id": APP_ID}
    assert hello["num_connections"] == 1 and "host" in hello["debug_info"]


@pytest.mark.asyncio
async def test_slash_command_ack_text_comes_back(bot: Bot) -> None:
    """ack("pong") arrives as the envelope ack payload, with Slack's payload fields."""
    ack = await bot.emu.slash_command("ping", user_id=ALICE)
    assert ack == {"text": "pong"}
    assert 0 < ack.elapsed < 3 and ack.within_deadline
    body = bot.seen.of("slash")[0]
    assert body["user_id"] == ALICE and body["user_name"] == "alice"
    assert body["command"] == "/db-access" and body["channel_name"] == "general"
    assert body["response_url"].startswith(bot.emu.base_url + "/response/")
    assert set(body) >= {
        "token",
        "team_id",
        "team_domain",
        "api_app_id",
        "trigger_id",
        "is_enterprise_install",
    }


@pytest.mark.asyncio
async def test_unmatched_command_times_out_without_ack(bot: Bot) -> None:
    """Bolt sends no ack when no listener matches; the emulator reports that clearly."""
    with pytest.raises(AckTimeoutError, match="no ack"):
        await bot.emu.slash_command("x", command="/unknown", timeout=0.5)


@pytest.mark.asyncio
async def test_message_posted_after_ack_then_button_click(bot: Bot) -> None:
    """say() after ack posts a message; clicking its button reaches app.action and updates it."""
    emu = bot.emu
    assert await emu.slash_command("approval", user_id=ALICE) == {}
    posted = await emu.wait_for_call("chat.postMessage")
    assert posted.token == emu.bot_token and posted.params["channel"] == DEFAULT_CHANNEL_ID
    channel, ts = posted.response["channel"], posted.response["ts"]
    assert [m.text for m in emu.messages_in(DEFAULT_CHANNEL_ID)] == ["Access request"]

    since = len(emu.calls)
    ack = await emu.click(user_id=BOB, action_id="approve", message=(channel, ts))
    assert ack == {}
    body = bot.seen.of("block_actions")[0]
    assert body["user"]["id"] == BOB and body["user"]["username"] == "bob"
    assert body["actions"][0]["value"] == "req-42"
    assert body["actions"][0]["block_id"] == "decide"
    assert body["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": channel,
        "is_ephemeral": False,
    }
    assert body["message"]["blocks"][1]["elements"][0]["action_id"] == "approve"

    await emu.wait_for_call("chat.update", since=since)
    reply = await emu.wait_for_call("response_url", since=since)
    assert reply.params["text"] == "Thanks, approved."
    assert emu.messages[(channel, ts)].text == f"Approved by <@{BOB}>"
    assert emu.ephemerals_to(BOB)[0].text == "Thanks, approved."
    assert emu.responses == [reply]


@pytest.mark.asyncio
async def test_select_choice_on_message(bot: Bot) -> None:
    """Choosing a static_select option sends the full option and state, as Slack does."""
    emu = bot.emu
    await emu.slash_command("approval", user_id=ALICE)
    posted = await emu.wait_for_call("chat.postMessage")
    key = (posted.response["channel"], posted.response["ts"])
    await emu.click(user_id=ALICE, action_id="duration", message=key, selected_option="4h")
    body = bot.seen.of("block_actions")[0]
    option = {"text": {"type": "plain_text", "text": "4 hours"}, "value": "4h"}
    assert body["actions"][0]["type"] == "static_select"
    assert body["actions"][0]["selected_option"] == option
    assert body["state"]["values"]["decide"]["duration"]["selected_option"] == option
    with pytest.raises(LookupError, match="no option"):
        await emu.click(user_id=ALICE, action_id="duration", message=key, selected_option="9y")


@pytest.mark.asyncio
async def test_modal_submission_errors_then_success(bot: Bot) -> None:
    """views.open stores the modal; view_submission acks carry response_action errors."""
    emu = bot.emu
    await emu.slash_command("request", user_id=ALICE)
    opened = await emu.wait_for_call("views.open")
    view_id = opened.response["view"]["id"]
    assert view_id.startswith("V") and emu.views[view_id].callback_id == "request_access"

    values = {"db": {"pick": "orders-prod"}, "level": {"choice": "read"}, "reason": {"text": "pls"}}
    ack = await emu.submit_view(view_id, user_id=ALICE, values=values)
    assert ack == {
        "response_action": "errors",
        "errors": {"reason": "Please explain why (10+ characters)."},
    }
    assert not emu.views[view_id].closed

    values["reason"]["text"] = "Investigating INC-123 on orders"
    assert await emu.submit_view(view_id, user_id=ALICE, values=values) == {}
    assert emu.views[view_id].closed
    state = bot.seen.of("view_submission")[-1]["view"]["state"]["values"]
    assert state["db"]["pick"] == {
        "type": "static_select",
        "selected_option": {
            "text": {"type": "plain_text", "text": "orders (prod)"},
            "value": "orders-prod",
        },
    }
    assert state["level"]["choice"]["selected_option"]["value"] == "read"
    assert state["ticket"]["url"] == {"type": "url_text_input", "value": None}
    assert bot.seen.of("view_submission")[-1]["view"]["private_metadata"] == DEFAULT_CHANNEL_ID

    await emu.wait_until(lambda: emu.dms_to(ALICE))
    assert emu.dms_to(ALICE)[0].text == "Request received"
    assert emu.dm_channel(ALICE).startswith("D")


@pytest.mark.asyncio
async def test_trigger_ids_are_single_use(bot: Bot) -> None:
    """A trigger_id opens one modal only, as on Slack."""
    await bot.emu.slash_command("request", user_id=ALICE)
    opened = await bot.emu.wait_for_call("views.open")
    assert opened.ok
    with pytest.raises(SlackApiError) as raised:
        await bot.app.client.views_open(
            trigger_id=opened.params["trigger_id"], view=opened.params["view"]
        )
    assert raised.value.response["error"] == "exchanged_trigger_id"


@pytest.mark.asyncio
async def test_app_home_opened_publishes_home_and_click_in_home(bot: Bot) -> None:
    """app_home_opened makes the bot call views.publish; a home button click carries the view."""
    emu = bot.emu
    assert await emu.app_home_opened(ALICE) == {}
    published = await emu.wait_for_call("views.publish")
    assert published.params["user_id"] == ALICE
    home = emu.home_of(ALICE)
    assert home is not None and home.type == "home"
    event_body = bot.seen.of("app_home_opened")[0]
    assert event_body["type"] == "event_callback"
    assert event_body["authorizations"][0]["user_id"] == BOT_USER_ID

    await emu.click(user_id=ALICE, action_id="refresh", view_id=home.id)
    clicked = bot.seen.of("block_actions")[0]
    assert clicked["container"] == {"type": "view", "view_id": home.id}
    assert clicked["view"]["type"] == "home" and "response_url" not in clicked
