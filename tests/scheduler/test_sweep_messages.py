"""A sweep revokes on at IAM's pace while Slack holds its DMs back; every DM still goes out once."""

import asyncio
from datetime import timedelta
from typing import Any

from bot.domain import GrantStatus
from bot.lifecycle import Lifecycle
from bot.store.models import Grant
from scheduler.sweeps import Sweeper
from tests.scheduler.support import MovableClock, make_grant, rows, wait_for
from tests.support import catalogs
from tests.support.harness import BotHarness

GRANTS = 12


class HeldDms:
    """The bot's real Slack client, except that DMs wait until released (rate limits)."""

    def __init__(self, slack: Any) -> None:
        self._slack = slack
        self.release = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._slack, name)

    async def dm(self, user_id: str, **kwargs: Any) -> Any:
        await self.release.wait()
        return await self._slack.dm(user_id, **kwargs)


async def _overdue_grants(h: BotHarness, clock: MovableClock) -> list[Grant]:
    deps = h.workflow.d
    made = [await make_grant(deps, duration=timedelta(hours=1)) for _ in range(GRANTS)]
    clock.advance(timedelta(hours=1, seconds=1))
    return made


def _ended_dms(h: BotHarness, made: list[Grant]) -> dict[str, int]:
    texts = [m.text for m in h.emu.dms_to(catalogs.DEV)]
    return {g.id: sum(f"Access `{g.id}`" in t and "ended" in t for t in texts) for g in made}


async def _all_revoked(h: BotHarness) -> list[Grant] | None:
    found = await rows(h.workflow.d, Grant, Grant.status == GrantStatus.REVOKED)
    return found if len(found) == GRANTS else None


async def test_revocations_do_not_wait_for_their_dms(h: BotHarness, clock: MovableClock) -> None:
    made = await _overdue_grants(h, clock)
    held = HeldDms(h.workflow.d.slack)
    h.workflow.d.slack = held
    sweep = asyncio.create_task(Sweeper(h.workflow.d, parallel=4).run())
    try:
        # Four slots: were they held by the DMs, only four grants could end while Slack waits.
        await wait_for(lambda: _all_revoked(h), timeout=30)
        assert not any(h.iam.has(g.principal_arn, g.id) for g in made)
        assert set(_ended_dms(h, made).values()) == {0}
        held.release.set()
        assert await asyncio.wait_for(sweep, 60) == GRANTS
    finally:
        held.release.set()
        if not sweep.done():
            sweep.cancel()
    assert _ended_dms(h, made) == {g.id: 1 for g in made}, h.emu.transcript()


async def test_messages_past_the_queue_go_to_the_due_runs(
    h: BotHarness, clock: MovableClock
) -> None:
    made = await _overdue_grants(h, clock)
    held = HeldDms(h.workflow.d.slack)
    h.workflow.d.slack = held
    sweep = asyncio.create_task(Sweeper(h.workflow.d, parallel=1).run())
    try:
        await wait_for(lambda: _all_revoked(h), timeout=30)
        held.release.set()
        await asyncio.wait_for(sweep, 60)
    finally:
        held.release.set()
        if not sweep.done():
            sweep.cancel()
    sent = _ended_dms(h, made)
    assert 0 < sum(sent.values()) < GRANTS  # the sweep sent a few rounds, handed the rest over
    assert await Lifecycle(h.workflow.d).steps.run_due() > 0
    assert _ended_dms(h, made) == {g.id: 1 for g in made}, h.emu.transcript()
