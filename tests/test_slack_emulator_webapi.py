"""The Slack emulator's Web API answers like Slack: tokens, directory, chat, injected failures."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.support.emulated_bot import ALICE, BOB, DBA_GROUP, emulator_with_people
from tests.support.slack_emulator import APP_ID, BOT_USER_ID, DEFAULT_CHANNEL_ID, SlackEmulator


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    """A running emulator; on failure its transcript is printed."""
    async with emulator_with_people() as emulator:
        yield emulator


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
