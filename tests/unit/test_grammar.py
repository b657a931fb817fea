"""The one-line grammar of /db-access."""

import pytest

from bot import grammar
from bot.errors import InputError


@pytest.mark.parametrize(("text", "parsed"), [
    ("", grammar.OpenForm()),
    ("   ", grammar.OpenForm()),
    ("help", grammar.Help()),
    ("HELP", grammar.Help()),
    ("request orders-prod RO 1H  why   not ", grammar.Request("orders-prod", "ro", "1h",
                                                            "why   not")),
    ("list", grammar.ListMine()),
    ("token g1", grammar.Token("g1")),
    ("revoke g1", grammar.Revoke("g1")),
    ("extend g1 4H", grammar.Extend("g1", "4h")),
    ("audit", grammar.Audit(None, None)),
    ("audit orders-prod", grammar.Audit("orders-prod", None)),
    ("audit 7d", grammar.Audit(None, "7d")),
    ("audit orders-prod 24H", grammar.Audit("orders-prod", "24h")),
])
def test_parse(text: str, parsed: grammar.Command) -> None:
    assert grammar.parse(text) == parsed


@pytest.mark.parametrize(("text", "words"), [
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
])
def test_parse_errors_name_the_problem(text: str, words: list[str]) -> None:
    with pytest.raises(InputError) as caught:
        grammar.parse(text)
    for word in words:
        assert word in str(caught.value)
    assert "<!channel>" not in str(caught.value)


def test_usage_lists_every_verb() -> None:
    for verb in ("request", "list", "token", "extend", "revoke", "audit", "help"):
        assert f"/db-access {verb}" in grammar.USAGE
