"""Scheduled starts: the times people give, their limits, and the windows they imply."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import InputError
from bot.start_times import access_window, check_start, parse_start, pending_until
from tests.support import catalogs

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
CATALOG = catalogs.make_catalog()


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2026-12-02T02:00Z", datetime(2026, 12, 2, 2, 0, tzinfo=UTC)),
        ("2026-12-02T03:00+01:00", datetime(2026, 12, 2, 2, 0, tzinfo=UTC)),
        ("2026-12-01t22:30-03:30", datetime(2026, 12, 2, 2, 0, tzinfo=UTC)),
        (" 2026-12-02T02:00:59.999Z ", datetime(2026, 12, 2, 2, 0, 59, tzinfo=UTC)),
    ],
)
def test_parse_start_gives_utc_to_the_second(text: str, moment: datetime) -> None:
    assert parse_start(text) == moment


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2026-12-02T02:00", "has no time zone"),
        ("2026-12-02", "has no time zone"),
        ("next tuesday", "is not an ISO 8601 time"),
        ("2026-02-30T02:00Z", "is not an ISO 8601 time"),
        ("<!channel>", "&lt;!channel&gt;"),  # echoed inert
    ],
)
def test_parse_start_refusals_say_how(text: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem) as caught:
        parse_start(text)
    assert caught.value.field == "start" and "2026-12-02T02:00Z" in str(caught.value)


def test_check_start_limits() -> None:
    assert check_start(CATALOG, NOW + timedelta(days=7), now=NOW) == NOW + timedelta(days=7)
    with pytest.raises(InputError, match=r"at most 7d ahead .*max_start_ahead"):
        check_start(CATALOG, NOW + timedelta(days=7, seconds=1), now=NOW)
    with pytest.raises(InputError, match="in the past"):
        check_start(CATALOG, NOW, now=NOW)


def test_pending_until_gives_until_the_start_then_the_usual_timeout() -> None:
    timeout = timedelta(minutes=30)
    assert pending_until(now=NOW, starts_at=None, timeout=timeout, duration=H) == NOW + timeout
    later = NOW + timedelta(days=2)
    assert pending_until(now=NOW, starts_at=later, timeout=timeout, duration=H) == later + timeout
    # Never past the end of what it asks for.
    short = timedelta(minutes=15)
    assert pending_until(now=NOW, starts_at=later, timeout=timeout, duration=short) == later + short


def test_access_window_keeps_the_start_and_counts_from_it() -> None:
    later = NOW + 2 * H
    assert access_window(now=NOW, starts_at=None, duration=H, standing=False) == (None, NOW + H)
    assert access_window(now=NOW, starts_at=later, duration=H, standing=False) == (later, later + H)
    earlier = NOW - timedelta(minutes=20)  # approved after its start: the time left
    assert access_window(now=NOW, starts_at=earlier, duration=H, standing=False) == (
        None,
        earlier + H,
    )
    assert access_window(now=NOW, starts_at=later, duration=H, standing=True) == (later, None)
