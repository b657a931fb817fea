"""Builders for the payloads Slack wraps into Socket Mode envelopes."""

from __future__ import annotations

import copy
import secrets
import time
import uuid
from typing import Any

from tests.support.slack_emulator_blocks import (
    MULTI_OPTION_TYPES,
    Element,
    element_state,
    find_option,
)
from tests.support.slack_emulator_models import (
    APP_ID,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    VERIFICATION_TOKEN,
    StoredMessage,
    StoredView,
)

Payload = dict[str, Any]
# Which envelopes let the app answer with a payload in its ack (Slack's own values).
ACCEPTS_RESPONSE_PAYLOAD = {
    "slash_commands": True,
    "view_submission": True,
    "block_suggestion": True,
    "block_actions": False,
    "events_api": False,
}


def envelope(kind: str, payload: Payload, *, accepts_response_payload: bool) -> Payload:
    """A Socket Mode envelope around payload."""
    return {
        "envelope_id": str(uuid.uuid4()),
        "type": kind,
        "accepts_response_payload": accepts_response_payload,
        "payload": payload,
        "retry_attempt": 0,
        "retry_reason": "",
    }


def user_ref(user_id: str, name: str) -> Payload:
    """The ``user`` object of interactive payloads."""
    return {"id": user_id, "username": name, "name": name, "team_id": TEAM_ID}


def team_ref() -> Payload:
    """The ``team`` object of interactive payloads."""
    return {"id": TEAM_ID, "domain": TEAM_DOMAIN}


def slash_command(
    *,
    text: str,
    command: str,
    user_id: str,
    user_name: str,
    channel_id: str,
    channel_name: str,
    response_url: str,
    trigger_id: str,
) -> Payload:
    """A slash command payload (all values are strings, as Slack posts them)."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def action(
    element: Element | None,
    *,
    action_id: str,
    block_id: str,
    value: str | None,
    selected_option: Any = None,
) -> Payload:
    """One ``actions[]`` entry for a click on (or choice in) element."""
    element = element or {"type": "button"}
    kind = str(element.get("type", "button"))
    result: Payload = {"action_id": action_id, "block_id": block_id, "type": kind}
    if kind == "button":
        result["text"] = element.get("text", {"type": "plain_text", "text": action_id})
        chosen = value if value is not None else element.get("value")
        if chosen is not None:
            result["value"] = chosen
        if element.get("style"):
            result["style"] = element["style"]
    elif kind in MULTI_OPTION_TYPES and (selected_option is not None or value is not None):
        # A multi select reports everything chosen in it now, as a list.
        picked = selected_option if selected_option is not None else value
        chosen = picked if isinstance(picked, list) else [picked]
        result["selected_options"] = [
            o if isinstance(o, dict) else find_option(element, str(o)) for o in chosen
        ]
    elif selected_option is not None or value is not None:
        picked = selected_option if selected_option is not None else value
        option = picked if isinstance(picked, dict) else find_option(element, str(picked))
        result["selected_option"] = option
        if element.get("placeholder"):
            result["placeholder"] = element["placeholder"]
    result["action_ts"] = f"{time.time():.6f}"
    return result


def block_actions(
    *,
    user: Payload,
    trigger_id: str,
    act: Payload,
    element: Element | None,
    message: StoredMessage | None,
    channel_name: str | None,
    view: StoredView | None,
    response_url: str | None,
) -> Payload:
    """A block_actions payload for a click on a message, in a view, or elsewhere."""
    payload: Payload = {
        "type": "block_actions",
        "user": user,
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {},
        "trigger_id": trigger_id,
        "team": team_ref(),
        "enterprise": None,
        "is_enterprise_install": False,
    }
    state: Payload = {}
    if element is not None and "selected_option" in act:
        picked = element_state(element, act["selected_option"])
        state = {act["block_id"]: {act["action_id"]: picked}}
    elif element is not None and "selected_options" in act:
        picked = element_state(element, act["selected_options"])
        state = {act["block_id"]: {act["action_id"]: picked}}
    if message is not None:
        payload["container"] = {
            "type": "message",
            "message_ts": message.ts,
            "channel_id": message.channel,
            "is_ephemeral": message.ephemeral_to is not None,
        }
        payload["channel"] = {"id": message.channel, "name": channel_name}
        if message.ephemeral_to is None:
            payload["message"] = message.to_slack()
        payload["state"] = {"values": state}
    elif view is not None:
        payload["container"] = {"type": "view", "view_id": view.id}
        payload["view"] = copy.deepcopy(view.data)
        payload["view"]["state"] = {"values": {**view.data["state"]["values"], **state}}
    else:
        payload["state"] = {"values": state}
    if response_url is not None:
        payload["response_url"] = response_url
    payload["actions"] = [act]
    return payload


def block_suggestion(
    *, user: Payload, view: StoredView, action_id: str, block_id: str, value: str
) -> Payload:
    """A block_suggestion payload: an external_select in view asks for options for value."""
    return {
        "type": "block_suggestion",
        "user": user,
        "container": {"type": "view", "view_id": view.id},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "team": team_ref(),
        "enterprise": None,
        "is_enterprise_install": False,
        "view": copy.deepcopy(view.data),
    }


def view_submission(*, user: Payload, trigger_id: str, view: StoredView, state: Payload) -> Payload:
    """A view_submission payload for view filled with state."""
    submitted = copy.deepcopy(view.data)
    submitted["state"] = {"values": state}
    return {
        "type": "view_submission",
        "team": team_ref(),
        "user": user,
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def event_callback(event: Payload) -> Payload:
    """The events_api ``event_callback`` wrapper around event."""
    event = dict(event)
    event.setdefault("event_ts", f"{time.time():.6f}")
    event_id = "Ev" + secrets.token_hex(5).upper()
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "context_team_id": TEAM_ID,
        "context_enterprise_id": None,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + secrets.token_urlsafe(24),
    }
