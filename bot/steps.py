"""Running durable steps: each does one idempotent thing and records it, or is retried later."""

import asyncio
import logging
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from datetime import timedelta
from typing import Protocol

from bot.context import Deps
from bot.domain import StepKind
from bot.errors import DbAccessError, ProviderError, StateUnavailable
from bot.store import steps_repo as step_store
from bot.store.models import Step
from bot.store.transactions import transaction

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)
BATCH = 20
PARALLEL = 8  # steps at once from the scheduler; the state pool has 10 + 10 connections
# Making a grant gives up after this many tries (about 2.5 minutes); a Slack message retries
# for as long as Slack refuses it in a way that may pass.
MAX_ATTEMPTS: Mapping[str, int | None] = {
    StepKind.PROVISION: 5,
    StepKind.EXTEND: 5,
    StepKind.DELIVER: None,
    StepKind.MESSAGE: None,
    StepKind.START: 5,
}


def backoff(attempts: int) -> timedelta:
    """Wait before retry number `attempts`: 5 s, 10 s, 20 s … capped at 5 minutes."""
    return timedelta(seconds=min(300, 5 * 2 ** max(0, attempts - 1)))


_messages_sent: ContextVar[asyncio.Event | None] = ContextVar("messages_sent", default=None)


async def earlier_messages_sent() -> None:
    """Wait until the messages written with the current work went out (or were deferred)."""
    event = _messages_sent.get()
    if event is not None:
        await event.wait()


class Busy(DbAccessError):
    """Someone else holds the lease on the grant this step needs; try again shortly."""


class StepHandler(Protocol):
    """What one kind of step does."""

    async def run(self, step: Step) -> list[Step]:
        """Do the step, record it done, and return follow-up steps leased to this instance."""
        ...

    async def give_up(self, step: Step, error: DbAccessError) -> list[Step]:
        """The step can never succeed: record it failed, undo what it did, tell people."""
        ...


class StepRunner:
    """Runs steps inline for the person waiting, and due ones for the scheduler."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps
        self.handlers: dict[str, StepHandler] = {}
        self._slots = asyncio.Semaphore(PARALLEL)

    async def run_now(self, steps: Sequence[Step]) -> None:
        """Run steps this instance holds the lease on, each follow-up right after its step.

        Messages go out in order while the grant work (provision, extend, deliver) runs beside
        them; a link DM waits for the messages written before it (see `earlier_messages_sent`),
        so people read them in the order they were decided.
        """
        messages = [s for s in steps if s.kind == StepKind.MESSAGE]
        work = [s for s in steps if s.kind != StepKind.MESSAGE]
        if not messages or not work:
            await self._in_order(list(steps))
            return
        sent = asyncio.Event()

        async def send() -> None:
            _messages_sent.set(None)  # this chain is the earlier messages: it waits for nothing
            try:
                await self._in_order(messages)
            finally:
                sent.set()

        token = _messages_sent.set(sent)
        try:
            await asyncio.gather(send(), self._in_order(work))
        finally:
            _messages_sent.reset(token)

    async def _in_order(self, queue: list[Step]) -> None:
        while queue:
            step = queue.pop(0)
            queue[0:0] = await self._run(step)

    async def run_due(self) -> int:
        """Claim and run every step whose time has come; returns how many were run."""
        ran = 0
        while True:
            async with transaction(self._d.sessions) as session:
                steps = await step_store.claim_due(
                    session, owner=self._d.owner, now=self._d.clock(), lease=LEASE, limit=BATCH
                )
            if not steps:
                return ran
            await asyncio.gather(*(self._chain(step) for step in steps))
            ran += len(steps)

    async def _chain(self, step: Step) -> None:
        async with self._slots:
            await self.run_now([step])

    async def _run(self, step: Step) -> list[Step]:
        handler = self.handlers[step.kind]
        try:
            follow = await handler.run(step)
        except StateUnavailable:
            raise  # nothing can be recorded; the lease lapses and a later run retries
        except Busy as exc:
            await self._retry(step, exc, delay=timedelta(seconds=5))
            return []
        except ProviderError as exc:
            limit = MAX_ATTEMPTS[step.kind]
            if exc.retryable and (limit is None or step.attempts < limit):
                await self._retry(step, exc)
                return []
            return await self._give_up(handler, step, exc)
        except DbAccessError as exc:
            return await self._give_up(handler, step, exc)
        except Exception as exc:
            # A bug, not an outside failure: keep the step, retry it later, show the traceback.
            log.exception("step failed unexpectedly", extra={"step": step.key})
            await self._retry(step, exc)
            return []
        self._d.metrics.steps.labels(step.kind, "done").inc()
        return follow

    async def _give_up(self, handler: StepHandler, step: Step, error: DbAccessError) -> list[Step]:
        log.warning("step gave up", extra={"step": step.key, "error": str(error)[:300]})
        self._d.metrics.steps.labels(step.kind, "failed").inc()
        return await handler.give_up(step, error)

    async def _retry(self, step: Step, error: Exception, *, delay: timedelta | None = None) -> None:
        at = self._d.clock() + (delay or backoff(step.attempts))
        text = str(error) if isinstance(error, DbAccessError) else type(error).__name__
        async with transaction(self._d.sessions) as session:
            await step_store.retry_later(session, step=step, at=at, error=text)
        self._d.metrics.steps.labels(step.kind, "retried").inc()
        log.warning(
            "step will be retried",
            extra={"step": step.key, "attempt": step.attempts, "error": text[:300]},
        )
