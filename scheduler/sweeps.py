"""The revocation sweep: claim due grants, revoke each once, retry failures with backoff."""

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

from bot.context import Deps
from bot.domain import GrantStatus
from bot.errors import DbAccessError
from bot.lifecycle import Lifecycle
from bot.revoking import LEASE
from bot.store import repo
from bot.store import steps_repo as step_store
from bot.store.models import Grant, Step
from bot.store.transactions import transaction
from scheduler import claims

log = logging.getLogger(__name__)
PARALLEL = 8  # default revocations at once (IAM_CONCURRENCY); the state pool has 10+10
CLAIM_EVERY = 1.0  # seconds between looks for due grants while only messages are sending
QUEUED_ROUNDS = 4  # messages waiting to be sent, in rounds of `parallel`, before handing over


class Sweeper:
    """Revokes every grant that is due, whoever's replica gets to it first.

    A revocation's slot is free once the grant is revoked: its messages (the DM, the card)
    go out beside the next revocations, at most `parallel` at once, because Slack's rate
    limits (50 DM channels opened a minute) would otherwise set the pace of revoking. Past
    a few rounds of waiting messages, the rest are handed to the step runner's due runs.
    """

    def __init__(
        self, deps: Deps, lifecycle: Lifecycle | None = None, *, parallel: int = PARALLEL
    ) -> None:
        self._d = deps
        lifecycle = lifecycle or Lifecycle(deps)
        self._revoker, self._steps = lifecycle.revoker, lifecycle.steps
        self._parallel = parallel
        self._outbox = asyncio.Semaphore(parallel)
        self._sending: set[asyncio.Task[None]] = set()

    async def run(self) -> int:
        """One sweep: due revocations until none is left; returns how many were revoked."""
        done = 0
        running: set[asyncio.Task[bool]] = set()
        claim = True
        try:
            while True:
                # Claimed as slots free up, so one slow revocation never holds up a batch.
                if claim and len(running) <= self._parallel // 2:
                    for grant in await self._claim(self._parallel - len(running)):
                        running.add(asyncio.create_task(self._revoke(grant)))
                if not running and not self._sending:
                    break
                # While only messages are left, look for newly due grants every second.
                finished, _ = await asyncio.wait(
                    running | self._sending,
                    timeout=None if running else CLAIM_EVERY,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                revoked = finished & running
                running -= revoked
                done += sum(task.result() for task in revoked)
                claim = bool(revoked) or not finished
        except asyncio.CancelledError:
            for task in running | self._sending:  # shutdown: leases lapse, later runs retry
                task.cancel()
            raise
        finally:
            if running:  # a failed claim still lets the revocations under way finish
                await asyncio.wait(running)
        await self._count_active()
        return done

    async def _send(self, steps: Sequence[Step]) -> None:
        """Send a revocation's messages beside the sweep, or hand them to the due runs."""
        if not steps:
            return
        if len(self._sending) >= QUEUED_ROUNDS * self._parallel:
            try:
                async with transaction(self._d.sessions) as session:
                    await step_store.hand_over(session, steps=steps, now=self._d.clock())
            except DbAccessError:
                pass  # the steps keep their lease; a due run sends them once it lapses
            return
        task = asyncio.create_task(self._send_now(steps))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send_now(self, steps: Sequence[Step]) -> None:
        async with self._outbox:
            try:
                await self._steps.run_now(steps)
            except DbAccessError:
                pass  # the steps keep their lease; a due run sends them once it lapses
            except Exception:
                log.exception("sending a revocation's messages crashed")

    async def _claim(self, limit: int) -> list[Grant]:
        """Lease up to limit due grants; active ones move to REVOKING in the same transaction."""
        now = self._d.clock()
        async with transaction(self._d.sessions) as session:
            grants = await claims.due_revocations(
                session, owner=self._d.owner, now=now, lease=LEASE, limit=limit
            )
            for grant in grants:
                if grant.status == GrantStatus.ACTIVE:
                    grant.status, grant.revoke_reason = GrantStatus.REVOKING, "expired"
                    grant.revoke_requested_by = None
        return grants

    async def _revoke(self, grant: Grant) -> bool:
        try:
            return not (await self._revoker.finish(grant, send=self._send)).already
        except DbAccessError:
            return False  # recorded with its next attempt time; a later sweep retries
        except Exception:
            # Unexpected: the lease runs out and a later sweep tries again.
            log.exception("revocation crashed", extra={"grant_id": grant.id})
            return False

    async def _count_active(self) -> None:
        async with transaction(self._d.sessions) as session:
            active = await repo.count_grants(session, status=GrantStatus.ACTIVE)
        self._d.metrics.active_grants.set(active)


async def upcoming_expiries(
    deps: Deps, *, after: datetime, limit: int
) -> list[tuple[str, datetime]]:
    """The next `limit` (grant id, expires_at) of active grants, for the scheduler's wake-ups."""
    async with transaction(deps.sessions) as session:
        return await repo.upcoming_expiries(session, after=after, limit=limit)
