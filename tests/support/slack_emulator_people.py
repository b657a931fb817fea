"""Kinds of Slack accounts the emulator can hold: guests, Slack Connect members, app users…

Each function registers one account shaped the way users.info describes that kind, so the
bot's identity rules meet the same fields they meet in a real workspace.
"""

from typing import Any

from tests.support.slack_emulator import SlackEmulator

OTHER_TEAM_ID = "T0OTHERORG"


def add_guest(
    emu: SlackEmulator, user_id: str, name: str, email: str, *, single_channel: bool = False
) -> dict[str, Any]:
    """A multi-channel guest (is_restricted) or, with single_channel, a single-channel one."""
    return emu.add_user(
        user_id, name, email=email, is_restricted=True, is_ultra_restricted=single_channel
    )


def add_slack_connect_user(
    emu: SlackEmulator, user_id: str, name: str, email: str, *, stranger: bool = False
) -> dict[str, Any]:
    """A member of another organisation seen through Slack Connect (a shared channel).

    stranger: the bot shares no channel with them, so Slack marks them is_stranger.
    """
    user = emu.add_user(user_id, name, email=email, team_id=OTHER_TEAM_ID)
    user["profile"]["team"] = OTHER_TEAM_ID
    if stranger:
        user["is_stranger"] = True
    return user


def add_app_user(emu: SlackEmulator, user_id: str, name: str, email: str) -> dict[str, Any]:
    """An account an app acts as (is_app_user), which is neither a person nor a bot user."""
    return emu.add_user(user_id, name, email=email, is_app_user=True)


def add_bot_user(
    emu: SlackEmulator, user_id: str, name: str, email: str | None = None
) -> dict[str, Any]:
    """Another app's bot user."""
    return emu.add_user(user_id, name, email=email, is_bot=True)


def add_deactivated_user(emu: SlackEmulator, user_id: str, name: str, email: str) -> dict[str, Any]:
    """A person whose account was deactivated (deleted: true in users.info)."""
    return emu.add_user(user_id, name, email=email, deleted=True)


def change_email(emu: SlackEmulator, user_id: str, email: str) -> None:
    """The person changed the email address on their profile."""
    emu.users[user_id]["profile"]["email"] = email


def set_group_members(emu: SlackEmulator, group_id: str, user_ids: list[str]) -> None:
    """Replace a user group's members (someone was added to or removed from it)."""
    emu.add_usergroup(group_id, user_ids)
