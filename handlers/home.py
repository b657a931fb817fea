"""The App Home tab and its Request access button."""

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.actions import ActionId
from handlers.common import dm_reply, guarded, ops, tracked


def register(app: AsyncApp) -> None:
    """Attach the App Home listeners."""
    app.event("app_home_opened")(tracked(on_home_opened))
    app.action(ActionId.OPEN_FORM)(tracked(on_open_form))


async def on_home_opened(
    event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Publish the user's grants, pending requests and, for approvers, what waits for them."""
    if event.get("tab") not in (None, "home"):
        return
    user = event["user"]

    async def act() -> None:
        await client.views_publish(user_id=user, view=await ops(context).home(user))

    await guarded(dm_reply(client, user), act)


async def on_open_form(
    ack: Any, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Open the request modal from the App Home."""
    await ack()
    user = body["user"]["id"]

    async def act() -> None:
        view = await ops(context).open_request_form(user)
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    await guarded(dm_reply(client, user), act)
