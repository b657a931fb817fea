"""The request modal: switching databases, and submitting with inline errors."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.asks import Ask, database_names
from bot.breakglass import BreakGlass, check_breakglass
from bot.catalog.database import DatabaseSpec
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
from bot.slack.actions import VALUE, ActionId, BlockId, CallbackId
from bot.slack.views import STALE_NOTE
from bot.start_times import check_start
from handlers.common import (
    action_reply,
    dm_reply,
    guarded,
    ops,
    state_value,
    tracked,
    workflow,
)

T = TypeVar("T")


def register(app: AsyncApp) -> None:
    """Attach the request-form listeners."""
    app.action(ActionId.PICK_DATABASE)(tracked(on_pick_database))
    app.options(ActionId.PICK_DATABASE)(tracked(on_database_options))
    app.view(CallbackId.REQUEST)(tracked(on_request_submitted))


def _picked(entry: dict[str, Any]) -> list[str]:
    """The values chosen in a (multi) select, from an action or from a view's state."""
    options = entry.get("selected_options")
    if options is None and entry.get("selected_option"):
        options = [entry["selected_option"]]
    return [str(o.get("value")) for o in options or []]


async def on_pick_database(
    ack: Any, body: dict[str, Any], respond: Any, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Rebuild the form so level and duration offer only what the picked databases allow."""
    await ack()
    view, user = body.get("view"), body["user"]["id"]
    if not isinstance(view, dict):  # a menu in a message: no version of the bot sent one
        await action_reply(body, respond, client)(STALE_NOTE)
        return
    picked = _picked(body["actions"][0])
    if not picked:
        return  # nothing picked: the field stays empty and says so when submitted
    # A refusal (say, no longer a requester of anything) arrives as a DM; the form stays.
    form = await guarded(
        dm_reply(client, user), lambda: ops(context).request_form(picked, actor_id=user)
    )
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


def _databases(view: dict[str, Any]) -> list[str]:
    entry = (
        view.get("state", {})
        .get("values", {})
        .get(BlockId.DATABASE, {})
        .get(ActionId.PICK_DATABASE)
    )
    if entry is not None:
        return _picked(entry)
    return [n for n in str(view.get("private_metadata", "")).split(",") if n]


def _start(context: AsyncBoltContext, view: dict[str, Any]) -> datetime | None:
    entry = view.get("state", {}).get("values", {}).get(BlockId.START, {}).get(VALUE) or {}
    picked = entry.get("selected_date_time")
    if picked is None:
        return None
    d = workflow(context).d
    return check_start(d.catalog, datetime.fromtimestamp(int(picked), UTC), now=d.clock())


def _on_each(dbs: list[DatabaseSpec], check: Callable[[DatabaseSpec, str], T], value: str) -> T:
    """check(db, value) on every database (the first that refuses names itself); the result."""
    results = [check(db, value) for db in dbs]
    return results[0]


def _breakglass_problem(dbs: list[DatabaseSpec], fields: dict[str, Any]) -> dict[str, str]:
    """Break-glass is one database, now, within its break-glass rules."""
    if len(dbs) > 1:
        return {
            BlockId.DATABASE: "Break-glass works on one database at a time; pick only the "
            "one you need now (or untick break-glass to ask for several)."
        }
    if fields[BlockId.START] is not None:
        return {
            BlockId.START: "Break-glass is for right now; leave the start empty (or untick "
            "break-glass to ask for access that starts later)."
        }
    try:
        check_breakglass(
            dbs[0], fields[BlockId.LEVEL].value, format_duration(fields[BlockId.DURATION])
        )
    except InputError as exc:
        return {exc.field or BlockId.BREAKGLASS: exc.user_message}
    return {}


def _collect(context: AsyncBoltContext, view: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    """Validate every field for every database; return the request and the inline errors."""
    catalog = workflow(context).d.catalog
    errors: dict[str, str] = {}
    try:
        picked = _databases(view)
        if not picked:
            raise InputError("Pick at least one database.", field=BlockId.DATABASE)
        dbs = [check_database(catalog, name) for name in database_names(picked)]
    except InputError as exc:
        return None, {BlockId.DATABASE: exc.user_message}
    level, duration = (
        state_value(view, BlockId.LEVEL) or "",
        state_value(view, BlockId.DURATION) or "",
    )
    checks = {
        BlockId.LEVEL: lambda: _on_each(dbs, check_level, level),
        BlockId.DURATION: lambda: _on_each(dbs, check_duration, duration),
        BlockId.REASON: lambda: check_reason(state_value(view, BlockId.REASON)),
        BlockId.TICKET: lambda: check_ticket(state_value(view, BlockId.TICKET)),
        BlockId.START: lambda: _start(context, view),
    }
    fields: dict[str, Any] = {}
    for block, check in checks.items():
        try:
            fields[block] = check()
        except InputError as exc:
            errors[block] = exc.user_message
    if errors:
        return None, errors
    if _breaking(view):
        problem = _breakglass_problem(dbs, fields)
        if problem:
            return None, problem
    return Ask(
        tuple(
            ValidRequest(
                db,
                fields[BlockId.LEVEL],
                fields[BlockId.DURATION],
                fields[BlockId.REASON],
                fields[BlockId.TICKET],
                fields[BlockId.START],
            )
            for db in dbs
        )
    ), {}


async def _breakglass_refusal(
    breaking: BreakGlass, user: str, valid: ValidRequest
) -> dict[str, str]:
    """The inline error when user may not break the glass (or Slack cannot say)."""
    try:
        if await breaking.may_break_glass(user, valid.database):
            return {}
    except NotAuthorized as exc:
        return {BlockId.BREAKGLASS: exc.user_message}
    return {
        BlockId.BREAKGLASS: f"You are not on the break-glass list of "
        f"{valid.database.name}; untick this to ask for approval."
    }


async def on_request_submitted(
    ack: Any,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """File the request, or keep the modal open with errors next to the fields."""
    ask, errors = _collect(context, view)
    user = body["user"]["id"]
    reply = dm_reply(client, user)
    breaking = BreakGlass(workflow(context)) if _breaking(view) else None
    if not errors and breaking is not None:
        errors = await _breakglass_refusal(breaking, user, ask.parts[0])
    if errors:
        await ack(response_action="errors", errors=errors)
        await guarded(
            reply, lambda: workflow(context).note(user, "request.rejected", problems=errors)
        )
        return
    await ack()
    if breaking is not None:
        await guarded(reply, lambda: breaking.use(user, ask.parts[0]))
        return
    await guarded(reply, lambda: workflow(context).submit(user, ask))
