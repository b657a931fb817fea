"""`check --online`: is the bot a member of every approvals channel it must post cards in?"""

from dataclasses import dataclass

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.catalog.model import Catalog

READ_SCOPES = "channels:read and groups:read"


@dataclass(frozen=True)
class ChannelStatus:
    """One line of the report: ok, which channel, and what is wrong and how to fix it."""

    ok: bool
    what: str
    detail: str


def approvals_channels(catalog: Catalog) -> list[str]:
    """Every channel cards go to: the default and each database's own, in catalog order."""
    channels = [catalog.approvals_channel]
    channels += [db.approvals_channel for db in catalog.databases.values()]
    return list(dict.fromkeys(channels))


def _invite(bot_name: str, channel: str) -> str:
    return f"invite the bot: `/invite @{bot_name}` in {channel}"


async def channel_status(client: AsyncWebClient, channel_id: str, bot_name: str) -> ChannelStatus:
    """Whether the bot can post in channel_id, from conversations.info."""
    what = f"approvals channel {channel_id}"
    try:
        answer = await client.conversations_info(channel=channel_id)
    except SlackApiError as exc:
        error = str((exc.response or {}).get("error", "unknown_error"))
        if error == "channel_not_found":
            return ChannelStatus(
                False,
                what,
                "no such channel, or a private channel the bot "
                f"is not in — check the catalog's approvals_channel, or "
                f"{_invite(bot_name, 'that channel')}",
            )
        if error == "missing_scope":
            return ChannelStatus(
                False,
                what,
                f"the app lacks {READ_SCOPES} — add them (the "
                "manifest from `db-access-bot manifest` has them) and "
                "reinstall the app",
            )
        return ChannelStatus(False, what, f"Slack said {error!r}")
    except (SlackClientError, OSError, TimeoutError) as exc:
        return ChannelStatus(False, what, f"Slack could not be asked ({type(exc).__name__})")
    channel = answer.get("channel") or {}
    where = f"#{channel.get('name', channel_id)}"
    what = f"approvals channel {where} ({channel_id})"
    if channel.get("is_archived"):
        return ChannelStatus(
            False,
            what,
            "the channel is archived — unarchive it or point approvals_channel at another one",
        )
    if not channel.get("is_member"):
        return ChannelStatus(
            False,
            what,
            "the bot is not a member, so approval cards cannot "
            f"be posted — {_invite(bot_name, where)}",
        )
    return ChannelStatus(True, what, "the bot is a member")


async def channel_statuses(
    client: AsyncWebClient, catalog: Catalog, bot_name: str
) -> list[ChannelStatus]:
    """One status per approvals channel of the catalog."""
    return [
        await channel_status(client, channel, bot_name) for channel in approvals_channels(catalog)
    ]
