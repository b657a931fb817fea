"""A failing revocation is retried with backoff, reported once after 3 failures, never dropped."""

from datetime import timedelta

from bot.domain import GrantStatus
from bot.lifecycle import Lifecycle
from bot.revoking import backoff
from scheduler.sweeps import Sweeper
from tests.e2e import helpers as x
from tests.scheduler.support import MovableClock, audit, grant, make_grant
from tests.support import catalogs
from tests.support.harness import BotHarness


async def test_failing_detach_is_retried_reported_once_and_finally_revoked(h: BotHarness) -> None:
    clock = x.use_clock(h)  # frozen between moves: the backoff is read off it exactly
    deps, sweeper = h.workflow.d, Sweeper(h.workflow.d)
    made = await make_grant(deps, duration=timedelta(minutes=15))
    h.iam.fail_detach = 4
    clock.advance(timedelta(minutes=15, seconds=1))

    def reports() -> list[str]:
        return [m.text for m in h.emu.messages_in(catalogs.ORDERS_CHANNEL) if made.id in m.text]

    for attempt in range(1, 5):
        assert await sweeper.run() == 0
        row = await grant(deps, made.id)
        assert (row.status, row.attempts) == (GrantStatus.REVOKING, attempt)
        assert row.next_attempt_at is not None
        assert row.next_attempt_at - clock() == backoff(attempt)
        assert "test failure" in (row.last_error or "")
        assert await sweeper.run() == 0  # not due again before its backoff passed
        assert (await grant(deps, made.id)).attempts == attempt
        assert len(reports()) == (1 if attempt >= 3 else 0)
        clock.advance(backoff(attempt) + timedelta(seconds=1))

    assert await sweeper.run() == 1
    row = await grant(deps, made.id)
    assert row.status == GrantStatus.REVOKED and row.claimed_by is None
    assert not h.iam.has(made.principal_arn, made.id)
    [report] = reports()
    assert "failed 3 times" in report and "keep retrying" in report
    assert f"<@{catalogs.DEV}>" in report and "test failure" in report
    assert len(await audit(deps, "grant.revoke_failed", made.id)) == 4
    assert len(await audit(deps, "grant.revoke_failure_reported", made.id)) == 1
    [revoked] = await audit(deps, "grant.revoked", made.id)
    assert revoked.details["attempts"] == 4 and revoked.details["reason"] == "expired"
    assert h.metrics.registry.get_sample_value("dbab_revoke_failures_total") == 4


async def test_backoff_grows_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert backoff(30) == timedelta(minutes=5)


async def test_a_report_that_slack_refused_arrives_once_when_slack_is_back(
    h: BotHarness, clock: MovableClock
) -> None:
    deps, sweeper = h.workflow.d, Sweeper(h.workflow.d)
    steps = Lifecycle(deps).steps
    made = await make_grant(deps, duration=timedelta(minutes=15))
    h.iam.fail_detach = 4
    clock.advance(timedelta(minutes=16))
    for attempt in range(1, 5):
        if attempt == 3:
            # Not ratelimited: the Slack client retries that itself; this reaches the outbox.
            h.emu.fail_next("chat.postMessage", "internal_error")
        await sweeper.run()
        clock.advance(backoff(attempt) + timedelta(seconds=1))
        await steps.run_due()
    reports = [m for m in h.emu.messages_in(catalogs.ORDERS_CHANNEL) if made.id in m.text]
    assert len(reports) == 1 and "failed 3 times" in reports[0].text
    assert (await grant(deps, made.id)).failure_reported_at is not None
