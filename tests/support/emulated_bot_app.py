"""A tiny db-access-style bolt app the emulator tests drive: commands, buttons, modals, Home."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond, AsyncSay
from slack_sdk.web.async_client import AsyncWebClient

REQUEST_MODAL_BLOCKS: list[dict[str, Any]] = [
    {
        "type": "input",
        "block_id": "db",
        "label": {"type": "plain_text", "text": "Database"},
        "element": {
            "type": "static_select",
            "action_id": "pick",
            "options": [
                {"text": {"type": "plain_text", "text": "orders (prod)"}, "value": "orders-prod"},
                {"text": {"type": "plain_text", "text": "users (staging)"}, "value": "users-stg"},
            ],
        },
    },
    {
        "type": "input",
        "block_id": "level",
        "label": {"type": "plain_text", "text": "Access"},
        "element": {
            "type": "radio_buttons",
            "action_id": "choice",
            "options": [
                {"text": {"type": "plain_text", "text": "Read"}, "value": "read"},
                {"text": {"type": "plain_text", "text": "Write"}, "value": "write"},
            ],
        },
    },
    {
        "type": "input",
        "block_id": "reason",
        "label": {"type": "plain_text", "text": "Reason"},
        "element": {"type": "plain_text_input", "action_id": "text"},
    },
    {
        "type": "input",
        "block_id": "ticket",
        "optional": True,
        "label": {"type": "plain_text", "text": "Ticket"},
        "element": {"type": "url_text_input", "action_id": "url"},
    },
]


@dataclass
class Seen:
    """What the bot's listeners observed, for assertions."""

    bodies: list[dict[str, Any]] = field(default_factory=list)

    def of(self, kind: str) -> list[dict[str, Any]]:
        """Bodies whose payload type (or event type) is kind."""
        return [
            b
            for b in self.bodies
            if b.get("type") == kind or b.get("event", {}).get("type") == kind
        ]


def build_app(client: AsyncWebClient, seen: Seen) -> AsyncApp:
    """A tiny db-access-style bot exercising commands, buttons, modals and App Home."""
    app = AsyncApp(client=client, logger=logging.getLogger("emulated-bot"))

    @app.command("/db-access")
    async def command(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, say: AsyncSay
    ) -> None:
        """Dispatch on the command text."""
        seen.bodies.append({"type": "slash", **body})
        text = body["text"].strip()
        if text == "ping":
            await ack("pong")
        elif text == "request":
            await ack()
            await client.views_open(
                trigger_id=body["trigger_id"],
                view={
                    "type": "modal",
                    "callback_id": "request_access",
                    "private_metadata": body["channel_id"],
                    "title": {"type": "plain_text", "text": "Request access"},
                    "submit": {"type": "plain_text", "text": "Request"},
                    "blocks": REQUEST_MODAL_BLOCKS,
                },
            )
        elif text == "approval":
            await ack()
            await say(
                text="Access request",
                blocks=[
                    {"type": "section", "text": {"type": "mrkdwn", "text": "Alice wants orders"}},
                    {
                        "type": "actions",
                        "block_id": "decide",
                        "elements": [
                            {
                                "type": "button",
                                "action_id": "approve",
                                "value": "req-42",
                                "text": {"type": "plain_text", "text": "Approve"},
                                "style": "primary",
                            },
                            {
                                "type": "static_select",
                                "action_id": "duration",
                                "options": [
                                    {
                                        "text": {"type": "plain_text", "text": "1 hour"},
                                        "value": "1h",
                                    },
                                    {
                                        "text": {"type": "plain_text", "text": "4 hours"},
                                        "value": "4h",
                                    },
                                ],
                            },
                        ],
                    },
                ],
            )
        else:
            await ack()

    @app.action("approve")
    async def approve(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        """Approve: update the request message in place and tell the clicker."""
        await ack()
        seen.bodies.append(body)
        await client.chat_update(
            channel=body["channel"]["id"],
            ts=body["message"]["ts"],
            text=f"Approved by <@{body['user']['id']}>",
            blocks=[],
        )
        await respond(text="Thanks, approved.", replace_original=False)

    @app.action("duration")
    async def duration(ack: AsyncAck, body: dict[str, Any]) -> None:
        """Record a duration choice."""
        await ack()
        seen.bodies.append(body)

    @app.view("request_access")
    async def submit(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Validate the request form; DM the requester on success."""
        seen.bodies.append(body)
        values = body["view"]["state"]["values"]
        reason = values["reason"]["text"]["value"] or ""
        if len(reason) < 10:
            await ack(
                response_action="errors", errors={"reason": "Please explain why (10+ characters)."}
            )
            return
        await ack()
        dm = await client.conversations_open(users=body["user"]["id"])
        await client.chat_postMessage(channel=dm["channel"]["id"], text="Request received")

    @app.event("app_home_opened")
    async def home(event: dict[str, Any], client: AsyncWebClient, body: dict[str, Any]) -> None:
        """Publish the App Home."""
        seen.bodies.append(body)
        await client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [
                    {"type": "section", "text": {"type": "mrkdwn", "text": "*Your grants*"}},
                    {
                        "type": "actions",
                        "elements": [
                            {
                                "type": "button",
                                "action_id": "refresh",
                                "text": {"type": "plain_text", "text": "↻"},
                            }
                        ],
                    },
                ],
            },
        )

    @app.action("refresh")
    async def refresh(ack: AsyncAck, body: dict[str, Any]) -> None:
        """Record a click in the App Home."""
        await ack()
        seen.bodies.append(body)

    return app
