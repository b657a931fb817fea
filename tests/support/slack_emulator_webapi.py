"""Slack Web API semantics: token rules, argument checks and realistic responses."""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

from tests.support.slack_emulator_channels import channel_info, channel_members
from tests.support.slack_emulator_models import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    BOT_USER_NAME,
    TEAM_ID,
    TEAM_NAME,
)
from tests.support.slack_emulator_validation import Violation, message_problems, view_problems
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


def _error(error: str, *messages: str) -> Reply:
    """An ok:false reply, with response_metadata messages like Slack's when given."""
    reply: Reply = {"ok": False, "error": error}
    if messages:
        reply["response_metadata"] = {"messages": list(messages)}
    return reply


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
            "conversations.open": self.conversations_open,
            "conversations.history": self.conversations_history,
            "conversations.replies": self.conversations_replies,
            "conversations.info": lambda p: channel_info(self.ws.conversations, p, self.bot_scopes),
            "conversations.members": lambda p: channel_members(
                self.ws.conversations, p, self.bot_scopes
            ),
            "users.info": self.users_info,
            "usergroups.users.list": self.usergroups_users_list,
            "views.open": self.views_open,
            "views.push": self.views_push,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
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
                return {**_error("internal_error"), HTTP_STATUS: 500}
            return _error(failure)
        if method != "auth.test" and method not in self.handlers:
            return _error("unknown_method")
        if not token:
            return _error("not_authed")
        kind = self.token_kind(token)
        if kind is None:
            return _error("invalid_auth")
        is_app_token = kind == "app"
        if is_app_token and method not in APP_TOKEN_METHODS:
            return _error("not_allowed_token_type")
        if method == "apps.connections.open" and not is_app_token:
            return _error("not_allowed_token_type")
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
        reply = _error(error, *problems)
        if error == "invalid_blocks":
            reply["errors"] = problems
        return reply

    def _message_content(self, method: str, p: Params) -> Reply | None:
        """An error reply if text/blocks are missing or invalid, else None."""
        if not p.get("text") and not p.get("blocks") and not p.get("attachments"):
            return _error("no_text")
        if "blocks" in p:
            problems = message_problems(p["blocks"])
            if problems:
                return self.refuse(method, "invalid_blocks", problems)
        if len(str(p.get("text", ""))) > 40000:
            return _error("msg_too_long")
        return None

    def chat_post_message(self, p: Params) -> Reply:
        """chat.postMessage: a channel id or a user id (posts into the DM)."""
        channel = self.ws.resolve_channel(str(p.get("channel", "")))
        if channel is None:
            return _error("channel_not_found")
        membership = self.ws.conversations.post_problem(channel)
        if membership:
            return _error(membership)
        problem = self._message_content("chat.postMessage", p)
        if problem:
            return problem
        metadata = p.get("metadata")
        if metadata is not None and not _valid_metadata(metadata):
            return _error("invalid_metadata_format")
        message = self.ws.post(
            channel, str(p.get("text", "")), p.get("blocks"), p.get("thread_ts"), metadata
        )
        return {"ok": True, "channel": channel, "ts": message.ts, "message": message.to_slack()}

    def chat_update(self, p: Params) -> Reply:
        """chat.update of a message the bot posted earlier."""
        channel, ts = str(p.get("channel", "")), str(p.get("ts", ""))
        existing = self.ws.messages.get((channel, ts))
        if existing is None:
            return _error("message_not_found")
        if existing.user != BOT_USER_ID:
            return _error("cant_update_message")
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
            return _error("channel_not_found")
        user = str(p.get("user", ""))
        if not USER_ID_RE.match(user):
            return _error("user_not_in_channel")
        problem = self._message_content("chat.postEphemeral", p)
        if problem:
            return problem
        message = self.ws.post_ephemeral(channel, user, str(p.get("text", "")), p.get("blocks"))
        return {"ok": True, "message_ts": message.ts}

    def chat_delete(self, p: Params) -> Reply:
        """chat.delete of a stored message."""
        channel, ts = str(p.get("channel", "")), str(p.get("ts", ""))
        if self.ws.delete(channel, ts) is None:
            return _error("message_not_found")
        return {"ok": True, "channel": channel, "ts": ts}

    # -- history ---------------------------------------------------------------------------
    def _history(self, p: Params, keep: Callable[[Any], bool]) -> Reply:
        """Messages of a channel after ``oldest``, newest first, with metadata when asked."""
        channel = self.ws.resolve_channel(str(p.get("channel", "")))
        if channel is None:
            return _error("channel_not_found")
        oldest = float(p.get("oldest") or 0)
        limit = int(p.get("limit") or 100)
        with_metadata = str(p.get("include_all_metadata", "")).lower() in ("true", "1")
        found = sorted(
            (m for m in self.ws.messages.values()
             if m.channel == channel and float(m.ts) > oldest and keep(m)),
            key=lambda m: float(m.ts), reverse=True)
        messages = []
        for message in found[:limit]:
            shown = message.to_slack()
            if with_metadata and message.metadata:
                shown["metadata"] = message.metadata
            messages.append(shown)
        return {"ok": True, "messages": messages, "has_more": len(found) > limit}

    def conversations_history(self, p: Params) -> Reply:
        """conversations.history: top-level messages only (thread replies stay in threads)."""
        return self._history(p, lambda m: m.thread_ts in (None, m.ts))

    def conversations_replies(self, p: Params) -> Reply:
        """conversations.replies: a thread's parent and its replies."""
        ts = str(p.get("ts", ""))
        return self._history(p, lambda m: m.ts == ts or m.thread_ts == ts)

    # -- directory -------------------------------------------------------------------------
    def conversations_open(self, p: Params) -> Reply:
        """conversations.open users=U… returns the user's stable DM channel."""
        users = [u for u in str(p.get("users", "")).split(",") if u]
        if not users:
            return _error("not_enough_users")
        if len(users) > 1:  # group DMs are not emulated
            return _error("method_not_supported_for_channel_type")
        if not USER_ID_RE.match(users[0]):
            return _error("user_not_found")
        already_open = users[0] in self.ws.dm_channels
        channel = self.ws.dm_channel(users[0])
        return {
            "ok": True,
            "no_op": already_open,
            "already_open": already_open,
            "channel": {"id": channel},
        }

    def users_info(self, p: Params) -> Reply:
        """users.info for a registered user."""
        user = self.ws.users.get(str(p.get("user", "")))
        return {"ok": True, "user": user} if user else _error("user_not_found")

    def usergroups_users_list(self, p: Params) -> Reply:
        """usergroups.users.list for a registered user group."""
        members = self.ws.usergroups.get(str(p.get("usergroup", "")))
        return (
            {"ok": True, "users": list(members)}
            if members is not None
            else _error("no_such_subteam")
        )

    # -- views -----------------------------------------------------------------------------
    def _view_problem(self, method: str, p: Params, *, home: bool) -> Reply | None:
        """invalid_arguments (Slack's answer for a bad view) when the view breaks the rules."""
        problems = view_problems(p.get("view"), home=home)
        return self.refuse(method, "invalid_arguments", problems) if problems else None

    def views_open(self, p: Params) -> Reply:
        """views.open starts a new modal stack for the trigger's user."""
        problem = self._view_problem("views.open", p, home=False)
        if problem:
            return problem
        user_id, error = self.ws.consume_trigger(p.get("trigger_id"))
        if error or user_id is None:
            return _error(error or "invalid_trigger_id")
        view = self.ws.store_view(p["view"], user_id)
        self.ws.view_stacks[user_id] = [view.id]
        return {"ok": True, "view": view.data}

    def views_push(self, p: Params) -> Reply:
        """views.push a modal on top of the user's open stack (at most three)."""
        problem = self._view_problem("views.push", p, home=False)
        if problem:
            return problem
        user_id, error = self.ws.consume_trigger(p.get("trigger_id"))
        if error or user_id is None:
            return _error(error or "invalid_trigger_id")
        stack = self.ws.view_stacks.get(user_id, [])
        if not stack:
            return _error("not_found")
        if len(stack) >= 3:
            return _error("push_limit_reached")
        view = self.ws.store_view(
            p["view"], user_id, previous_view_id=stack[-1], root_view_id=stack[0]
        )
        stack.append(view.id)
        return {"ok": True, "view": view.data}

    def views_update(self, p: Params) -> Reply:
        """views.update by view_id or external_id, honouring hash conflicts."""
        existing = self.ws.find_view(p.get("view_id"), p.get("external_id"))
        if existing is None or existing.closed:
            return _error("not_found")
        problem = self._view_problem("views.update", p, home=existing.type == "home")
        if problem:
            return problem
        if p.get("hash") and p["hash"] != existing.hash:
            return _error("hash_conflict")
        view = self.ws.store_view(p["view"], existing.user_id, view_id=existing.id)
        return {"ok": True, "view": view.data}

    def views_publish(self, p: Params) -> Reply:
        """views.publish an App Home view for user_id."""
        user_id = str(p.get("user_id", ""))
        if not USER_ID_RE.match(user_id):
            return _error("invalid_arguments", "[ERROR] invalid user_id [json-pointer:/user_id]")
        problem = self._view_problem("views.publish", p, home=True)
        if problem:
            return problem
        current = self.ws.homes.get(user_id)
        if current is not None and p.get("hash") and p["hash"] != current.hash:
            return _error("hash_conflict")
        view = self.ws.store_view(p["view"], user_id, view_id=current.id if current else None)
        self.ws.homes[user_id] = view
        return {"ok": True, "view": view.data}


def _valid_metadata(metadata: Any) -> bool:
    """Slack's shape for message metadata: an event_type string and an event_payload object."""
    return (
        isinstance(metadata, dict)
        and isinstance(metadata.get("event_type"), str)
        and isinstance(metadata.get("event_payload"), dict)
    )
