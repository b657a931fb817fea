"""The Slack emulator speaks the real protocol: a real bolt AsyncApp drives it over Socket Mode."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond, AsyncSay
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.support.slack_emulator import (
    APP_ID,
    BOT_USER_ID,
    DEFAULT_CHANNEL_ID,
    AckTimeoutError,
    SlackEmulator,
)

ALICE = "U0ALICE001"
BOB = "U0BOB00001"
DBA_GROUP = "S0DBAGROUP"

REQUEST_MODAL_BLOCKS: list[dict[str, Any]] = [
    {
        "type": "input",
        "block_id": "db",
        "label": {"type": "plain_text", "text": "Database"},
        "element": {
            "type": "static_select",
            "action_id": "pick",
            "options": [
                {"text": {"type": "plain_text", "text": "orders (prod)"}, "value": "orders-prod"},
                {"text": {"type": "plain_text", "text": "users (staging)"}, "value": "users-stg"},
            ],
        },
    },
    {
        "type": "input",
        "block_id": "level",
        "label": {"type": "plain_text", "text": "Access"},
        "element": {
            "type": "radio_buttons",
            "action_id": "choice",
            "options": [
                {"text": {"type": "plain_text", "text": "Read"}, "value": "read"},
                {"text": {"type": "plain_text", "text": "Write"}, "value": "write"},
            ],
        },
    },
    {
        "type": "input",
        "block_id": "reason",
        "label": {"type": "plain_text", "text": "Reason"},
        "element": {"type": "plain_text_input", "action_id": "text"},
    },
    {
        "type": "input",
        "block_id": "ticket",
        "optional": True,
        "label": {"type": "plain_text", "text": "Ticket"},
        "element": {"type": "url_text_input", "action_id": "url"},
    },
]


@dataclass
class Seen:
    """What the bot's listeners observed, for assertions."""

    bodies: list[dict[str, Any]] = field(default_factory=list)

    def of(self, kind: str) -> list[dict[str, Any]]:
        """Bodies whose payload type (or event type) is kind."""
        return [
            b
            for b in self.bodies
            if b.get("type") == kind or b.get("event", {}).get("type") == kind
        ]


