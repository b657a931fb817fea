"""Buttons on a grant (New token, Extend, Revoke) and the extend modal."""

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.actions import ActionId, BlockId, CallbackId
from handlers.common import (
    action_reply,
    action_value,
    dm_reply,
    guarded,
    ops,
    state_value,
    tracked,
)


def register(app: AsyncApp) -> None:
    """Attach the grant-button listeners."""
    app.action(ActionId.NEW_TOKEN)(tracked(on_new_token))
    app.action(ActionId.EXTEND)(tracked(on_extend))
    app.action(ActionId.REVOKE)(tracked(on_revoke))
    app.view(CallbackId.EXTEND)(tracked(on_extend_submitted))


async def on_new_token(
    ack: Any, body: dict[str, Any], respond: Any, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Mint and DM a fresh one-time link."""
    await ack()
    reply = action_reply(body, respond, client)

    async def act() -> None:
        await reply(await ops(context).new_token(body["user"]["id"], action_value(body)))

    await guarded(reply, act)


async def on_extend(
    ack: Any, body: dict[str, Any], respond: Any, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Open the extend modal."""
    await ack()

    async def act() -> None:
        view = await ops(context).extend_form(body["user"]["id"], action_value(body))
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    await guarded(action_reply(body, respond, client), act)


async def on_revoke(
    ack: Any, body: dict[str, Any], respond: Any, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """End a grant now."""
    await ack()
    reply = action_reply(body, respond, client)

    async def act() -> None:
        await reply((await ops(context).revoke(body["user"]["id"], action_value(body))).summary())

    await guarded(reply, act)


async def on_extend_submitted(
    ack: Any,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """File the extension request."""
    await ack()
    user = body["user"]["id"]
    reply = dm_reply(client, user)

    async def act() -> None:
        await ops(context).extend(
            user,
            view["private_metadata"],
            state_value(view, BlockId.DURATION) or "",
            state_value(view, BlockId.REASON),
        )

    await guarded(reply, act)
