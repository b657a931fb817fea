"""The request modal: switching database, and submitting with inline errors."""

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.actions import VALUE, ActionId, BlockId, CallbackId
from bot.breakglass import BreakGlass, check_breakglass
from bot.durations import format_duration
from bot.errors import InputError, NotAuthorized
from bot.policy import (
    ValidRequest,
    check_database,
    check_duration,
    check_level,
    check_reason,
    check_ticket,
)
from bot.views import STALE_NOTE
from handlers.common import (
    action_reply,
    dm_reply,
    guarded,
    ops,
    state_value,
    tracked,
    workflow,
)


def register(app: AsyncApp) -> None:
    """Attach the request-form listeners."""
    app.action(ActionId.PICK_DATABASE)(tracked(on_pick_database))
    app.options(ActionId.PICK_DATABASE)(tracked(on_database_options))
    app.view(CallbackId.REQUEST)(tracked(on_request_submitted))


async def on_pick_database(ack: Any, body: dict[str, Any], respond: Any,
                           client: AsyncWebClient, context: AsyncBoltContext) -> None:
    """Rebuild the form so level and duration offer only what the picked database allows."""
    await ack()
    view, user = body.get("view"), body["user"]["id"]
    if not isinstance(view, dict):  # a menu in a message: no version of the bot sent one
        await action_reply(body, respond, client)(STALE_NOTE)
        return
    picked = (body["actions"][0].get("selected_option") or {}).get("value")
    # A refusal (say, no longer a requester of anything) arrives as a DM; the form stays.
    form = await guarded(dm_reply(client, user),
                         lambda: ops(context).request_form(picked, actor_id=user))
    if form is not None:
        await client.views_update(view_id=view["id"], hash=view.get("hash"), view=form)


async def on_database_options(ack: Any, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """Offer the databases matching what the user typed (large catalogs search as you type)."""
    typed, user = str(body.get("value") or ""), body["user"]["id"]
    await ack(**await ops(context).database_choices(typed, actor_id=user))


def _breaking(view: dict[str, Any]) -> bool:
    """Whether the break-glass box is ticked."""
    entry = view.get("state", {}).get("values", {}).get(BlockId.BREAKGLASS, {}).get(VALUE)
    return bool((entry or {}).get("selected_options"))


def _collect(context: AsyncBoltContext, view: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    """Validate every field; return the request and the inline errors by block."""
    catalog = workflow(context).d.catalog
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {}
    try:
        db = check_database(catalog, state_value(view, BlockId.DATABASE, ActionId.PICK_DATABASE)
                            or view.get("private_metadata", ""))
    except InputError as exc:
        return None, {BlockId.DATABASE: exc.user_message}
    checks = {
        BlockId.LEVEL: lambda: check_level(db, state_value(view, BlockId.LEVEL) or ""),
        BlockId.DURATION: lambda: check_duration(db, state_value(view, BlockId.DURATION) or ""),
        BlockId.REASON: lambda: check_reason(state_value(view, BlockId.REASON)),
        BlockId.TICKET: lambda: check_ticket(state_value(view, BlockId.TICKET)),
    }
    for block, check in checks.items():
        try:
            fields[block] = check()
        except InputError as exc:
            errors[block] = exc.user_message
    if errors:
        return None, errors
    if _breaking(view):
        try:
            check_breakglass(db, fields[BlockId.LEVEL].value,
                             format_duration(fields[BlockId.DURATION]))
        except InputError as exc:
            return None, {exc.field or BlockId.BREAKGLASS: exc.user_message}
    return ValidRequest(db, fields[BlockId.LEVEL], fields[BlockId.DURATION],
                        fields[BlockId.REASON], fields[BlockId.TICKET]), {}


async def _breakglass_refusal(breaking: BreakGlass, user: str,
                              valid: ValidRequest) -> dict[str, str]:
    """The inline error when user may not break the glass (or Slack cannot say)."""
    try:
        if await breaking.may_break_glass(user, valid.database):
            return {}
    except NotAuthorized as exc:
        return {BlockId.BREAKGLASS: exc.user_message}
    return {BlockId.BREAKGLASS: f"You are not on the break-glass list of "
                                f"{valid.database.name}; untick this to ask for approval."}


async def on_request_submitted(ack: Any, body: dict[str, Any], view: dict[str, Any],
                               client: AsyncWebClient, context: AsyncBoltContext) -> None:
    """File the request, or keep the modal open with errors next to the fields."""
    valid, errors = _collect(context, view)
    user = body["user"]["id"]
    reply = dm_reply(client, user)
    breaking = BreakGlass(workflow(context)) if _breaking(view) else None
    if not errors and breaking is not None:
        errors = await _breakglass_refusal(breaking, user, valid)
    if errors:
        await ack(response_action="errors", errors=errors)
        await guarded(reply, lambda: workflow(context).note(user, "request.rejected",
                                                            problems=errors))
        return
    await ack()
    if breaking is not None:
        await guarded(reply, lambda: breaking.use(user, valid))
        return
    await guarded(reply, lambda: workflow(context).submit(user, valid))