def build_app(client: AsyncWebClient, seen: Seen) -> AsyncApp:
    """A tiny db-access-style bot exercising commands, buttons, modals and App Home."""
    app = AsyncApp(client=client, logger=logging.getLogger("emulated-bot"))

    @app.command("/db-access")
    async def command(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, say: AsyncSay
    ) -> None:
        """Dispatch on the command text."""
        seen.bodies.append({"type": "slash", **body})
        text = body["text"].strip()
        if text == "ping":
            await ack("pong")
        elif text == "request":
            await ack()
            await client.views_open(
                trigger_id=body["trigger_id"],
                view={
                    "type": "modal",
                    "callback_id": "request_access",
                    "private_metadata": body["channel_id"],
                    "title": {"type": "plain_text", "text": "Request access"},
                    "submit": {"type": "plain_text", "text": "Request"},
                    "blocks": REQUEST_MODAL_BLOCKS,
                },
            )
        elif text == "approval":
            await ack()
            await say(
                text="Access request",
                blocks=[
                    {"type": "section", "text": {"type": "mrkdwn", "text": "Alice wants orders"}},
                    {
                        "type": "actions",
                        "block_id": "decide",
                        "elements": [
                            {
                                "type": "button",
                                "action_id": "approve",
                                "value": "req-42",
                                "text": {"type": "plain_text", "text": "Approve"},
                                "style": "primary",
                            },
                            {
                                "type": "static_select",
                                "action_id": "duration",
                                "options": [
                                    {
                                        "text": {"type": "plain_text", "text": "1 hour"},
                                        "value": "1h",
                                    },
                                    {
                                        "text": {"type": "plain_text", "text": "4 hours"},
                                        "value": "4h",
                                    },
                                ],
                            },
                        ],
                    },
                ],
            )
        else:
            await ack()

    @app.action("approve")
    async def approve(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        """Approve: update the request message in place and tell the clicker."""
        await ack()
        seen.bodies.append(body)
        await client.chat_update(
            channel=body["channel"]["id"],
            ts=body["message"]["ts"],
            text=f"Approved by <@{body['user']['id']}>",
            blocks=[],
        )
        await respond(text="Thanks, approved.", replace_original=False)

    @app.action("duration")
    async def duration(ack: AsyncAck, body: dict[str, Any]) -> None:
        """Record a duration choice."""
        await ack()
        seen.bodies.append(body)

    @app.view("request_access")
    async def submit(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Validate the request form; DM the requester on success."""
        seen.bodies.append(body)
        values = body["view"]["state"]["values"]
        reason = values["reason"]["text"]["value"] or ""
        if len(reason) < 10:
            await ack(
                response_action="errors", errors={"reason": "Please explain why (10+ characters)."}
            )
            return
        await ack()
        dm = await client.conversations_open(users=body["user"]["id"])
        await client.chat_postMessage(channel=dm["channel"]["id"], text="Request received")

    @app.event("app_home_opened")
    async def home(event: dict[str, Any], client: AsyncWebClient, body: dict[str, Any]) -> None:
        """Publish the App Home."""
        seen.bodies.append(body)
        await client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [
                    {"type": "section", "text": {"type": "mrkdwn", "text": "*Your grants*"}},
                    {
                        "type": "actions",
                        "elements": [
                            {
                                "type": "button",
                                "action_id": "refresh",
                                "text": {"type": "plain_text", "text": "↻"},
                            }
                        ],
                    },
                ],
            },
        )

    @app.action("refresh")
    async def refresh(ack: AsyncAck, body: dict[str, Any]) -> None:
        """Record a click in the App Home."""
        await ack()
        seen.bodies.append(body)

    return app


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


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    """A running emulator; on failure its transcript is printed."""
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


@pytest_asyncio.fixture
async def bot(emu: SlackEmulator) -> AsyncIterator[Bot]:
    """A connected bot, closed after the test."""
    running = await start_bot(emu)
    yield running
    await running.handler.close_async()


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
async def test_apps_connections_open_rejects_bot_token(emu: SlackEmulator) -> None:
    """Only app-level tokens may open connections; bot tokens are refused."""
    client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
    with pytest.raises(SlackApiError) as raised:
        await client.apps_connections_open(app_token=emu.bot_token)
    assert raised.value.response["error"] == "not_allowed_token_type"
    app_auth = await client.auth_test(token=emu.app_token)
    assert app_auth["ok"] and app_auth["app_id"] == APP_ID


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


@pytest.mark.asyncio
async def test_directory_methods(emu: SlackEmulator) -> None:
    """users.info and usergroups.users.list answer like Slack, including errors."""
    emu.add_user("U0SERVICE1", "deploy-bot", is_bot=True)
    client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
    alice = (await client.users_info(user=ALICE))["user"]
    assert alice["profile"]["email"] == "alice@example.com" and alice["real_name"] == "Alice Doe"
    assert "email" not in (await client.users_info(user=BOB))["user"]["profile"]
    assert (await client.users_info(user="U0SERVICE1"))["user"]["is_bot"] is True
    with pytest.raises(SlackApiError) as missing:
        await client.users_info(user="U0NOBODY01")
    assert missing.value.response["error"] == "user_not_found"

    members = await client.usergroups_users_list(usergroup=DBA_GROUP)
    assert members["users"] == [ALICE, BOB]
    with pytest.raises(SlackApiError) as no_group:
        await client.usergroups_users_list(usergroup="S0MISSING1")
    assert no_group.value.response["error"] == "no_such_subteam"
    assert [c.method for c in emu.calls] == ["users.info"] * 4 + ["usergroups.users.list"] * 2


@pytest.mark.asyncio
async def test_chat_semantics_and_failure_injection(emu: SlackEmulator) -> None:
    """DMs by user id, chat.update/delete errors, fail_next, unknown methods, bad tokens."""
    client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
    posted = await client.chat_postMessage(channel=BOB, text="hi Bob")
    assert posted["channel"] == emu.dm_channel(BOB)
    opened = await client.conversations_open(users=BOB)
    assert opened["channel"]["id"] == posted["channel"] and opened["already_open"]
    assert [m.text for m in emu.dms_to(BOB)] == ["hi Bob"]

    with pytest.raises(SlackApiError) as unknown:
        await client.chat_update(channel=posted["channel"], ts="1.000001", text="x")
    assert unknown.value.response["error"] == "message_not_found"
    await client.chat_delete(channel=posted["channel"], ts=posted["ts"])
    assert emu.dms_to(BOB) == []

    emu.fail_next("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError) as injected:
        await client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="x")
    assert injected.value.response["error"] == "channel_not_found"
    form_blocks = await client.api_call(
        "chat.postMessage",
        data={"channel": DEFAULT_CHANNEL_ID, "text": "t", "blocks": '[{"type": "divider"}]'},
    )
    assert emu.calls[-1].params["blocks"] == [{"type": "divider"}]
    assert form_blocks["message"]["blocks"][0]["type"] == "divider"

    with pytest.raises(SlackApiError) as no_method:
        await client.api_call("chat.teleport")
    assert no_method.value.response["error"] == "unknown_method"
    assert emu.calls[-1].method == "chat.teleport"
    with pytest.raises(SlackApiError) as bad_token:
        await client.auth_test(token="xoxp-a-user-token")
    assert bad_token.value.response["error"] == "invalid_auth"
    assert "chat.teleport" in emu.transcript()


@pytest.mark.asyncio
async def test_explicit_tokens_are_the_only_ones_accepted() -> None:
    """With tokens given to the constructor, other xoxb-/xapp- tokens get invalid_auth."""
    async with SlackEmulator(bot_token="xoxb-only-this", app_token="xapp-only-this") as emu:
        client = AsyncWebClient(token="xoxb-only-this", base_url=emu.api_url)
        assert (await client.auth_test())["user_id"] == BOT_USER_ID
        assert (await client.apps_connections_open(app_token="xapp-only-this"))["ok"]
        for token in ("xoxb-other", "xapp-other"):
            with pytest.raises(SlackApiError) as raised:
                await client.auth_test(token=token)
            assert raised.value.response["error"] == "invalid_auth"
