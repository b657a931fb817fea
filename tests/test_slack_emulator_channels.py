"""The emulator knows who is in which channel: posting needs membership, as in Slack."""

import pytest
from slack_sdk.errors import SlackApiError

from bot.wiring import slack_client
from tests.support.slack_emulator import BOT_USER_ID, SlackEmulator


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        ({"bot_member": False}, "not_in_channel"),
        ({"archived": True}, "is_archived"),
        ({"private": True, "bot_member": False}, "channel_not_found"),
    ],
)
async def test_posting_where_the_bot_cannot_gets_slacks_error(
    setup: dict[str, bool], error: str
) -> None:
    async with SlackEmulator() as emu:
        emu.add_channel("C0CARDS", "cards", **setup)
        client = slack_client(emu.bot_token, emu.api_url)
        with pytest.raises(SlackApiError) as refused:
            await client.chat_postMessage(channel="C0CARDS", text="card")
        assert refused.value.response["error"] == error
        assert emu.messages_in("C0CARDS") == []


async def test_channels_never_added_take_posts_and_deleted_ones_do_not() -> None:
    async with SlackEmulator() as emu:
        client = slack_client(emu.bot_token, emu.api_url)
        await client.chat_postMessage(channel="C0ANYWHERE", text="hello")
        info = await client.conversations_info(channel="C0ANYWHERE")
        assert info["channel"]["is_member"] and not info["channel"]["is_private"]
        assert (await client.conversations_members(channel="C0ANYWHERE"))["members"] == [
            BOT_USER_ID
        ]
        emu.delete_channel("C0ANYWHERE")
        for call in (
            client.chat_postMessage(channel="C0ANYWHERE", text="x"),
            client.conversations_info(channel="C0ANYWHERE"),
        ):
            with pytest.raises(SlackApiError) as gone:
                await call
            assert gone.value.response["error"] == "channel_not_found"


async def test_reading_a_channel_needs_the_read_scope() -> None:
    async with SlackEmulator(bot_scopes={"chat:write"}) as emu:
        client = slack_client(emu.bot_token, emu.api_url)
        with pytest.raises(SlackApiError) as refused:
            await client.conversations_info(channel="C0CARDS")
        assert refused.value.response["error"] == "missing_scope"
        assert refused.value.response["needed"] == "channels:read"
