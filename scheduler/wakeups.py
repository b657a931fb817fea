"""Date jobs at the next few grant ends only; the table holds the rest and refills the window."""

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.context import Deps
from bot.errors import DbAccessError
from scheduler.sweeps import upcoming_expiries

log = logging.getLogger(__name__)
PREFIX = "expire-"


def _wall() -> datetime:
    return datetime.now(UTC)


class Wakeups:
    """At most `size` APScheduler date jobs, at the soonest ends of active grants.

    One job per grant would keep every active grant in memory (10k–100k jobs); the sweep after
    each wake-up refills the window from the table instead, so ends further out are planned as
    the nearer ones pass.
    """

    def __init__(self, deps: Deps, wake: Callable[[datetime], Awaitable[None]], size: int) -> None:
        self._d, self._wake, self._size = deps, wake, size
        self._aps: AsyncIOScheduler | None = None
        self._planned: dict[str, datetime] = {}  # grant id -> expires_at
        self._offered: dict[str, datetime] | None = None  # offers made while a refill reads

    def attach(self, aps: AsyncIOScheduler | None) -> None:
        """Plan into aps from now on (None: stop planning)."""
        self._aps = aps
        if aps is None:
            self._planned.clear()

    def offer(self, grant_id: str, expires_at: datetime | None) -> None:
        """Plan a wake-up at a grant's (new) end when it is among the soonest few."""
        if self._aps is None or expires_at is None:
            return
        if self._offered is not None:
            self._offered[grant_id] = expires_at
        others = [at for g, at in self._planned.items() if g != grant_id]
        if len(others) >= self._size and expires_at >= max(others):
            # Beyond the window (an extension can move a planned end there): the refill plans it.
            self._drop(grant_id)
            return
        self._plan(grant_id, expires_at)
        while len(self._planned) > self._size:
            self._drop(max(self._planned, key=self._planned.__getitem__))

    async def refill(self, *, after: datetime) -> None:
        """Replace the window by the soonest `size` ends after `after` in the table."""
        if self._aps is None:
            return
        self._offered = {}
        try:
            ends = dict(await upcoming_expiries(self._d, after=after, limit=self._size))
        except DbAccessError:
            log.warning("could not plan the next grant ends; the interval sweep covers them")
            return
        finally:
            offered, self._offered = self._offered, None
        if self._aps is None:
            return  # stopped while the table was being read
        # A grant made active while the table was being read may be missing from what it said.
        ends.update(offered or {})
        keep = dict(sorted(ends.items(), key=lambda item: item[1])[: self._size])
        for grant_id in [g for g in self._planned if g not in keep]:
            self._drop(grant_id)
        for grant_id, expires_at in keep.items():
            if self._planned.get(grant_id) != expires_at:
                self._plan(grant_id, expires_at)

    def _plan(self, grant_id: str, expires_at: datetime) -> None:
        assert self._aps is not None
        # The Deps clock is the authority on time; APScheduler runs on the wall clock.
        run_at = _wall() + (expires_at - self._d.clock())
        self._aps.add_job(
            self._wake,
            "date",
            run_date=run_at,
            args=[expires_at],
            id=f"{PREFIX}{grant_id}",
            replace_existing=True,
        )
        self._planned[grant_id] = expires_at

    def _drop(self, grant_id: str) -> None:
        self._planned.pop(grant_id, None)
        if self._aps is not None and self._aps.get_job(f"{PREFIX}{grant_id}") is not None:
            self._aps.remove_job(f"{PREFIX}{grant_id}")
