"""The scheduler as a service part: interval jobs, wake-ups at the next grant ends, clean stop."""

import asyncio
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.context import Deps
from bot.service import Background
from scheduler.config import SchedulerConfig
from scheduler.jobs import (
    RECONCILE,
    REQUESTS,
    REVIEWS,
    REVOKE,
    ROLES,
    STEPS,
    UNUSED,
    WARN,
    Jobs,
)
from scheduler.runner import JobRunner
from scheduler.wakeups import Wakeups

log = logging.getLogger(__name__)
WAKE_SLEEP_MAX = 1.0  # a date job may fire a hair early; never wait long for the clock


def _wall() -> datetime:
    return datetime.now(UTC)


class Scheduler(Background):
    """APScheduler (memory job store) driving the jobs; the state store stays the truth."""

    def __init__(self, deps: Deps, config: SchedulerConfig | None = None) -> None:
        self._d = deps
        self.config = config or SchedulerConfig()
        # A pass reads IAM over half its interval, so passes never run into each other.
        self.jobs = Jobs(
            deps,
            iam_concurrency=self.config.iam_concurrency,
            reconcile_spread=self.config.reconcile_interval / 2,
        )
        self._runner = JobRunner()
        self._aps: AsyncIOScheduler | None = None
        self._wakeups = Wakeups(deps, self._wake, self.config.wakeups)

    @property
    def running(self) -> bool:
        """Whether the scheduler has been started and not stopped."""
        return self._aps is not None and self._aps.running

    async def start(self) -> None:
        """Start every interval job now, and date jobs at the next few grant ends."""
        _quiet_apscheduler()
        aps = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={
                # Late runs still run (rows stay due anyway); overlapping runs are JobRunner's job.
                "coalesce": True,
                "max_instances": 3,
                "misfire_grace_time": None,
            },
        )
        now = _wall()
        every = {
            STEPS: (self.jobs.steps, self.config.sweep_interval),
            REVOKE: (self._sweep, self.config.sweep_interval),
            WARN: (self.jobs.warn, self.config.sweep_interval),
            REQUESTS: (self.jobs.requests, self.config.sweep_interval),
            REVIEWS: (self.jobs.breakglass_reviews, self.config.sweep_interval),
            RECONCILE: (self.jobs.reconcile, self.config.reconcile_interval),
            UNUSED: (self.jobs.unused_access, self.config.reconcile_interval),
            ROLES: (self.jobs.unused_roles, self.config.reconcile_interval),
        }
        for name, (job, seconds) in every.items():
            # First run at once: whatever came due while no replica ran is handled at start.
            aps.add_job(
                self._runner.run,
                "interval",
                args=[name, job],
                id=name,
                seconds=seconds,
                next_run_time=now,
            )
        self._aps = aps
        self._wakeups.attach(aps)
        # Planned before start: jobs added to a stopped scheduler are stored in one go.
        await self._wakeups.refill(after=self._d.clock())
        aps.start()
        log.info(
            "scheduler started",
            extra={
                "sweep_s": self.config.sweep_interval,
                "reconcile_s": self.config.reconcile_interval,
            },
        )

    async def stop(self) -> None:
        """Stop starting jobs, give running ones a moment, then cancel what is left."""
        aps, self._aps = self._aps, None
        if aps is None:
            return
        self._wakeups.attach(None)
        aps.pause()
        if not await self._runner.drain(self.config.stop_grace):
            log.warning("scheduler jobs were cancelled at shutdown; their leases will lapse")
        aps.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler shuts down in a loop callback
        log.info("scheduler stopped")

    def on_grant_active(self, grant_id: str, expires_at: datetime | None) -> None:
        """Deps hook: a grant's end (re)planned; kept when it is among the next few."""
        self._wakeups.offer(grant_id, expires_at)

    async def _sweep(self) -> None:
        """Revoke what is due, then plan the wake-ups at the next grant ends."""
        started = self._d.clock()
        await self.jobs.revoke()
        # From when the sweep began: an end that passed during it still gets a wake-up (at once).
        await self._wakeups.refill(after=started)

    async def _wake(self, expires_at: datetime) -> None:
        early = (expires_at - self._d.clock()).total_seconds()
        if early > 0:
            await asyncio.sleep(min(early, WAKE_SLEEP_MAX))
        await self._runner.run(REVOKE, self._sweep)


def _quiet_apscheduler() -> None:
    """Keep APScheduler's warnings and errors, not its INFO lines (unless LOG_LEVEL=DEBUG)."""
    # It logs every run and every added job at INFO, dozens a minute; our jobs log what they did.
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        for name in ("apscheduler.executors", "apscheduler.scheduler"):
            logging.getLogger(name).setLevel(logging.WARNING)
