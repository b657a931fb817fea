"""The PagerDuty provider against the emulator: paging, matching by email, every failure named."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from bot.errors import OnCallError
from bot.oncall import CachedOnCall
from providers.pagerduty import PagerDutyOnCall
from tests.support.pagerduty_emulator import PagerDutyEmulator

SCHEDULE = "PDBAS01"


@pytest.fixture
async def pd() -> AsyncIterator[PagerDutyEmulator]:
    async with PagerDutyEmulator() as emulator:
        emulator.add_schedule(SCHEDULE, "DBA primary")
        yield emulator


@pytest.fixture
async def client(pd: PagerDutyEmulator) -> AsyncIterator[PagerDutyOnCall]:
    provider = PagerDutyOnCall(pd.base_url + "/", SecretStr(pd.token), timeout=0.5)
    yield provider
    await provider.close()


async def test_everyone_on_call_is_found_across_pages(
    pd: PagerDutyEmulator, client: PagerDutyOnCall
) -> None:
    for n in range(130):
        pd.put_on_call(SCHEDULE, f"Person{n}@Example.com")
    emails = await client.on_call_emails(SCHEDULE, at=datetime.now(UTC))
    assert len(emails) == 130 and "person129@example.com" in emails
    seen = pd.oncall_requests()
    assert [dict(r.params)["offset"] for r in seen] == ["0", "100"]
    params = seen[0].params
    assert ("schedule_ids[]", SCHEDULE) in params and ("include[]", "users") in params
    assert all(r.authorized and r.status == 200 for r in seen)


async def test_a_schedule_nobody_covers_gives_nobody(client: PagerDutyOnCall) -> None:
    assert await client.on_call_emails(SCHEDULE, at=datetime.now(UTC)) == frozenset()


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (401, "HTTP 401: Invalid Credentials (check PAGERDUTY_TOKEN"),
        (403, "HTTP 403"),
        (429, "rate limited"),
        (500, "HTTP 500"),
    ],
)
async def test_refusals_are_errors_that_name_the_fix(
    pd: PagerDutyEmulator, client: PagerDutyOnCall, status: int, words: str
) -> None:
    pd.fail_next(status)
    with pytest.raises(OnCallError) as caught:
        await client.on_call_emails(SCHEDULE, at=datetime.now(UTC))
    assert words in str(caught.value)
    assert pd.token not in str(caught.value)


async def test_a_wrong_token_is_refused_and_never_shown(pd: PagerDutyEmulator) -> None:
    secret = "pd-wrong-token-never-shown"
    provider = PagerDutyOnCall(pd.base_url, SecretStr(secret), timeout=0.5)
    try:
        with pytest.raises(OnCallError) as caught:
            await provider.on_call_emails(SCHEDULE, at=datetime.now(UTC))
    finally:
        await provider.close()
    assert "HTTP 401" in str(caught.value) and secret not in str(caught.value)
    assert not caught.value.retryable


async def test_slow_and_unreachable_pagerduty_are_errors(
    pd: PagerDutyEmulator, client: PagerDutyOnCall
) -> None:
    pd.delay = 2.0
    with pytest.raises(OnCallError, match=r"did not answer within 0\.5 s"):
        await client.on_call_emails(SCHEDULE, at=datetime.now(UTC))
    gone = PagerDutyOnCall("http://127.0.0.1:9", SecretStr("x"), timeout=0.5)
    try:
        with pytest.raises(OnCallError, match="unreachable"):
            await gone.on_call_emails(SCHEDULE, at=datetime.now(UTC))
    finally:
        await gone.close()


async def test_schedule_names_and_missing_schedules(client: PagerDutyOnCall) -> None:
    assert await client.schedule_name(SCHEDULE) == "DBA primary"
    with pytest.raises(OnCallError, match="no such schedule PNOPE99"):
        await client.schedule_name("PNOPE99")


async def test_answers_are_cached_for_at_most_a_minute(
    pd: PagerDutyEmulator, client: PagerDutyOnCall
) -> None:
    ticks = [1000.0]
    cached = CachedOnCall(client, clock=lambda: ticks[0])
    pd.put_on_call(SCHEDULE, "alice@example.com")
    assert "alice@example.com" in await cached.on_call_emails(SCHEDULE, at=datetime.now(UTC))
    pd.shifts.clear()
    ticks[0] += 59
    assert "alice@example.com" in await cached.on_call_emails(SCHEDULE, at=datetime.now(UTC))
    assert len(pd.oncall_requests()) == 1
    ticks[0] += 2
    assert await cached.on_call_emails(SCHEDULE, at=datetime.now(UTC)) == frozenset()
    assert len(pd.oncall_requests()) == 2


async def test_failures_are_not_cached(pd: PagerDutyEmulator, client: PagerDutyOnCall) -> None:
    cached = CachedOnCall(client)
    pd.put_on_call(SCHEDULE, "alice@example.com")
    pd.fail_next(503)
    with pytest.raises(OnCallError):
        await cached.on_call_emails(SCHEDULE, at=datetime.now(UTC))
    assert "alice@example.com" in await cached.on_call_emails(SCHEDULE, at=datetime.now(UTC))
