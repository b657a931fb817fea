"""Channels as Slack keeps them: name, privacy, archived, members (the bot among them or not).

A channel id the test never added is a public channel the bot is a member of, so tests that
do not care about membership post anywhere. ``add`` a channel with ``bot_member=False`` to get
Slack's ``not_in_channel``, or ``delete`` it to get ``channel_not_found``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from tests.support.slack_emulator_models import BOT_USER_ID, TEAM_ID


@dataclass
class Channel:
    """One public or private channel."""

    id: str
    name: str
    private: bool = False
    archived: bool = False
    members: set[str] = field(default_factory=set)
    created: int = field(default_factory=lambda: int(time.time()))

    def to_slack(self) -> dict[str, Any]:
        """The ``channel`` object of conversations.info, as the bot sees it."""
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.private,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.private,
            "is_archived": self.archived,
            "is_general": self.name == "general",
            "is_member": BOT_USER_ID in self.members,
            "is_ext_shared": False,
            "context_team_id": TEAM_ID,
            "created": self.created,
            "num_members": len(self.members),
        }


class Channels:
    """Every channel of the workspace, by id."""

    def __init__(self) -> None:
        """No channel is known yet; unknown ids are lenient (see the module docstring)."""
        self.known: dict[str, Channel] = {}
        self.deleted: set[str] = set()

    def add(
        self,
        channel_id: str,
        name: str,
        *,
        private: bool | None = None,
        bot_member: bool = True,
        members: tuple[str, ...] = (),
        archived: bool = False,
    ) -> Channel:
        """Create (or replace) a channel; private defaults to ids starting with G."""
        people = set(members) | ({BOT_USER_ID} if bot_member else set())
        is_private = channel_id.startswith("G") if private is None else private
        channel = Channel(channel_id, name, is_private, archived, people)
        self.known[channel_id] = channel
        self.deleted.discard(channel_id)
        return channel

    def delete(self, channel_id: str) -> None:
        """The channel no longer exists (Slack answers channel_not_found)."""
        self.known.pop(channel_id, None)
        self.deleted.add(channel_id)

    def find(self, channel_id: str) -> Channel | None:
        """The channel, creating a public one with the bot in it for an id never seen."""
        if channel_id in self.deleted or channel_id[:1] not in ("C", "G"):
            return None
        if channel_id not in self.known:
            return self.add(channel_id, channel_id.lower())
        return self.known[channel_id]

    def post_problem(self, channel_id: str) -> str | None:
        """Slack's error for the bot posting in channel_id (None: it may; DMs always may)."""
        if channel_id.startswith("D"):
            return None
        channel = self.find(channel_id)
        if channel is None or (channel.private and BOT_USER_ID not in channel.members):
            return "channel_not_found"  # a private channel the bot is not in looks absent
        if channel.archived:
            return "is_archived"
        if BOT_USER_ID not in channel.members:
            return "not_in_channel"
        return None


def _readable(
    channels: Channels, params: dict[str, Any], scopes: set[str] | None
) -> tuple[Channel | None, dict[str, Any] | None]:
    """The channel conversations.info/members ask about, or Slack's error for the call."""
    channel = channels.find(str(params.get("channel", "")))
    if channel is None or (channel.private and BOT_USER_ID not in channel.members):
        return None, {"ok": False, "error": "channel_not_found"}
    needed = "groups:read" if channel.private else "channels:read"
    if scopes is not None and needed not in scopes:
        provided = ",".join(sorted(scopes))
        return None, {"ok": False, "error": "missing_scope", "needed": needed, "provided": provided}
    return channel, None


def channel_info(
    channels: Channels, params: dict[str, Any], scopes: set[str] | None
) -> dict[str, Any]:
    """conversations.info: the channel, with is_member for the bot (scopes None: all)."""
    channel, problem = _readable(channels, params, scopes)
    return problem or {"ok": True, "channel": channel.to_slack() if channel else {}}


def channel_members(
    channels: Channels, params: dict[str, Any], scopes: set[str] | None
) -> dict[str, Any]:
    """conversations.members: every member id, in one page."""
    channel, problem = _readable(channels, params, scopes)
    members = sorted(channel.members) if channel else []
    return problem or {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}
