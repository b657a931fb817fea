"""The Withdraw button on a pending request (in the requester's DM, `list` and the App Home)."""

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.actions import ActionId
from handlers.common import action_reply, action_value, guarded, tracked, workflow


def register(app: AsyncApp) -> None:
    """Attach the withdraw listener."""
    app.action(ActionId.WITHDRAW)(tracked(on_withdraw))


async def on_withdraw(
    ack: Any, body: dict[str, Any], respond: Any, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Take back the request the button names (only its requester or filer may)."""
    await ack()
    reply = action_reply(body, respond, client)

    async def act() -> None:
        await reply(
            await workflow(context).withdrawals.withdraw(body["user"]["id"], action_value(body))
        )

    await guarded(reply, act)
