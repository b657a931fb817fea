"""Reviewing a break-glass: Acknowledge and Flag on its card and in the admins' DMs."""

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.breakglass_review import BreakGlassReviews, check_note
from bot.errors import InputError
from bot.slack.actions import ActionId, BlockId, CallbackId
from handlers.common import (
    action_reply,
    action_value,
    dm_reply,
    guarded,
    state_value,
    tracked,
    workflow,
)


def register(app: AsyncApp) -> None:
    """Attach the break-glass review listeners."""
    app.action(ActionId.BREAKGLASS_ACK)(tracked(on_acknowledge))
    app.action(ActionId.BREAKGLASS_FLAG)(tracked(on_flag))
    app.view(CallbackId.BREAKGLASS_FLAG)(tracked(on_flag_submitted))


def reviews(context: AsyncBoltContext) -> BreakGlassReviews:
    """The review operations over the workflow the composition root injected."""
    return BreakGlassReviews(workflow(context))


async def on_acknowledge(
    ack: Any, body: dict[str, Any], respond: Any, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """An approver or admin acknowledged a break-glass."""
    await ack()
    reply = action_reply(body, respond, client)

    async def act() -> None:
        await reply(await reviews(context).acknowledge(action_value(body), body["user"]["id"]))

    await guarded(reply, act)


async def on_flag(
    ack: Any, body: dict[str, Any], respond: Any, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Open the modal asking what is wrong."""
    await ack()

    async def act() -> None:
        view = await reviews(context).flag_form(body["user"]["id"], action_value(body))
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    await guarded(action_reply(body, respond, client), act)


async def on_flag_submitted(
    ack: Any,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Flag with the note typed in the modal."""
    try:
        note = check_note(state_value(view, BlockId.NOTE))
    except InputError as exc:
        await ack(response_action="errors", errors={BlockId.NOTE: exc.user_message})
        return
    await ack()
    user = body["user"]["id"]
    reply = dm_reply(client, user)

    async def act() -> None:
        await reply(await reviews(context).flag(view["private_metadata"], user, note=note))

    await guarded(reply, act)
