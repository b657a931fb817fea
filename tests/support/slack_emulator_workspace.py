"""In-memory Slack workspace: users, groups, channels, messages, triggers, and (mixed in) views."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from tests.support.slack_emulator_blocks import normalize_blocks
from tests.support.slack_emulator_channels import Channels
from tests.support.slack_emulator_models import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    BOT_USER_NAME,
    DEFAULT_CHANNEL_ID,
    DEFAULT_USER_ID,
    TEAM_ID,
    StoredMessage,
    StoredView,
    new_id,
    new_trigger_id,
    slack_ts,
)
from tests.support.slack_emulator_workspace_views import WorkspaceViews

USER_ID_RE = re.compile(r"^[UW][A-Z0-9]{2,}$")
CHANNEL_ID_RE = re.compile(r"^[CDG][A-Z0-9]{2,}$")
TRIGGER_TTL = 3.0  # Slack: trigger_ids expire three seconds after they are issued


@dataclass
class ResponseUrl:
    """Where a response_url posts to: the channel, and the message it belongs to if any."""

    id: str
    user_id: str
    channel: str | None
    message_ts: str | None
    uses: int = 0


def make_user(
    user_id: str,
    name: str,
    *,
    email: str | None = None,
    real_name: str | None = None,
    is_bot: bool = False,
    deleted: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """A users.info ``user`` object; profile.email is omitted when email is None."""
    real = real_name or name.replace(".", " ").title()
    profile: dict[str, Any] = {"real_name": real, "display_name": name, "team": TEAM_ID}
    if email is not None:
        profile["email"] = email
    if is_bot:
        profile.update(
            {"bot_id": BOT_ID if user_id == BOT_USER_ID else new_id("B"), "api_app_id": APP_ID}
        )
    user = {
        "id": user_id,
        "team_id": TEAM_ID,
        "name": name,
        "deleted": deleted,
        "real_name": real,
        "tz": "Europe/Amsterdam",
        "tz_label": "Central European Time",
        "tz_offset": 3600,
        "is_admin": False,
        "is_owner": False,
        "is_bot": is_bot,
        "is_app_user": False,
        "updated": int(time.time()),
        "profile": profile,
    }
    user.update(extra)
    return user


class Workspace(WorkspaceViews):
    """The state a Slack workspace keeps, mutated by Web API calls and user actions."""

    def __init__(self, trigger_ttl: float | None = TRIGGER_TTL) -> None:
        """Start with the bot user, a default human user and #general."""
        self.trigger_ttl = trigger_ttl
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.channels: dict[str, str] = {DEFAULT_CHANNEL_ID: "general"}
        self.conversations = Channels()  # membership, privacy, archived (slack_emulator_channels)
        self.messages: dict[tuple[str, str], StoredMessage] = {}
        self.ephemerals: list[StoredMessage] = []
        self.deleted: list[StoredMessage] = []
        self.views: dict[str, StoredView] = {}
        self.homes: dict[str, StoredView] = {}
        self.view_stacks: dict[str, list[str]] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.dm_channels: dict[str, str] = {}
        self._triggers: dict[str, tuple[str, float, bool]] = {}
        self._last_ts: str | None = None
        self.add_user(BOT_USER_ID, BOT_USER_NAME, is_bot=True)
        self.add_user(DEFAULT_USER_ID, "default.user", email="default.user@example.com")

    # -- directory -------------------------------------------------------------------------
    def add_user(self, user_id: str, name: str, **kwargs: Any) -> dict[str, Any]:
        """Register (or replace) a user; kwargs as for make_user."""
        self.users[user_id] = make_user(user_id, name, **kwargs)
        return self.users[user_id]

    def add_usergroup(self, usergroup_id: str, user_ids: list[str]) -> None:
        """Register a user group (``S…``) with its members."""
        self.usergroups[usergroup_id] = list(user_ids)

    def user_name(self, user_id: str) -> str:
        """The user's handle, or a stand-in for users the test never registered."""
        return str(self.users.get(user_id, {}).get("name", f"user_{user_id.lower()}"))

    def dm_channel(self, user_id: str) -> str:
        """The stable DM channel id between the bot and user_id."""
        return self.dm_channels.setdefault(user_id, "D" + user_id[1:])

    def resolve_channel(self, channel: str) -> str | None:
        """A channel id for what the bot passed (user ids map to their DM), None if invalid."""
        if USER_ID_RE.match(channel):
            return self.dm_channel(channel)
        return channel if CHANNEL_ID_RE.match(channel) else None

    def channel_name(self, channel: str) -> str:
        """The channel name Slack puts into payloads."""
        if channel.startswith("D"):
            return "directmessage"
        return self.channels.get(channel, "privategroup" if channel.startswith("G") else channel)

    # -- messages --------------------------------------------------------------------------
    def next_ts(self) -> str:
        """A fresh, strictly increasing message ts."""
        self._last_ts = slack_ts(self._last_ts)
        return self._last_ts

    def post(
        self,
        channel: str,
        text: str,
        blocks: list[Any] | None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> StoredMessage:
        """Store a new bot message in channel."""
        message = StoredMessage(
            channel,
            self.next_ts(),
            text,
            normalize_blocks(blocks),
            thread_ts=thread_ts,
            metadata=metadata,
        )
        self.messages[(channel, message.ts)] = message
        return message

    def update(
        self, channel: str, ts: str, text: str | None, blocks: list[Any] | None
    ) -> StoredMessage | None:
        """Apply chat.update semantics (omitted fields are kept); None if no such message."""
        message = self.messages.get((channel, ts))
        if message is None:
            return None
        message.history.append({"text": message.text, "blocks": message.blocks})
        if text is not None:
            message.text = text
        if blocks is not None:
            message.blocks = normalize_blocks(blocks)
        message.edited_ts = self.next_ts()
        return message

    def delete(self, channel: str, ts: str) -> StoredMessage | None:
        """Remove a message (kept in ``deleted``); None if no such message."""
        message = self.messages.pop((channel, ts), None)
        if message is not None:
            self.deleted.append(message)
        return message

    def find_message(self, key: tuple[str, str]) -> StoredMessage | None:
        """A live (or ephemeral) message by (channel, ts)."""
        found = self.messages.get(key)
        return found or next((m for m in self.ephemerals if (m.channel, m.ts) == key), None)

    def post_ephemeral(self, channel: str, user_id: str, text: str, blocks: Any) -> StoredMessage:
        """Store an ephemeral message only user_id sees."""
        message = StoredMessage(
            channel, self.next_ts(), text, normalize_blocks(blocks), ephemeral_to=user_id
        )
        self.ephemerals.append(message)
        return message

    # -- triggers and response_urls --------------------------------------------------------
    def issue_trigger(self, user_id: str) -> str:
        """A new trigger_id for an interaction by user_id."""
        trigger_id = new_trigger_id()
        self._triggers[trigger_id] = (user_id, time.monotonic(), False)
        return trigger_id

    def consume_trigger(self, trigger_id: str | None) -> tuple[str | None, str | None]:
        """(user_id, None) for a valid trigger, else (None, slack_error)."""
        entry = self._triggers.get(trigger_id or "")
        if entry is None:
            return None, "invalid_trigger_id"
        user_id, issued, used = entry
        if used:
            return None, "exchanged_trigger_id"
        if self.trigger_ttl is not None and time.monotonic() - issued > self.trigger_ttl:
            return None, "expired_trigger_id"
        self._triggers[trigger_id or ""] = (user_id, issued, True)
        return user_id, None

    def issue_response_url(
        self, user_id: str, channel: str | None, message_ts: str | None = None
    ) -> str:
        """Register a response_url id tied to channel (and message); returns the id."""
        url_id = secrets.token_hex(12)
        self.response_urls[url_id] = ResponseUrl(url_id, user_id, channel, message_ts)
        return url_id

    # -- response_urls ---------------------------------------------------------------------
    def apply_response_url(self, target: ResponseUrl, body: dict[str, Any]) -> dict[str, Any]:
        """What Slack does with a response_url post: replace, delete, in_channel or ephemeral."""
        target.uses += 1
        channel, ts = target.channel, target.message_ts
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        text, blocks = body.get("text"), body.get("blocks")
        if body.get("delete_original") and ts:
            self.delete(channel, ts)
        elif body.get("replace_original") and ts and (channel, ts) in self.messages:
            self.update(channel, ts, text, blocks)
        elif body.get("response_type") == "in_channel":
            self.post(channel, str(text or ""), blocks, body.get("thread_ts"))
        else:
            self.post_ephemeral(channel, target.user_id, str(text or ""), blocks)
        return {"ok": True}
