"""Slack refusing DMs makes time-driven notices wait for their lease, not spin on the same row."""

import asyncio
from datetime import timedelta
from typing import Any

from bot.errors import SlackError
from bot.expiry_warnings import ExpiryWarnings
from bot.pending import PendingRequests
from bot.unused import UnusedAccess
from tests.scheduler.support import MovableClock, catalog_with, grant, make_grant
from tests.support import catalogs
from tests.support.harness import BotHarness


class RefusingSlack:
    """The real notifier, except that every DM and post fails; counts the attempts."""

    def __init__(self, inner: Any) -> None:
        self._inner, self.attempts = inner, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def dm(self, *args: Any, **kwargs: Any) -> Any:
        self.attempts += 1
        raise SlackError("Slack chat.postMessage failed (service_unavailable).")

    post = dm


async def test_expiry_warning_is_retried_after_its_lease_not_in_a_loop(
        h: BotHarness, clock: MovableClock) -> None:
    deps = h.workflow.d
    made = await make_grant(deps, duration=timedelta(hours=1))
    refusing = RefusingSlack(deps.slack)
    deps.slack = refusing
    clock.advance(timedelta(minutes=51))
    assert await asyncio.wait_for(ExpiryWarnings(deps).run(), 5) == 0
    assert refusing.attempts == 1
    assert await ExpiryWarnings(deps).run() == 0  # still leased: no second attempt yet
    assert refusing.attempts == 1
    clock.advance(timedelta(minutes=2))  # the lease lapsed; Slack is back
    deps.slack = refusing._inner
    assert await ExpiryWarnings(deps).run() == 1
    assert (await grant(deps, made.id)).warned_at is not None


async def test_reminder_is_retried_after_its_lease_not_in_a_loop(
        h: BotHarness, clock: MovableClock) -> None:
    deps = h.workflow.d
    await h.command("request orders-prod ro 1h slack is down")
    refusing = RefusingSlack(deps.slack)
    deps.slack = refusing
    clock.advance(timedelta(minutes=16))
    assert await asyncio.wait_for(PendingRequests(deps).run(), 5) == (0, 0)
    assert refusing.attempts == 1


async def test_unused_notice_is_retried_after_its_lease_not_in_a_loop(
        state_url: str, clock: MovableClock) -> None:
    data = catalog_with({"orders-prod": {"levels": {
        "ro": {"grants": ["pg_read_all_data"], "standing": True}}}})
    async with BotHarness(state_url, catalog=catalogs.make_catalog(data)) as h:
        deps = h.workflow.d
        deps.clock = clock
        await make_grant(deps)
        refusing = RefusingSlack(deps.slack)
        deps.slack = refusing
        clock.advance(timedelta(days=84))
        assert await asyncio.wait_for(UnusedAccess(deps).run(), 5) == (0, 0)
        assert refusing.attempts == 1
