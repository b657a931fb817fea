"""The pure parts of the approval rules: which verdict, which check, which words."""

from datetime import timedelta

import pytest

from bot import grammar
from bot.breakglass import validate_breakglass
from bot.catalog.schema import parse_catalog
from bot.domain import ApprovalRule, Level
from bot.errors import InputError
from bot.policy import Outcome, decide, on_call_applies, validate
from bot.quota import window_text
from tests.support import catalogs

DATA = catalogs.catalog_data()
DATA["databases"]["orders-prod"].update(
    auto_approve={"ro": {"max": 3, "per": "7d"}},
    on_call={"pagerduty_schedule": "PDBAS01", "levels": ["rw"], "max_duration": "4h"},
    breakglass={"users": ["U0DEV1"], "levels": ["rw"], "max_duration": "1h"},
)
CATALOG = parse_catalog(DATA)
EVERYONE = frozenset({catalogs.APPROVER, catalogs.APPROVER2})


def _valid(level: str = "rw", duration: str = "1h", db: str = "orders-prod"):
    return validate(CATALOG, database=db, level=level, duration=duration, reason="INC-1")


def test_on_call_approves_only_the_levels_and_durations_it_covers() -> None:
    assert on_call_applies(_valid("rw", "4h")) and not on_call_applies(_valid("rw", "8h"))
    assert not on_call_applies(_valid("ro"))
    assert not on_call_applies(_valid("ro", db="analytics"))
    verdict = decide(_valid(), may_request=True, eligible_approvers=EVERYONE, on_call=True)
    assert (verdict.outcome, verdict.rule) == (Outcome.AUTO_APPROVE, ApprovalRule.ON_CALL)
    assert verdict.note == "on call in PagerDuty schedule PDBAS01"
    longer = decide(_valid("rw", "8h"), may_request=True, eligible_approvers=EVERYONE, on_call=True)
    assert (longer.outcome, longer.approvals) == (Outcome.NEEDS_APPROVAL, 2)


def test_who_may_not_ask_is_denied_even_when_on_call() -> None:
    verdict = decide(_valid(), may_request=False, eligible_approvers=EVERYONE, on_call=True)
    assert verdict.outcome == Outcome.DENY and verdict.quota is None


def test_a_quota_level_needs_approval_unless_the_quota_allows() -> None:
    verdict = decide(_valid("ro"), may_request=True, eligible_approvers=EVERYONE)
    assert verdict.outcome == Outcome.NEEDS_APPROVAL and verdict.quota is not None
    assert (verdict.quota.max, verdict.quota.per) == (3, timedelta(days=7))
    alone = decide(_valid("ro"), may_request=True, eligible_approvers=frozenset())
    assert alone.outcome == Outcome.DENY and alone.quota is not None  # the quota may still grant
    unlimited = decide(
        _valid("ro", db="analytics"), may_request=True, eligible_approvers=frozenset()
    )
    assert (unlimited.outcome, unlimited.rule) == (Outcome.AUTO_APPROVE, ApprovalRule.AUTO)


def test_quota_windows_read_as_written() -> None:
    assert [window_text(timedelta(days=d)) for d in (1, 7, 14)] == ["1d", "7d", "14d"]
    assert window_text(timedelta(hours=12)) == "12h"


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"database": "analytics", "level": "ro"}, "database", "analytics has no break-glass"),
        ({"level": "ro"}, "level", "covers rw only, not ro"),
        ({"level": "admin"}, "level", "not offered"),
        ({"duration": "2h"}, "duration", "lasts at most 1h"),
        ({"duration": "x"}, "duration", "not a duration"),
        ({"reason": " "}, "reason", "reason is required"),
    ],
)
def test_break_glass_fields_are_checked_against_its_rule(
    fields: dict[str, str], field: str, words: str
) -> None:
    given = {
        "database": "orders-prod",
        "level": "rw",
        "duration": "1h",
        "reason": "INC-1",
        **fields,
    }
    with pytest.raises(InputError) as caught:
        validate_breakglass(CATALOG, **given)
    assert caught.value.field == field and words in str(caught.value)


def test_break_glass_may_be_shorter_than_any_listed_duration() -> None:
    valid = validate_breakglass(
        CATALOG, database="orders-prod", level="rw", duration="20m", reason="INC-1"
    )
    assert (valid.level, valid.duration) == (Level.RW, timedelta(minutes=20))


def test_grammar_reads_break_glass() -> None:
    assert grammar.parse("breakglass orders-prod RW 1h disk full  INC-9") == grammar.BreakGlass(
        "orders-prod", "rw", "1h", "disk full  INC-9"
    )
    assert grammar.parse("break-glass orders-prod rw 1h x") == grammar.BreakGlass(
        "orders-prod", "rw", "1h", "x"
    )
    with pytest.raises(InputError, match="<level> is missing"):
        grammar.parse("breakglass orders-prod")
