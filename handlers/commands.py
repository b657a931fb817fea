"""The /db-access slash command: parse, ack at once, then act and answer ephemerally."""

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot import grammar
from bot.asks import validate_ask
from bot.breakglass import BreakGlass, validate_breakglass
from bot.errors import InputError
from bot.slack.manifest import COMMAND
from bot.start_times import check_start, parse_start
from handlers.common import ephemeral_reply, guarded, ops, tracked, workflow

MAX_AUDITED_TEXT = 300


def register(app: AsyncApp) -> None:
    """Attach the slash command listener."""
    app.command(COMMAND)(tracked(on_command))


async def on_command(
    ack: Any,
    command: dict[str, Any],
    respond: Any,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Handle every form of /db-access."""
    text, user = command.get("text", ""), command["user_id"]
    reply = ephemeral_reply(respond)
    w, g = workflow(context), ops(context)
    try:
        parsed = grammar.parse(text)
        if isinstance(parsed, grammar.Request):
            starts_at = (
                None
                if parsed.at is None
                else check_start(w.d.catalog, parse_start(parsed.at), now=w.d.clock())
            )
            ask = validate_ask(
                w.d.catalog,
                databases=parsed.database,
                level=parsed.level,
                duration=parsed.duration,
                reason=parsed.reason,
                starts_at=starts_at,
                for_user=parsed.for_user,
            )
        elif isinstance(parsed, grammar.BreakGlass):
            valid = validate_breakglass(
                w.d.catalog,
                database=parsed.database,
                level=parsed.level,
                duration=parsed.duration,
                reason=parsed.reason,
            )
    except InputError as exc:
        # The ack text is shown at once, only to the user; nothing else happens.
        problem = exc.user_message
        await ack(text=problem)
        await guarded(
            reply,
            lambda: w.note(user, "command.rejected", text=text[:MAX_AUDITED_TEXT], problem=problem),
        )
        return
    if isinstance(parsed, grammar.Help):
        await ack(text=grammar.USAGE)
    else:
        await ack()
    verb = (text.split() or ["form"])[0].lower()

    async def act() -> None:
        await w.note(user, "command.received", verb=verb, text=text[:MAX_AUDITED_TEXT])
        match parsed:
            case grammar.OpenForm():
                await client.views_open(
                    trigger_id=command["trigger_id"], view=await g.open_request_form(user)
                )
            case grammar.Request():
                await reply((await w.submit(user, ask)).message)
            case grammar.Withdraw(request_id):
                await reply(await w.withdrawals.withdraw(user, request_id))
            case grammar.BreakGlass():
                await reply((await BreakGlass(w).use(user, valid)).message)
            case grammar.ListMine():
                blocks, summary = await g.list_mine(user)
                await respond(blocks=blocks, text=summary, response_type="ephemeral")
            case grammar.Token(grant_id):
                await reply(await g.new_token(user, grant_id))
            case grammar.Extend(grant_id, duration):
                await reply((await g.extend(user, grant_id, duration)).message)
            case grammar.Revoke(grant_id):
                await reply((await g.revoke(user, grant_id)).summary())
            case grammar.Audit(database, since):
                blocks, summary = await g.audit(user, database, since)
                await respond(blocks=blocks, text=summary, response_type="ephemeral")

    await guarded(reply, act)
