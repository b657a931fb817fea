"""Slack Web API semantics: token rules, argument checks and realistic responses."""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict, deque
from collections.abc import Callable
from functools import partial
from typing import Any

from tests.support.slack_emulator_channels import channel_info, channel_members
from tests.support.slack_emulator_models import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    BOT_USER_NAME,
    TEAM_ID,
    TEAM_NAME,
    error_reply,
)
from tests.support.slack_emulator_validation import Violation, message_problems
from tests.support.slack_emulator_webapi_reads import (
    conversations_history,
    conversations_open,
    conversations_replies,
    usergroups_users_list,
    users_info,
)
from tests.support.slack_emulator_webapi_views import (
    views_open,
    views_publish,
    views_push,
    views_update,
)
from tests.support.slack_emulator_workspace import USER_ID_RE, Workspace

Params = dict[str, Any]
Reply = dict[str, Any]

# Fields Slack accepts JSON-encoded inside form bodies.
JSON_FIELDS = ("blocks", "attachments", "view", "metadata", "unfurls", "user_auth_blocks")
APP_TOKEN_METHODS = {"apps.connections.open", "auth.test"}
HTTP_STATUS = "_http_status"  # a reply key the HTTP layer turns into the response status


def decode_json_fields(params: Params) -> Params:
    """params with JSON-encoded string fields (blocks, view, …) decoded to objects."""
    decoded = dict(params)
    for key in JSON_FIELDS:
        value = decoded.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            # Invalid JSON stays a string (Slack would reject it) so the test can see it.
            with contextlib.suppress(ValueError):
                decoded[key] = json.loads(value)
    return decoded


