"""The Slack app manifest for `db-access-bot manifest`."""

from typing import Any

import yaml

# The *:history scopes let the outbox find a message it sent just before a crash or a lost
# answer (by its metadata), so that it is not sent twice; the bot reads only its own messages.
# channels:read and groups:read let `check --online` see whether the bot is in each approvals
# channel (conversations.info).
BOT_SCOPES = [
    "commands",
    "chat:write",
    "im:write",
    "users:read",
    "users:read.email",
    "usergroups:read",
    "channels:history",
    "groups:history",
    "im:history",
    "channels:read",
    "groups:read",
]
COMMAND = "/db-access"


def manifest(name: str = "db-access-bot") -> dict[str, Any]:
    """The manifest as data: Socket Mode, interactivity, /db-access, App Home, bot scopes."""
    return {
        "display_information": {
            "name": name,
            "description": "Temporary, approved, audited access to RDS and Aurora databases",
            "background_color": "#1d3b53",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": True,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [
                {
                    "command": COMMAND,
                    "description": "Request temporary database access",
                    "usage_hint": "[request <db> <ro|rw> <duration> <reason…> | list | help]",
                    # Mentions arrive as <@U…|name>: how an admin names whom a request is for.
                    "should_escape": True,
                }
            ],
        },
        "oauth_config": {"scopes": {"bot": BOT_SCOPES}},
        "settings": {
            "event_subscriptions": {"bot_events": ["app_home_opened"]},
            "interactivity": {"is_enabled": True},
            "org_deploy_enabled": False,
            "socket_mode_enabled": True,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(name: str = "db-access-bot") -> str:
    """The manifest rendered as YAML, ready to paste into api.slack.com/apps."""
    return yaml.safe_dump(manifest(name), sort_keys=False, allow_unicode=True)
