"""The emulator's state and recordings, and the knobs that set it up or make calls fail.

Mixed into SlackEmulator (slack_emulator.py), which provides the attributes declared here.
"""

from __future__ import annotations

from typing import Any

from tests.support.slack_emulator_http import HttpEndpoints
from tests.support.slack_emulator_models import (
    RecordedCall,
    SentEnvelope,
    StoredMessage,
    StoredView,
)
from tests.support.slack_emulator_recorder import Recorder
from tests.support.slack_emulator_socket import SocketModeServer
from tests.support.slack_emulator_webapi import WebApi
from tests.support.slack_emulator_workspace import Workspace


class EmulatorState:
    """What the emulated Slack holds and recorded, and the setup and failure knobs."""

    workspace: Workspace
    socket: SocketModeServer
    web_api: WebApi
    recorder: Recorder
    http: HttpEndpoints

    @property
    def calls(self) -> list[RecordedCall]:
        """Every Web API and response_url call, in order."""
        return self.recorder.calls

    @property
    def responses(self) -> list[RecordedCall]:
        """Every POST the bot made to a response_url, in order."""
        return self.http.responses

    @property
    def throttled(self) -> list[RecordedCall]:
        """Every Web API call answered 429 ratelimited (not in ``calls``), in order."""
        return self.http.throttled

    @property
    def envelopes(self) -> list[SentEnvelope]:
        """Every envelope sent over Socket Mode, with its ack."""
        return self.socket.envelopes

    @property
    def users(self) -> dict[str, dict[str, Any]]:
        """users.info directory (user id -> Slack user object)."""
        return self.workspace.users

    @property
    def usergroups(self) -> dict[str, list[str]]:
        """usergroups.users.list directory (``S…`` id -> member ids)."""
        return self.workspace.usergroups

    @property
    def messages(self) -> dict[tuple[str, str], StoredMessage]:
        """Current state of every live message, keyed by (channel, ts)."""
        return self.workspace.messages

    @property
    def views(self) -> dict[str, StoredView]:
        """Every modal and home view by view id."""
        return self.workspace.views

    def add_user(self, user_id: str, name: str, **kwargs: Any) -> dict[str, Any]:
        """Register a user (kwargs: email, real_name, is_bot, deleted, extra fields)."""
        return self.workspace.add_user(user_id, name, **kwargs)

    def add_usergroup(self, usergroup_id: str, user_ids: list[str]) -> None:
        """Register a user group and its members."""
        self.workspace.add_usergroup(usergroup_id, user_ids)

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        private: bool | None = None,
        bot_member: bool = True,
        members: tuple[str, ...] = (),
        archived: bool = False,
    ) -> None:
        """Create a channel (a G… id is private); bot_member=False: the bot was not invited."""
        self.workspace.channels[channel_id] = name
        self.workspace.conversations.add(
            channel_id,
            name,
            private=private,
            bot_member=bot_member,
            members=members,
            archived=archived,
        )

    def delete_channel(self, channel_id: str) -> None:
        """Remove a channel: Slack answers channel_not_found from then on."""
        self.workspace.conversations.delete(channel_id)

    def dm_channel(self, user_id: str) -> str:
        """The DM channel id conversations.open returns for user_id."""
        return self.workspace.dm_channel(user_id)

    def messages_in(self, channel: str) -> list[StoredMessage]:
        """Live messages in channel, oldest first."""
        return sorted((m for m in self.messages.values() if m.channel == channel), key=_ts_key)

    def dms_to(self, user_id: str) -> list[StoredMessage]:
        """Live messages in the bot's DM with user_id (also covers channel=<user id>)."""
        return self.messages_in(self.dm_channel(user_id))

    def ephemerals_to(self, user_id: str) -> list[StoredMessage]:
        """Ephemeral messages shown to user_id (postEphemeral and response_url replies)."""
        return [m for m in self.workspace.ephemerals if m.ephemeral_to == user_id]

    def home_of(self, user_id: str) -> StoredView | None:
        """The App Home view last published for user_id."""
        return self.workspace.homes.get(user_id)

    def open_views_of(self, user_id: str) -> list[StoredView]:
        """The user's open modal stack, bottom first."""
        return [self.views[v] for v in self.workspace.view_stacks.get(user_id, [])]

    def fail_next(self, method: str, error: str) -> None:
        """Make the next call to method answer ``{"ok": false, "error": error}``."""
        self.web_api.fail_next(method, error)

    def drop_next(self, method: str, times: int = 1) -> None:
        """Cut the connection of the next times calls to method without answering them."""
        self.http.drops[method] = self.http.drops.get(method, 0) + times

    def delay_next(self, method: str, seconds: float) -> None:
        """Record the next call to method at once but answer it only after seconds."""
        self.http.delays[method] = seconds


def _ts_key(message: StoredMessage) -> float:
    """Sort key: a message's ts as a number."""
    return float(message.ts)
