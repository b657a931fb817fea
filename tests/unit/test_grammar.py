"""The one-line grammar of /db-access."""

import pytest

from bot import grammar
from bot.errors import InputError


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("", grammar.OpenForm()),
        ("   ", grammar.OpenForm()),
        ("help", grammar.Help()),
        ("HELP", grammar.Help()),
        (
            "request orders-prod RO 1H  why   not ",
            grammar.Request("orders-prod", "ro", "1h", "why   not"),
        ),
        ("list", grammar.ListMine()),
        ("token g1", grammar.Token("g1")),
        ("revoke g1", grammar.Revoke("g1")),
        ("extend g1 4H", grammar.Extend("g1", "4h")),
        ("audit", grammar.Audit(None, None)),
        ("audit orders-prod", grammar.Audit("orders-prod", None)),
        ("audit 7d", grammar.Audit(None, "7d")),
        ("audit orders-prod 24H", grammar.Audit("orders-prod", "24h")),
        ("withdraw r1", grammar.Withdraw("r1")),
        # Several databases, a later start, someone else (mentions as Slack sends them).
        ("request a,b ro 1h x", grammar.Request("a,b", "ro", "1h", "x")),
        (
            "request a ro 1h --at 2026-12-02T03:00+01:00 night run",
            grammar.Request("a", "ro", "1h", "night run", at="2026-12-02T03:00+01:00"),
        ),
        (
            "request a ro 1h --at=2026-12-02T02:00Z x",
            grammar.Request("a", "ro", "1h", "x", at="2026-12-02T02:00Z"),
        ),
        (
            "request a ro --AT 2026-12-02T02:00Z 1h x",
            grammar.Request("a", "ro", "1h", "x", at="2026-12-02T02:00Z"),
        ),
        (
            "request <@U0DEV2|dave> a ro 1h x",
            grammar.Request("a", "ro", "1h", "x", for_user="U0DEV2"),
        ),
        (
            "request <@W0ENT1> a ro 1h --at 2026-12-02T02:00Z x",
            grammar.Request("a", "ro", "1h", "x", for_user="W0ENT1", at="2026-12-02T02:00Z"),
        ),
        # Escaping on: Slack's markup and entities in a reason read back as what was typed.
        (
            "request a ro 1h see <https://jira.example.com/OPS-1|OPS-1> &amp; ask <@U1AB|bob> in "
            "<#C1AB|ops> &lt;now&gt;",
            grammar.Request(
                "a", "ro", "1h", "see https://jira.example.com/OPS-1 & ask @bob in #ops <now>"
            ),
        ),
    ],
)
def test_parse(text: str, parsed: grammar.Command) -> None:
    assert grammar.parse(text) == parsed


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("request", ["<db> is missing"]),
        ("request db", ["<ro|rw> is missing"]),
        ("request db ro", ["<duration> is missing"]),
        ("request db ro 1h", ["<reason…> is missing"]),
        ("token", ["/db-access token <grant>"]),
        ("revoke a b", ["/db-access revoke <grant>"]),
        ("extend g1", ["/db-access extend <grant> <duration>"]),
        ("audit a 1d x", ["/db-access audit [db] [since]"]),
        ("grant me", ["Unknown command `grant`", "/db-access help"]),
        ("<!channel>", ["Unknown command `&lt;!channel&gt;`"]),
        ("withdraw", ["/db-access withdraw <request>"]),
        ("request a ro 1h --at", ["`--at` needs a time"]),
        ("request a ro 1h --at 2026-12-02T02:00Z", ["<reason…> is missing"]),
        ("request <@U0DEV2|dave> a ro 1h", ["<reason…> is missing"]),
        (
            "request @dave a ro 1h x",
            ["`@dave` is not a mention of a Slack user", "pick the person"],
        ),
        ("request <@nobody> a ro 1h x", ["is not a mention of a Slack user"]),
    ],
)
def test_parse_errors_name_the_problem(text: str, words: list[str]) -> None:
    with pytest.raises(InputError) as caught:
        grammar.parse(text)
    for word in words:
        assert word in str(caught.value)
    assert "<!channel>" not in str(caught.value)


def test_usage_lists_every_verb() -> None:
    for verb in ("request", "list", "withdraw", "token", "extend", "revoke", "audit", "help"):
        assert f"/db-access {verb}" in grammar.USAGE


def test_usage_shows_several_databases_a_later_start_and_on_behalf() -> None:
    for form in ("orders-prod,billing-prod", "--at 2026-12-02T02:00Z", "request @carol"):
        assert form in grammar.USAGE
