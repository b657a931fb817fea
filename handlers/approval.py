"""Approve, approve-with-changes and deny, from the approval card and its modals."""

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import InputError
from bot.policy import check_reason
from bot.slack.actions import ActionId, BlockId, CallbackId
from handlers.common import (
    action_reply,
    action_value,
    dm_reply,
    guarded,
    ops,
    state_value,
    tracked,
    workflow,
)


def register(app: AsyncApp) -> None:
    """Attach the approval listeners."""
    app.action(ActionId.APPROVE)(tracked(on_approve))
    app.action(ActionId.APPROVE_CHANGED)(tracked(on_approve_changed))
    app.action(ActionId.DENY)(tracked(on_deny))
    app.view(CallbackId.DENY)(tracked(on_deny_submitted))
    app.view(CallbackId.NARROW)(tracked(on_narrow_submitted))


async def on_approve(
    ack: Any, body: dict[str, Any], respond: Any, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """An approver clicked Approve on a card."""
    await ack()
    reply = action_reply(body, respond, client)

    async def act() -> None:
        await reply(await workflow(context).approve(action_value(body), body["user"]["id"]))

    await guarded(reply, act)


async def on_approve_changed(
    ack: Any, body: dict[str, Any], respond: Any, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Open the narrowing modal (a lower level or a shorter duration)."""
    await ack()

    async def act() -> None:
        view = await ops(context).narrow_form(body["user"]["id"], action_value(body))
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    await guarded(action_reply(body, respond, client), act)


async def on_deny(
    ack: Any, body: dict[str, Any], respond: Any, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Open the deny modal, which asks for a reason."""
    await ack()

    async def act() -> None:
        view = await ops(context).deny_form(body["user"]["id"], action_value(body))
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    await guarded(action_reply(body, respond, client), act)


async def on_deny_submitted(
    ack: Any,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Deny with the reason typed in the modal."""
    try:
        reason = check_reason(state_value(view, BlockId.REASON))
    except InputError as exc:
        await ack(response_action="errors", errors={BlockId.REASON: exc.user_message})
        return
    await ack()
    user = body["user"]["id"]
    reply = dm_reply(client, user)

    async def act() -> None:
        await workflow(context).deny(view["private_metadata"], user, reason=reason)

    await guarded(reply, act)


async def on_narrow_submitted(
    ack: Any,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Approve with the level and duration picked in the modal."""
    await ack()
    user = body["user"]["id"]
    reply = dm_reply(client, user)

    async def act() -> None:
        await workflow(context).approve(
            view["private_metadata"],
            user,
            level=state_value(view, BlockId.LEVEL),
            duration=state_value(view, BlockId.DURATION),
        )

    await guarded(reply, act)
