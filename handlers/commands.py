"""The /db-access slash command: parse, ack at once, then act and answer ephemerally."""

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot import grammar
from bot.errors import InputError
from bot.manifest import COMMAND
from bot.policy import validate
from handlers.common import ephemeral_reply, guarded, ops, workflow


def register(app: AsyncApp) -> None:
    """Attach the slash command listener."""
    app.command(COMMAND)(on_command)


async def on_command(ack: Any, command: dict[str, Any], respond: Any, client: AsyncWebClient,
                     context: AsyncBoltContext) -> None:
    """Handle every form of /db-access."""
    try:
        parsed = grammar.parse(command.get("text", ""))
        if isinstance(parsed, grammar.Request):
            valid = validate(workflow(context).d.catalog, database=parsed.database,
                             level=parsed.level, duration=parsed.duration, reason=parsed.reason)
    except InputError as exc:
        await ack(text=exc.user_message)
        return
    if isinstance(parsed, grammar.Help):
        await ack(text=grammar.USAGE)
        return
    await ack()
    user = command["user_id"]
    reply = ephemeral_reply(respond)
    g = ops(context)

    async def act() -> None:
        match parsed:
            case grammar.OpenForm():
                await client.views_open(trigger_id=command["trigger_id"], view=g.request_form())
            case grammar.Request():
                await reply((await workflow(context).submit(user, valid)).message)
            case grammar.ListMine():
                await respond(blocks=await g.list_mine(user), text="Your database access",
                              response_type="ephemeral")
            case grammar.Token(grant_id):
                await reply(await g.new_token(user, grant_id))
            case grammar.Extend(grant_id, duration):
                await reply((await g.extend(user, grant_id, duration)).message)
            case grammar.Revoke(grant_id):
                done = await g.revoke(user, grant_id)
                ended = f" {done.sessions_ended} session(s) ended." if done.sessions_ended else ""
                await reply(f"Grant `{grant_id}` was already revoked." if done.already
                            else f":lock: Revoked grant `{grant_id}`.{ended}")
            case grammar.Audit(database, since):
                await respond(blocks=await g.audit(user, database, since), text="Audit trail",
                              response_type="ephemeral")

    await guarded(reply, act)
