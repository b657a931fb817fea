"""The PagerDuty emulator is as strict as the real API where a client can go wrong."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from tests.support.pagerduty_emulator import ACCEPT, PagerDutyEmulator

SCHEDULE = "PDBAS01"
NOW = datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
async def pd() -> AsyncIterator[PagerDutyEmulator]:
    async with PagerDutyEmulator() as emulator:
        emulator.add_schedule(SCHEDULE, "DBA primary")
        yield emulator


async def get(
    pd: PagerDutyEmulator,
    path: str,
    params: list[tuple[str, str]],
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    sent = (
        {"Authorization": f"Token token={pd.token}", "Accept": ACCEPT}
        if headers is None
        else headers
    )
    async with (
        aiohttp.ClientSession() as session,
        session.get(pd.base_url + path, params=params, headers=sent) as resp,
    ):
        return resp.status, await resp.json()


def now_range() -> list[tuple[str, str]]:
    return [("since", _iso(NOW)), ("until", _iso(NOW + timedelta(seconds=1)))]


async def test_the_token_must_come_in_pagerdutys_own_header(pd: PagerDutyEmulator) -> None:
    for headers in (
        {},
        {"Authorization": f"Bearer {pd.token}", "Accept": ACCEPT},
        {"Authorization": "Token token=wrong", "Accept": ACCEPT},
    ):
        status, body = await get(pd, "/oncalls", [], headers)
        assert status == 401 and body["error"]["message"] == "Invalid Credentials"
    status, _ = await get(
        pd,
        "/oncalls",
        [],
        {"Authorization": f"Token token={pd.token}", "Accept": "application/json"},
    )
    assert status == 406
    assert [r.authorized for r in pd.requests] == [False, False, False, True]


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ([("schedule_ids", SCHEDULE)], "Unknown parameter 'schedule_ids'"),
        ([("include[]", "emails")], "include[] must be one of"),
        ([("since", _iso(NOW))], "since and until must be given together"),
        ([("since", _iso(NOW)), ("until", _iso(NOW - timedelta(hours=1)))], "after since"),
        ([("since", _iso(NOW)), ("until", _iso(NOW + timedelta(days=91)))], "at most 90 days"),
        ([("since", "yesterday"), ("until", _iso(NOW))], "ISO 8601"),
        ([("limit", "101")], "limit must be a whole number from 1 to 100"),
        ([("limit", "100"), ("offset", "9950")], "Offset + limit"),
    ],
)
async def test_bad_parameters_are_refused_like_pagerduty_does(
    pd: PagerDutyEmulator, params: list[tuple[str, str]], problem: str
) -> None:
    status, body = await get(pd, "/oncalls", params)
    assert status == 400 and body["error"]["code"] == 2001
    assert problem in body["error"]["errors"][0]


async def test_users_carry_emails_only_when_included(pd: PagerDutyEmulator) -> None:
    pd.put_on_call(SCHEDULE, "alice@example.com", name="Alice")
    _, plain = await get(pd, "/oncalls", [("schedule_ids[]", SCHEDULE), *now_range()])
    assert plain["oncalls"][0]["user"]["type"] == "user_reference"
    assert "email" not in plain["oncalls"][0]["user"]
    _, full = await get(
        pd, "/oncalls", [("schedule_ids[]", SCHEDULE), ("include[]", "users"), *now_range()]
    )
    assert full["oncalls"][0]["user"]["email"] == "alice@example.com"
    assert full["oncalls"][0]["schedule"]["id"] == SCHEDULE


async def test_only_shifts_of_the_schedule_and_the_range_are_listed(pd: PagerDutyEmulator) -> None:
    pd.put_on_call(SCHEDULE, "now@example.com")
    pd.put_on_call(
        SCHEDULE, "later@example.com", start=NOW + timedelta(hours=2), end=NOW + timedelta(hours=3)
    )
    pd.put_on_call("POTHER1", "elsewhere@example.com")
    _, body = await get(
        pd, "/oncalls", [("schedule_ids[]", SCHEDULE), ("include[]", "users"), *now_range()]
    )
    assert [e["user"]["email"] for e in body["oncalls"]] == ["now@example.com"]


async def test_pagination_walks_with_offset_until_more_is_false(pd: PagerDutyEmulator) -> None:
    for n in range(30):
        pd.put_on_call(SCHEDULE, f"person{n}@example.com")
    _, first = await get(pd, "/oncalls", [("schedule_ids[]", SCHEDULE), *now_range()])
    assert (len(first["oncalls"]), first["limit"], first["offset"], first["more"]) == (
        25,
        25,
        0,
        True,
    )
    assert first["total"] is None
    _, rest = await get(
        pd,
        "/oncalls",
        [("schedule_ids[]", SCHEDULE), ("offset", "25"), ("total", "true"), *now_range()],
    )
    assert (len(rest["oncalls"]), rest["more"], rest["total"]) == (5, False, 30)


async def test_schedules_can_be_looked_up_and_missing_ones_are_404(pd: PagerDutyEmulator) -> None:
    status, body = await get(pd, f"/schedules/{SCHEDULE}", [])
    assert status == 200 and body["schedule"]["name"] == "DBA primary"
    status, body = await get(pd, "/schedules/PNOPE99", [])
    assert status == 404 and body["error"]["message"] == "Not Found"


async def test_failures_and_slowness_can_be_ordered(pd: PagerDutyEmulator) -> None:
    pd.fail_next(500)
    pd.fail_next(429)
    assert (await get(pd, "/oncalls", []))[0] == 500
    status, body = await get(pd, "/oncalls", [])
    assert status == 429 and body["error"]["message"] == "Rate Limit Exceeded"
    assert (await get(pd, "/oncalls", []))[0] == 200
    pd.delay = 0.3
    with pytest.raises(TimeoutError):
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.05)) as session:
            await session.get(pd.base_url + "/oncalls")
