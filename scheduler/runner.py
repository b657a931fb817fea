"""Runs named jobs: never two copies of one at once, a rerun when asked mid-run, errors logged."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.errors import StateUnavailable

log = logging.getLogger(__name__)
Job = Callable[[], Awaitable[object]]


class JobRunner:
    """Serialises each named job and tracks running ones so shutdown can wait for them."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._again: set[str] = set()
        self._tasks: set[asyncio.Task[object]] = set()

    async def run(self, name: str, job: Job) -> None:
        """Run job unless it is running; then the running copy goes round once more instead."""
        lock = self._locks.setdefault(name, asyncio.Lock())
        if lock.locked():
            # Whatever woke us (a date job, say) may concern rows the running pass has already
            # looked past; one more pass after it picks them up without queueing up copies.
            self._again.add(name)
            return
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            async with lock:
                while True:
                    self._again.discard(name)
                    await self._once(name, job)
                    if name not in self._again:
                        break
        except asyncio.CancelledError:
            # Only drain() cancels a job (at shutdown, past its grace): the job's rows stay due
            # and its leases lapse. It ends here rather than as an error in APScheduler's log.
            log.info("scheduler job cancelled at shutdown", extra={"job": name})
        finally:
            if task is not None:
                self._tasks.discard(task)

    @staticmethod
    async def _once(name: str, job: Job) -> None:
        try:
            await job()
        except StateUnavailable:
            log.warning(
                "scheduler job skipped: the state store is unavailable", extra={"job": name}
            )
        except Exception:
            # A job must never take the scheduler down; its rows stay due for the next run.
            log.exception("scheduler job failed", extra={"job": name})

    async def drain(self, seconds: float) -> bool:
        """Wait for running jobs, cancelling what is left after seconds; True if all finished."""
        pending = {t for t in self._tasks if not t.done() and t is not asyncio.current_task()}
        if not pending:
            return True
        _, late = await asyncio.wait(pending, timeout=seconds)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=1)
        return not late
