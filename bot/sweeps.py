"""The revocation sweep: claim due grants, revoke each once, retry failures with backoff."""

import asyncio
import logging
from datetime import datetime

from bot import claims, repo
from bot.context import Deps
from bot.domain import GrantStatus
from bot.errors import DbAccessError
from bot.lifecycle import Lifecycle
from bot.models import Grant
from bot.revoking import LEASE
from bot.transactions import transaction

log = logging.getLogger(__name__)
PARALLEL = 8  # default revocations at once (IAM_CONCURRENCY); the state pool has 10+10


class Sweeper:
    """Revokes every grant that is due, whoever's replica gets to it first."""

    def __init__(self, deps: Deps, lifecycle: Lifecycle | None = None, *,
                 parallel: int = PARALLEL) -> None:
        self._d = deps
        self._revoker = (lifecycle or Lifecycle(deps)).revoker
        self._parallel = parallel

    async def run(self) -> int:
        """One sweep: due revocations until none is left; returns how many were revoked."""
        done = 0
        running: set[asyncio.Task[bool]] = set()
        try:
            while True:
                # Claimed as slots free up, so one slow revocation never holds up a batch.
                if len(running) <= self._parallel // 2:
                    for grant in await self._claim(self._parallel - len(running)):
                        running.add(asyncio.create_task(self._revoke(grant)))
                if not running:
                    break
                finished, running = await asyncio.wait(running,
                                                       return_when=asyncio.FIRST_COMPLETED)
                done += sum(task.result() for task in finished)
        except asyncio.CancelledError:
            for task in running:  # shutdown: the leases lapse and a later sweep retries
                task.cancel()
            raise
        finally:
            if running:  # a failed claim still lets the revocations under way finish
                await asyncio.wait(running)
        await self._count_active()
        return done

    async def _claim(self, limit: int) -> list[Grant]:
        """Lease up to limit due grants; active ones move to REVOKING in the same transaction."""
        now = self._d.clock()
        async with transaction(self._d.sessions) as session:
            grants = await claims.due_revocations(session, owner=self._d.owner, now=now,
                                                  lease=LEASE, limit=limit)
            for grant in grants:
                if grant.status == GrantStatus.ACTIVE:
                    grant.status, grant.revoke_reason = GrantStatus.REVOKING, "expired"
                    grant.revoke_requested_by = None
        return grants

    async def _revoke(self, grant: Grant) -> bool:
        try:
            return not (await self._revoker.finish(grant)).already
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


async def upcoming_expiries(deps: Deps, *, after: datetime,
                            limit: int) -> list[tuple[str, datetime]]:
    """The next `limit` (grant id, expires_at) of active grants, for the scheduler's wake-ups."""
    async with transaction(deps.sessions) as session:
        return await repo.upcoming_expiries(session, after=after, limit=limit)
