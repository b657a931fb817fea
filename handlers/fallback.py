"""Interactions no other listener takes: stale buttons and forms, forged or malformed payloads.

Slack shows the user an error for every interaction that is not acked within three seconds,
which is what bolt does when no listener matches. These listeners are registered last and
match anything, so a button or form from an older version of the bot (or a payload nobody's
client would send) is acked and gets a short note instead. A payload too broken to route
(no user, no action) is acked by ``reject_malformed`` before bolt builds listener arguments
from it, which would otherwise fail with a traceback.
"""

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.views import STALE_NOTE, stale_form_modal
from handlers.common import action_reply, dm_reply, guarded, tracked, workflow

log = logging.getLogger(__name__)
ANYTHING = re.compile(r".*", re.DOTALL)
INTERACTIVE = {
    "block_actions",
    "block_suggestion",
    "view_submission",
    "view_closed",
    "shortcut",
    "message_action",
}
MAX_AUDITED_ID = 64


def register(app: AsyncApp) -> None:
    """Attach the catch-all listeners; call after every other module registered its own."""
    app.action(ANYTHING)(tracked(on_unknown_action))
    app.view(ANYTHING)(tracked(on_unknown_form))
    app.view_closed(ANYTHING)(on_closed_form)
    app.options(ANYTHING)(on_unknown_options)
    app.shortcut(ANYTHING)(tracked(on_unknown_shortcut))


def malformed(body: Any) -> str | None:
    """Why an interactive payload cannot be routed to any listener (None when it can)."""
    if not isinstance(body, dict) or body.get("type") not in INTERACTIVE:
        return None  # slash commands and events are routed by bolt's own checks
    kind, user = body["type"], body.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        return f"{kind} without a user"
    if kind == "block_actions":
        actions = body.get("actions")
        first = actions[0] if isinstance(actions, list) and actions else None
        if not isinstance(first, dict) or not isinstance(first.get("action_id"), str):
            return "block_actions without an action"
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("callback_id"), str):
            return f"{kind} without a view"
    return None


class RejectMalformed(AsyncMiddleware):
    """Ack (and log one line about) a payload no listener could be given."""

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Any
    ) -> BoltResponse | None:
        """Stop here with an empty ack for a malformed payload; else go on."""
        problem = malformed(req.body)
        if problem is None:
            return await next()
        log.warning("acked and ignored a malformed Slack payload: %s", problem)
        return BoltResponse(status=200, body="")


def _audit_id(value: Any) -> str:
    return str(value or "")[:MAX_AUDITED_ID]


async def on_unknown_action(
    ack: Any, body: dict[str, Any], respond: Any, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """A button or menu this version has no listener for."""
    await ack()
    user, action_id = body["user"]["id"], body["actions"][0]["action_id"]
    reply = action_reply(body, respond, client)

    async def act() -> None:
        await workflow(context).note(
            user, "interaction.unknown", kind="block_actions", id=_audit_id(action_id)
        )
        await reply(STALE_NOTE)

    await guarded(reply, act)


async def on_unknown_form(
    ack: Any,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """A modal this version has no listener for: say so in place of the form."""
    await ack(response_action="update", view=stale_form_modal())
    user = body["user"]["id"]
    await guarded(
        dm_reply(client, user),
        lambda: workflow(context).note(
            user, "interaction.unknown", kind="view_submission", id=_audit_id(view["callback_id"])
        ),
    )


async def on_closed_form(ack: Any) -> None:
    """Our modals never ask to hear about closing; a view_closed needs only its ack."""
    await ack()


async def on_unknown_options(ack: Any) -> None:
    """Options for a menu this version does not have: none."""
    await ack(options=[])


async def on_unknown_shortcut(
    ack: Any, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """A shortcut this app does not offer (any more)."""
    await ack()
    user = body["user"]["id"]
    reply = dm_reply(client, user)

    async def act() -> None:
        await workflow(context).note(
            user,
            "interaction.unknown",
            kind=str(body["type"]),
            id=_audit_id(body.get("callback_id")),
        )
        await reply(STALE_NOTE)

    await guarded(reply, act)