class WebApi:
    """Dispatches Web API method calls onto a Workspace."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        bot_token: str | None,
        app_token: str | None,
        new_socket_url: Callable[[], str],
        bot_scopes: set[str] | None = None,
    ) -> None:
        """Only these tokens are accepted (None: any ``xoxb-``/``xapp-`` token).

        new_socket_url issues the ``/link/`` URL apps.connections.open returns; bot_scopes
        (None: every scope) are the OAuth scopes the app was installed with.
        """
        self.ws = workspace
        self.bot_token = bot_token
        self.app_token = app_token
        self.new_socket_url = new_socket_url
        self.bot_scopes = bot_scopes
        self.failures: dict[str, deque[str]] = defaultdict(deque)
        self.violations: list[Violation] = []
        self.handlers: dict[str, Callable[[Params], Reply]] = {
            "apps.connections.open": lambda _p: {"ok": True, "url": self.new_socket_url()},
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.delete": self.chat_delete,
            "conversations.open": partial(conversations_open, self.ws),
            "conversations.history": partial(conversations_history, self.ws),
            "conversations.replies": partial(conversations_replies, self.ws),
            "conversations.info": lambda p: channel_info(self.ws.conversations, p, self.bot_scopes),
            "conversations.members": lambda p: channel_members(
                self.ws.conversations, p, self.bot_scopes
            ),
            "users.info": partial(users_info, self.ws),
            "usergroups.users.list": partial(usergroups_users_list, self.ws),
            "views.open": partial(views_open, self.ws, self.refuse),
            "views.push": partial(views_push, self.ws, self.refuse),
            "views.update": partial(views_update, self.ws, self.refuse),
            "views.publish": partial(views_publish, self.ws, self.refuse),
        }

    def fail_next(self, method: str, error: str) -> None:
        """Make the next call to method fail: ok:false with error, or an HTTP 500.

        ``http_500`` answers 500 without doing anything; ``http_500_after`` does what was asked
        and then answers 500, as when Slack's answer is lost after the message was posted.
        """
        self.failures[method].append(error)

    def call(self, method: str, params: Params, token: str | None) -> Reply:
        """Answer one method call the way Slack would."""
        if self.failures[method]:
            failure = self.failures[method].popleft()
            if failure in ("http_500", "http_500_after"):
                if failure == "http_500_after":
                    self.call(method, params, token)
                return {**error_reply("internal_error"), HTTP_STATUS: 500}
            return error_reply(failure)
        if method != "auth.test" and method not in self.handlers:
            return error_reply("unknown_method")
        if not token:
            return error_reply("not_authed")
        kind = self.token_kind(token)
        if kind is None:
            return error_reply("invalid_auth")
        is_app_token = kind == "app"
        if is_app_token and method not in APP_TOKEN_METHODS:
            return error_reply("not_allowed_token_type")
        if method == "apps.connections.open" and not is_app_token:
            return error_reply("not_allowed_token_type")
        if method == "auth.test":
            return self.auth_test(is_app_token)
        return self.handlers[method](params)

    def token_kind(self, token: str) -> str | None:
        """``bot``, ``app`` or None for a token Slack would answer invalid_auth to."""
        for kind, expected, prefix in (
            ("bot", self.bot_token, "xoxb-"),
            ("app", self.app_token, "xapp-"),
        ):
            if token == expected or (expected is None and token.startswith(prefix)):
                return kind
        return None

    def auth_test(self, is_app_token: bool) -> Reply:
        """auth.test for the bot token (bot identity) or the app-level token."""
        reply: Reply = {
            "ok": True,
            "url": "https://emulated.slack.com/",
            "team": TEAM_NAME,
            "team_id": TEAM_ID,
            "is_enterprise_install": False,
        }
        if is_app_token:
            reply["app_id"] = APP_ID
        else:
            reply.update({"user": BOT_USER_NAME, "user_id": BOT_USER_ID, "bot_id": BOT_ID})
        return reply

    # -- chat ------------------------------------------------------------------------------
    def refuse(self, method: str, error: str, problems: list[str]) -> Reply:
        """Slack's answer to an invalid payload, remembered as a violation for the test."""
        self.violations.append(Violation(method, error, tuple(problems)))
        reply = error_reply(error, *problems)
        if error == "invalid_blocks":
            reply["errors"] = problems
        return reply

    def _message_content(self, method: str, p: Params) -> Reply | None:
        """An error reply if text/blocks are missing or invalid, else None."""
        if not p.get("text") and not p.get("blocks") and not p.get("attachments"):
            return error_reply("no_text")
        if "blocks" in p:
            problems = message_problems(p["blocks"])
            if problems:
                return self.refuse(method, "invalid_blocks", problems)
        if len(str(p.get("text", ""))) > 40000:
            return error_reply("msg_too_long")
        return None

    def chat_post_message(self, p: Params) -> Reply:
        """chat.postMessage: a channel id or a user id (posts into the DM)."""
        channel = self.ws.resolve_channel(str(p.get("channel", "")))
        if channel is None:
            return error_reply("channel_not_found")
        membership = self.ws.conversations.post_problem(channel)
        if membership:
            return error_reply(membership)
        problem = self._message_content("chat.postMessage", p)
        if problem:
            return problem
        metadata = p.get("metadata")
        if metadata is not None and not _valid_metadata(metadata):
            return error_reply("invalid_metadata_format")
        message = self.ws.post(
            channel, str(p.get("text", "")), p.get("blocks"), p.get("thread_ts"), metadata
        )
        return {"ok": True, "channel": channel, "ts": message.ts, "message": message.to_slack()}

    def chat_update(self, p: Params) -> Reply:
        """chat.update of a message the bot posted earlier."""
        channel, ts = str(p.get("channel", "")), str(p.get("ts", ""))
        existing = self.ws.messages.get((channel, ts))
        if existing is None:
            return error_reply("message_not_found")
        if existing.user != BOT_USER_ID:
            return error_reply("cant_update_message")
        if "blocks" in p:
            problems = message_problems(p["blocks"])
            if problems:
                return self.refuse("chat.update", "invalid_blocks", problems)
        message = self.ws.update(channel, ts, p.get("text"), p.get("blocks"))
        assert message is not None
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message.text,
            "message": message.to_slack(),
        }

    def chat_post_ephemeral(self, p: Params) -> Reply:
        """chat.postEphemeral to user in channel."""
        channel = self.ws.resolve_channel(str(p.get("channel", "")))
        if channel is None:
            return error_reply("channel_not_found")
        user = str(p.get("user", ""))
        if not USER_ID_RE.match(user):
            return error_reply("user_not_in_channel")
        problem = self._message_content("chat.postEphemeral", p)
        if problem:
            return problem
        message = self.ws.post_ephemeral(channel, user, str(p.get("text", "")), p.get("blocks"))
        return {"ok": True, "message_ts": message.ts}

    def chat_delete(self, p: Params) -> Reply:
        """chat.delete of a stored message."""
        channel, ts = str(p.get("channel", "")), str(p.get("ts", ""))
        if self.ws.delete(channel, ts) is None:
            return error_reply("message_not_found")
        return {"ok": True, "channel": channel, "ts": ts}


def _valid_metadata(metadata: Any) -> bool:
    """Slack's shape for message metadata: an event_type string and an event_payload object."""
    return (
        isinstance(metadata, dict)
        and isinstance(metadata.get("event_type"), str)
        and isinstance(metadata.get("event_payload"), dict)
    )
