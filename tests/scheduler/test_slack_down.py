"""Slack refusing messages delays time-driven notices with backoff: sent once, never spun on."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from bot.errors import SlackError
from bot.lifecycle import Lifecycle
from bot.steps import backoff
from scheduler.expiry_warnings import ExpiryWarnings
from scheduler.pending import PendingRequests
from scheduler.unused import UnusedAccess
from tests.scheduler.support import MovableClock, audit, catalog_with, make_grant
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
        raise SlackError("Slack chat.postMessage failed (ratelimited).", code="ratelimited")

    post = dm


async def _sent_once_after_slack_returns(
    h: BotHarness,
    clock: MovableClock,
    notice: Callable[[], Awaitable[Any]],
    action: str,
    shown: Callable[[], list[Any]],
) -> None:
    """Run a notice job while Slack refuses, then the step runner, then with Slack back."""
    deps = h.workflow.d
    steps = Lifecycle(deps).steps
    refusing = RefusingSlack(deps.slack)
    deps.slack = refusing
    await asyncio.wait_for(notice(), 5)
    assert refusing.attempts == 1
    assert len(await audit(deps, action)) == 1  # the notice is decided once, durably
    await notice()
    assert await steps.run_due() == 0  # the message waits for its backoff: no tight loop
    assert refusing.attempts == 1
    clock.advance(backoff(1) + timedelta(seconds=1))
    assert await steps.run_due() == 1
    assert refusing.attempts == 2
    deps.slack = refusing._inner  # Slack is back
    clock.advance(backoff(2) + timedelta(seconds=1))
    assert await steps.run_due() == 1
    assert len(shown()) == 1
    assert await steps.run_due() == 0
    await notice()
    assert len(await audit(deps, action)) == 1 and len(shown()) == 1


async def test_expiry_warning_waits_for_slack(h: BotHarness, clock: MovableClock) -> None:
    made = await make_grant(h.workflow.d, duration=timedelta(hours=1))
    clock.advance(timedelta(minutes=51))
    await _sent_once_after_slack_returns(
        h,
        clock,
        ExpiryWarnings(h.workflow.d).run,
        "grant.expiry_warned",
        lambda: [
            m
            for m in h.emu.dms_to(catalogs.DEV)
            if made.id in str(m.blocks) and "ends in" in m.text
        ],
    )


async def test_reminder_waits_for_slack(h: BotHarness, clock: MovableClock) -> None:
    await h.command("request orders-prod ro 1h slack is down")
    clock.advance(timedelta(minutes=16))
    await _sent_once_after_slack_returns(
        h,
        clock,
        PendingRequests(h.workflow.d).run,
        "request.reminded",
        lambda: [m for m in h.emu.messages_in(catalogs.ORDERS_CHANNEL) if ":bell:" in m.text],
    )


async def test_unused_notice_waits_for_slack(state_url: str, clock: MovableClock) -> None:
    data = catalog_with(
        {"orders-prod": {"levels": {"ro": {"grants": ["pg_read_all_data"], "standing": True}}}}
    )
    async with BotHarness(state_url, catalog=catalogs.make_catalog(data)) as h:
        h.workflow.d.clock = clock
        await make_grant(h.workflow.d)
        clock.advance(timedelta(days=84))
        await _sent_once_after_slack_returns(
            h,
            clock,
            UnusedAccess(h.workflow.d).run,
            "grant.unused_notice",
            lambda: [m for m in h.emu.dms_to(catalogs.DEV) if ":zzz:" in m.text],
        )
