"""Slack's escaped command text read back as what the person typed."""

import pytest

from bot.slack.text import mentioned_user, plain


@pytest.mark.parametrize(
    ("sent", "read"),
    [
        ("<@U0BOB|bob> and <@U0CAROL>", "@bob and @U0CAROL"),
        ("in <#C0OPS|ops> or <#C0DEV>", "in #ops or #C0DEV"),
        ("<https://example.com/a?b=1&amp;c=2>", "https://example.com/a?b=1&c=2"),
        ("<https://evil.example|https://good.example>", "https://evil.example"),  # the real target
        ("<mailto:bob@example.com|bob@example.com>", "bob@example.com"),
        (
            "<!here> <!channel> <!subteam^S0DBA|@dbas> <!subteam^S0DBA>",
            "@here @channel @dbas @S0DBA",
        ),
        ("<!date^1700000000^{date}|Nov 14>", "Nov 14"),
        ("a &lt;b&gt; &amp;amp; c", "a <b> &amp; c"),
        ("no markup at all", "no markup at all"),
    ],
)
def test_plain(sent: str, read: str) -> None:
    assert plain(sent) == read


@pytest.mark.parametrize(
    ("token", "user"),
    [
        ("<@U0DEV2|dave>", "U0DEV2"),
        ("<@U0DEV2>", "U0DEV2"),
        ("<@W0ENT1|ent>", "W0ENT1"),
        ("@dave", None),
        ("<#C0OPS|ops>", None),
        ("<@u0dev2>", None),
        ("<@U0DEV2|dave>x", None),
    ],
)
def test_mentioned_user(token: str, user: str | None) -> None:
    assert mentioned_user(token) == user
