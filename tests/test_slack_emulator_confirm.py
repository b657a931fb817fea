"""The Slack emulator shows confirm dialogs: nothing is sent until the user answers."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.support.slack_emulator import DEFAULT_CHANNEL_ID, SlackEmulator

DIALOG = {
    "title": {"type": "plain_text", "text": "Approve rw on billing-prod for alice?"},
    "text": {"type": "plain_text", "text": "Holds card data."},
    "confirm": {"type": "plain_text", "text": "Approve"},
    "deny": {"type": "plain_text", "text": "Cancel"},
    "style": "danger",
}


def _button(dialog: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "approve",
                    "value": "r1",
                    "confirm": dialog,
                    "text": {"type": "plain_text", "text": "Approve"},
                }
            ],
        }
    ]


@pytest.fixture
async def bot() -> AsyncIterator[tuple[SlackEmulator, AsyncWebClient, list[str]]]:
    async with SlackEmulator() as emu:
        client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
        app = AsyncApp(client=client)
        clicks: list[str] = []

        @app.action("approve")
        async def approve(ack: AsyncAck, body: dict[str, Any]) -> None:
            await ack()
            clicks.append(body["user"]["id"])

        handler = AsyncSocketModeHandler(app, emu.app_token)
        await handler.connect_async()
        await emu.wait_connected()
        yield emu, client, clicks
        await handler.close_async()


async def test_a_click_waits_for_the_answer_to_its_dialog(
    bot: tuple[SlackEmulator, AsyncWebClient, list[str]],
) -> None:
    emu, client, clicks = bot
    posted = await client.chat_postMessage(
        channel=DEFAULT_CHANNEL_ID, text="card", blocks=_button(DIALOG)
    )
    where = (posted["channel"], posted["ts"])
    with pytest.raises(LookupError, match="asks to confirm first"):
        await emu.click(user_id="U0BOB00001", action_id="approve", message=where)
    await emu.click(user_id="U0BOB00001", action_id="approve", message=where, confirm=False)
    assert clicks == [] and emu.confirm_dialogs == [DIALOG]
    await emu.click(user_id="U0BOB00001", action_id="approve", message=where, confirm=True)
    await emu.wait_until(lambda: clicks)
    assert clicks == ["U0BOB00001"]
    assert "cancelled 'Approve rw on billing-prod for alice?'" in emu.transcript()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"title": {"type": "plain_text", "text": "t" * 101}}, "title attribute cannot exceed 100"),
        (
            {"text": {"type": "mrkdwn", "text": "x"}},
            "must be a plain_text object [json-pointer:/blocks/0/elements/0/confirm/text]",
        ),
        (
            {"confirm": {"type": "plain_text", "text": "c" * 31}},
            "confirm attribute cannot exceed 30",
        ),
        ({"style": "green"}, '"primary" or "danger"'),
    ],
)
async def test_dialogs_slack_would_refuse_are_refused(
    bot: tuple[SlackEmulator, AsyncWebClient, list[str]], change: dict[str, Any], problem: str
) -> None:
    emu, client, _ = bot
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(
            channel=DEFAULT_CHANNEL_ID, text="card", blocks=_button({**DIALOG, **change})
        )
    assert caught.value.response["error"] == "invalid_blocks"
    assert problem in str(caught.value.response["response_metadata"])
    assert len(emu.take_violations()) == 1
