"""Web API methods that read the workspace: DMs, people, user groups and channel history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.slack_emulator_models import error_reply
from tests.support.slack_emulator_workspace import USER_ID_RE, Workspace

Params = dict[str, Any]
Reply = dict[str, Any]


def conversations_open(ws: Workspace, p: Params) -> Reply:
    """conversations.open users=U… returns the user's stable DM channel."""
    users = [u for u in str(p.get("users", "")).split(",") if u]
    if not users:
        return error_reply("not_enough_users")
    if len(users) > 1:  # group DMs are not emulated
        return error_reply("method_not_supported_for_channel_type")
    if not USER_ID_RE.match(users[0]):
        return error_reply("user_not_found")
    already_open = users[0] in ws.dm_channels
    channel = ws.dm_channel(users[0])
    return {
        "ok": True,
        "no_op": already_open,
        "already_open": already_open,
        "channel": {"id": channel},
    }


def users_info(ws: Workspace, p: Params) -> Reply:
    """users.info for a registered user."""
    user = ws.users.get(str(p.get("user", "")))
    return {"ok": True, "user": user} if user else error_reply("user_not_found")


def usergroups_users_list(ws: Workspace, p: Params) -> Reply:
    """usergroups.users.list for a registered user group."""
    members = ws.usergroups.get(str(p.get("usergroup", "")))
    return (
        {"ok": True, "users": list(members)}
        if members is not None
        else error_reply("no_such_subteam")
    )


def _history(ws: Workspace, p: Params, keep: Callable[[Any], bool]) -> Reply:
    """Messages of a channel after ``oldest``, newest first, with metadata when asked."""
    channel = ws.resolve_channel(str(p.get("channel", "")))
    if channel is None:
        return error_reply("channel_not_found")
    oldest = float(p.get("oldest") or 0)
    limit = int(p.get("limit") or 100)
    with_metadata = str(p.get("include_all_metadata", "")).lower() in ("true", "1")
    found = sorted(
        (
            m
            for m in ws.messages.values()
            if m.channel == channel and float(m.ts) > oldest and keep(m)
        ),
        key=lambda m: float(m.ts),
        reverse=True,
    )
    messages = []
    for message in found[:limit]:
        shown = message.to_slack()
        if with_metadata and message.metadata:
            shown["metadata"] = message.metadata
        messages.append(shown)
    return {"ok": True, "messages": messages, "has_more": len(found) > limit}


def conversations_history(ws: Workspace, p: Params) -> Reply:
    """conversations.history: top-level messages only (thread replies stay in threads)."""
    return _history(ws, p, lambda m: m.thread_ts in (None, m.ts))


def conversations_replies(ws: Workspace, p: Params) -> Reply:
    """conversations.replies: a thread's parent and its replies."""
    ts = str(p.get("ts", ""))
    return _history(ws, p, lambda m: m.ts == ts or m.thread_ts == ts)
