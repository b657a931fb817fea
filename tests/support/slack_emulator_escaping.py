"""What Slack sends for text a person typed into a slash command whose escaping is on.

Slack encodes `&`, `<` and `>` as entities, and with `should_escape: true` turns `@name` into
`<@U…|name>`, `#channel` into `<#C…|channel>`, `@here`/`@channel`/`@everyone` into `<!here>`…,
and links into `<https://…>`.
"""

import re

_TOKEN = re.compile(r"(https?://[^\s<>]+)|@([\w.-]+)|#([\w-]+)")
_SPECIAL = {"here", "channel", "everyone"}


def escape_typed(typed: str, *, users: dict[str, str], channels: dict[str, str]) -> str:
    """typed as Slack sends it (users and channels: name -> id of the ones that exist)."""
    encoded = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def markup(match: re.Match[str]) -> str:
        link, user, channel = match.groups()
        if link:
            return f"<{link}>"
        if user in _SPECIAL:
            return f"<!{user}>"
        if user in users:
            return f"<@{users[user]}|{user}>"
        if channel in channels:
            return f"<#{channels[channel]}|{channel}>"
        return match.group(0)  # a name Slack does not know stays plain text

    return _TOKEN.sub(markup, encoded)
