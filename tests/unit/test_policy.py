"""The pure decisions: field checks, deny / auto-approve / N approvals, narrowing and quorum."""

from datetime import timedelta

import pytest

from bot.domain import Level
from bot.errors import InputError
from bot.policy import (
    Outcome,
    ValidRequest,
    Vote,
    check_narrowing,
    check_ticket,
    decide,
    quorum,
    validate,
)
from tests.support import catalogs

CATALOG = catalogs.make_catalog()
ORDERS = CATALOG.databases["orders-prod"]
H = timedelta(hours=1)


def _valid(db: str = "orders-prod", level: str = "ro", duration: str = "1h") -> ValidRequest:
    return validate(CATALOG, database=db, level=level, duration=duration, reason="INC-1")


def test_validate_accepts_a_good_request() -> None:
    valid = validate(
        CATALOG,
        database=" orders-prod ",
        level="rw",
        duration="4h",
        reason="  fix  ",
        ticket_url="https://jira.example.com/browse/OPS-1",
    )
    assert (valid.database.name, valid.level, valid.duration) == ("orders-prod", Level.RW, 4 * H)
    assert valid.reason == "fix" and valid.ticket_url.endswith("OPS-1")


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"database": "nope"}, "database", ["`nope`", "Known databases: analytics, orders-prod"]),
        ({"database": "analytics", "level": "rw", "duration": "1h"}, "level", ["offered: ro"]),
        ({"duration": "3h"}, "duration", ["`3h`", "Allowed: 15m, 1h, 4h, 8h"]),
        ({"duration": "0m"}, "duration", ["not a duration"]),
        ({"reason": "   "}, "reason", ["reason is required"]),
        ({"reason": "r" * 501}, "reason", ["501 characters"]),
        ({"ticket_url": "javascript:alert(1)"}, "ticket", ["http(s) link"]),
        ({"database": "<!channel>"}, "database", ["`&lt;!channel&gt;`"]),
    ],
)
def test_validate_names_the_first_problem(
    fields: dict[str, str], field: str, words: list[str]
) -> None:
    given = {"database": "orders-prod", "level": "ro", "duration": "1h", "reason": "why", **fields}
    with pytest.raises(InputError) as caught:
        validate(CATALOG, **given)
    assert caught.value.field == field
    for word in words:
        assert word in str(caught.value)
    assert "<!channel>" not in str(caught.value)


def test_ticket_is_optional() -> None:
    assert check_ticket(None) is None and check_ticket("  ") is None


def test_decide_needs_the_levels_approvals() -> None:
    everyone = frozenset({catalogs.APPROVER, catalogs.APPROVER2})
    assert decide(_valid(), may_request=True, eligible_approvers=everyone).approvals == 1
    verdict = decide(_valid(level="rw"), may_request=True, eligible_approvers=everyone)
    assert (verdict.outcome, verdict.approvals) == (Outcome.NEEDS_APPROVAL, 2)


def test_decide_auto_approves_catalog_levels() -> None:
    verdict = decide(_valid("analytics"), may_request=True, eligible_approvers=frozenset())
    assert verdict.outcome == Outcome.AUTO_APPROVE


def test_decide_denies_who_may_not_ask_and_overlong_durations() -> None:
    verdict = decide(_valid(), may_request=False, eligible_approvers=frozenset({"U1"}))
    assert verdict.outcome == Outcome.DENY
    assert verdict.reason.startswith(
        "Nobody may request access to orders-prod. Ask one of its "
        "approvers (<@U0APPROVER1>, <!subteam^S0DBAS>)"
    )
    too_long = ValidRequest(ORDERS, Level.RO, 9 * H, "why", None)
    verdict = decide(too_long, may_request=True, eligible_approvers=frozenset({"U1"}))
    assert verdict.outcome == Outcome.DENY and "longer than the 8h" in verdict.reason


def test_decide_says_when_no_approver_is_left() -> None:
    verdict = decide(_valid(), may_request=True, eligible_approvers=frozenset())
    assert verdict.outcome == Outcome.DENY and "no approver other than you" in verdict.reason
    verdict = decide(_valid(level="rw"), may_request=True, eligible_approvers=frozenset({"U1"}))
    assert verdict.outcome == Outcome.DENY and "only 1 approver(s) other than you" in verdict.reason


def test_narrowing_may_only_lower() -> None:
    check_narrowing(ORDERS, requested_level=Level.RW, requested=4 * H, level=Level.RO, duration=H)
    with pytest.raises(InputError, match="not rw"):
        check_narrowing(ORDERS, requested_level=Level.RO, requested=H, level=Level.RW, duration=H)
    with pytest.raises(InputError, match="up to the 1h requested"):
        check_narrowing(
            ORDERS, requested_level=Level.RO, requested=H, level=Level.RO, duration=4 * H
        )


def test_quorum_counts_approvals_and_keeps_the_narrowest() -> None:
    ask = {"level": Level.RW, "duration": 4 * H, "required": 2}
    assert quorum(ORDERS, approvals=[Vote()], **ask) is None
    assert quorum(ORDERS, approvals=[Vote(), Vote()], **ask) == (Level.RW, 4 * H)
    assert quorum(ORDERS, approvals=[Vote(Level.RW, H), Vote()], **ask) == (Level.RW, H)
    # Narrowed to ro, which needs one approval on orders-prod: granted at once.
    assert quorum(ORDERS, approvals=[Vote(Level.RO, H)], **ask) == (Level.RO, H)
    assert quorum(None, approvals=[Vote(Level.RO, H)], **ask) is None
