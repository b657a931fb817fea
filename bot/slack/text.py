"""Text as Slack sends it to a slash command (escaping on) turned back into what was typed.

With `should_escape: true` Slack sends `@carol` as `<@U123|carol>` (or `<@U123>`), `#ops` as
`<#C123|ops>`, a typed link as `<https://…>` or `<https://…|label>`, `@here` as `<!here>`, and
always `&`, `<`, `>` as `&amp;`, `&lt;`, `&gt;`.
"""

import re

MENTION = re.compile(r"^<@([UW][A-Z0-9]{2,})(?:\|[^<>]*)?>$")
_MARKUP = re.compile(r"<([^<>]*)>")


def mentioned_user(token: str) -> str | None:
    """The user id in a mention token as Slack sends it (`<@U123>`, `<@U123|carol>`), or None."""
    match = MENTION.match(token.strip())
    return match.group(1) if match else None


def _readable(inner: str) -> str:
    """One `<…>` control sequence as a person reads it."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return f"@{label or target[1:]}"
    if target.startswith("#"):
        return f"#{label or target[1:]}"
    if target.startswith("!subteam^"):
        return label if label.startswith("@") else f"@{label or target.split('^', 1)[1]}"
    if target.startswith("!"):
        return label or f"@{target[1:].split('^', 1)[0]}"
    if target.startswith("mailto:"):
        return target[len("mailto:") :]
    return target  # a link: the address itself, never a label that could hide it


def plain(text: str) -> str:
    """Slack's escaped text as plain text: mentions, channels and links readable, entities gone.

    The result is stored and always escaped again when shown, so nothing in it can mention,
    broadcast or link.
    """
    readable = _MARKUP.sub(lambda m: _readable(m.group(1)), text)
    return readable.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
