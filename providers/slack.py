"""Slack Web API adapter: messages, DMs, views (SlackNotifier) and users/groups (SlackDirectory)."""

from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import MessageRef, SlackUser
from bot.errors import SlackError
from providers.base import Blocks


def _failure(method: str, exc: Exception) -> SlackError:
    if isinstance(exc, SlackApiError):
        code = exc.response.get("error", "unknown_error") if exc.response else "unknown_error"
        return SlackError(f"Slack {method} failed ({code}).")
    return SlackError(f"Slack {method} failed ({type(exc).__name__}).")


class SlackWeb:
    """Both Slack Protocols over one AsyncWebClient (whose base URL may be an emulator)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._dm_channels: dict[str, str] = {}

    async def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self._client.api_call(method, json=kwargs)
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
            raise _failure(method, exc) from None
        return response.data if isinstance(response.data, dict) else {}

    async def post(self, channel: str, *, text: str, blocks: Blocks | None = None,
                   thread_ts: str | None = None) -> MessageRef:
        """Post a message in a channel (as a reply in a thread when thread_ts is given)."""
        extra = {"thread_ts": thread_ts} if thread_ts else {}
        data = await self._call("chat.postMessage", channel=channel, text=text,
                                blocks=list(blocks or []), unfurl_links=False,
                                unfurl_media=False, **extra)
        return MessageRef(data["channel"], data["ts"])

    async def update(self, ref: MessageRef, *, text: str, blocks: Blocks | None = None) -> None:
        """Replace a posted message."""
        await self._call("chat.update", channel=ref.channel, ts=ref.ts, text=text,
                         blocks=list(blocks or []))

    async def dm(self, user_id: str, *, text: str, blocks: Blocks | None = None) -> MessageRef:
        """DM a user; links never unfurl, so a one-time link is not opened by a preview bot."""
        channel = self._dm_channels.get(user_id)
        if channel is None:
            data = await self._call("conversations.open", users=user_id)
            channel = data["channel"]["id"]
            self._dm_channels[user_id] = channel
        return await self._post_dm(channel, text, blocks)

    async def _post_dm(self, channel: str, text: str, blocks: Blocks | None) -> MessageRef:
        kwargs: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False,
                                  "unfurl_media": False}
        if blocks:
            kwargs["blocks"] = list(blocks)
        data = await self._call("chat.postMessage", **kwargs)
        return MessageRef(data["channel"], data["ts"])

    async def user(self, user_id: str) -> SlackUser:
        """users.info, reduced to what identity needs."""
        try:
            response = await self._client.users_info(user=user_id)
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
            raise _failure("users.info", exc) from None
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        return SlackUser(user_id=user.get("id", user_id), email=profile.get("email"),
                         name=user.get("real_name") or user.get("name") or user_id,
                         is_bot=bool(user.get("is_bot")), deleted=bool(user.get("deleted")))

    async def group_members(self, group_id: str) -> frozenset[str]:
        """usergroups.users.list."""
        try:
            response = await self._client.usergroups_users_list(usergroup=group_id)
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
            raise _failure("usergroups.users.list", exc) from None
        return frozenset(response.get("users") or [])
