"""Slack Web API adapter: messages, DMs, views (SlackNotifier) and users/groups (SlackDirectory)."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import MessageRef, SlackUser
from bot.errors import SlackError
from providers.base import Blocks

METADATA_EVENT = "db_access_bot_message"
LOOK_BACK = timedelta(minutes=10)
# Errors after which the call may have taken effect all the same (Slack's side failed midway).
IN_DOUBT = {"internal_error", "fatal_error", "request_timeout", "service_unavailable"}
# Errors that will not pass by themselves: someone has to change something first.
PERMANENT = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "invalid_blocks",
    "msg_too_long",
    "no_text",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "user_not_found",
    "user_disabled",
    "cannot_dm_bot",
    "missing_scope",
    "restricted_action",
    "message_not_found",
    "cant_update_message",
}
SLACKBOT = "USLACKBOT"  # Slackbot: users.info says is_bot false, yet it is no person


def _failure(method: str, exc: Exception) -> SlackError:
    if isinstance(exc, SlackApiError):
        response = exc.response
        code = (response.get("error") if response else None) or "unknown_error"
        status = getattr(response, "status_code", 200) if response is not None else 200
        if status >= 500:
            code = f"http_{status}"
        return SlackError(
            f"Slack {method} failed ({code}).",
            code=code,
            retryable=code not in PERMANENT,
            in_doubt=code in IN_DOUBT or status >= 500,
        )
    # No answer (a timeout, a dropped connection): the request may have arrived.
    return SlackError(
        f"Slack {method} failed ({type(exc).__name__}).", code=type(exc).__name__, in_doubt=True
    )


def _metadata(key: str | None) -> dict[str, Any]:
    """Message metadata carrying the outbox key, so a retry can find what was already sent."""
    if key is None:
        return {}
    return {"metadata": {"event_type": METADATA_EVENT, "event_payload": {"key": key}}}


class SlackWeb:
    """Both Slack Protocols over one AsyncWebClient (whose base URL may be an emulator)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._dm_channels: dict[str, str] = {}
        self._channel_queues: dict[str, asyncio.Lock] = {}
        self._home_ids: tuple[str, str | None] | None = None

    async def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self._client.api_call(method, json=kwargs)
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
            raise _failure(method, exc) from None
        return response.data if isinstance(response.data, dict) else {}

    async def _post_message(self, channel: str, **kwargs: Any) -> MessageRef:
        """chat.postMessage, one at a time per channel.

        Slack allows about one post per second per channel. Queued here, a burst waits its
        turn and each post is refused (429, then retried by the client) at most once or twice,
        instead of every post hammering Slack until its retries run out.
        """
        async with self._channel_queues.setdefault(channel, asyncio.Lock()):
            data = await self._call("chat.postMessage", channel=channel, **kwargs)
        return MessageRef(data["channel"], data["ts"])

    async def post(
        self,
        channel: str,
        *,
        text: str,
        blocks: Blocks | None = None,
        thread_ts: str | None = None,
        key: str | None = None,
    ) -> MessageRef:
        """Post a message in a channel (as a reply in a thread when thread_ts is given)."""
        extra = {"thread_ts": thread_ts} if thread_ts else {}
        return await self._post_message(
            channel,
            text=text,
            blocks=list(blocks or []),
            unfurl_links=False,
            unfurl_media=False,
            **extra,
            **_metadata(key),
        )

    async def update(self, ref: MessageRef, *, text: str, blocks: Blocks | None = None) -> None:
        """Replace a posted message."""
        await self._call(
            "chat.update", channel=ref.channel, ts=ref.ts, text=text, blocks=list(blocks or [])
        )

    async def dm(
        self, user_id: str, *, text: str, blocks: Blocks | None = None, key: str | None = None
    ) -> MessageRef:
        """DM a user; links never unfurl, so a one-time link is not opened by a preview bot."""
        kwargs: dict[str, Any] = {
            "text": text,
            "unfurl_links": False,
            "unfurl_media": False,
            **_metadata(key),
        }
        if blocks:
            kwargs["blocks"] = list(blocks)
        return await self._post_message(await self._dm_channel(user_id), **kwargs)

    async def _dm_channel(self, user_id: str) -> str:
        channel = self._dm_channels.get(user_id)
        if channel is None:
            data = await self._call("conversations.open", users=user_id)
            channel = data["channel"]["id"]
            self._dm_channels[user_id] = channel
        return channel

    async def find_sent(
        self,
        *,
        key: str,
        since: datetime,
        channel: str | None = None,
        user_id: str | None = None,
        thread_ts: str | None = None,
    ) -> MessageRef | None:
        """The message this bot posted with outbox key since a time, if Slack has it."""
        where = channel or await self._dm_channel(user_id or "")
        method = "conversations.replies" if thread_ts else "conversations.history"
        extra = {"ts": thread_ts} if thread_ts else {}
        # Slack's clock and ours may disagree by a little: look back further than asked.
        oldest = min(since, datetime.now(UTC)) - LOOK_BACK
        data = await self._call(
            method,
            channel=where,
            oldest=f"{oldest.timestamp():.6f}",
            limit=200,
            include_all_metadata=True,
            **extra,
        )
        for message in data.get("messages") or []:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == key:
                return MessageRef(where, str(message["ts"]))
        return None

    async def user(self, user_id: str) -> SlackUser:
        """users.info, reduced to what identity needs (and whose organisation the user is of)."""
        try:
            response = await self._client.users_info(user=user_id)
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
            raise _failure("users.info", exc) from None
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        return SlackUser(
            user_id=user.get("id", user_id),
            email=profile.get("email"),
            name=user.get("real_name") or user.get("name") or user_id,
            is_bot=bool(user.get("is_bot")) or user_id == SLACKBOT,
            deleted=bool(user.get("deleted")),
            is_guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
            is_external=await self._is_external(user),
            is_app_user=bool(user.get("is_app_user")),
        )

    async def _is_external(self, user: dict[str, Any]) -> bool:
        """Whether user belongs to another organisation (Slack Connect) than the bot's."""
        if user.get("is_stranger"):
            return True
        team, enterprise = await self._home()
        if user.get("team_id") == team:
            return False
        # Enterprise Grid: another workspace of the same organisation is not Slack Connect.
        theirs = (user.get("enterprise_user") or {}).get("enterprise_id")
        return not (enterprise and theirs == enterprise)

    async def _home(self) -> tuple[str, str | None]:
        """The bot's own team id and Enterprise Grid id (auth.test, asked once)."""
        if self._home_ids is None:
            data = await self._call("auth.test")
            self._home_ids = (str(data.get("team_id") or ""), data.get("enterprise_id"))
        return self._home_ids

    async def group_members(self, group_id: str) -> frozenset[str]:
        """usergroups.users.list."""
        try:
            response = await self._client.usergroups_users_list(usergroup=group_id)
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
            raise _failure("usergroups.users.list", exc) from None
        return frozenset(response.get("users") or [])
