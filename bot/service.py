"""The running service: Socket Mode, health server, scheduler; clean start and clean stop."""

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.ops.health import HealthServer
from bot.workflow import Workflow

log = logging.getLogger(__name__)
SHUTDOWN_BUDGET = 8.0  # seconds for in-flight work; the whole stop stays under 10 s


@dataclass
class Service:
    """Everything `db-access-bot run` starts, in the order it starts them."""

    socket: AsyncSocketModeHandler
    health: HealthServer
    engine: AsyncEngine
    workflow: Workflow
    background: list["Background"] = field(default_factory=list)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        """Serve until SIGTERM or SIGINT, then shut down cleanly."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        await self.health.start()
        for job in self.background:
            await job.start()
        # Connecting retries for as long as Slack cannot be reached; it runs beside the wait
        # for a signal so that SIGTERM stops the bot in that state too.
        connecting = asyncio.create_task(self.socket.connect_async(), name="socket-mode")
        log.info("db-access-bot is running")
        await self.stopping.wait()
        await self.shutdown(connecting)

    def stop(self) -> None:
        """Ask the service to stop (signal-safe)."""
        log.info("stop requested")
        self.stopping.set()

    async def shutdown(self, connecting: "asyncio.Task[None] | None" = None) -> None:
        """Stop taking events, let in-flight work finish, then close everything."""
        try:
            await asyncio.wait_for(self.socket.close_async(), 2)
        except (TimeoutError, OSError):
            log.warning("Socket Mode connection did not close in time")
        if connecting is not None and not connecting.done():
            connecting.cancel()  # still trying to reach Slack: stop trying
            await asyncio.gather(connecting, return_exceptions=True)
        # The scheduler and in-flight listeners wind down side by side to stay within budget.
        stopped = await asyncio.gather(
            self.workflow.inflight.drained(SHUTDOWN_BUDGET - 2),
            *(job.stop() for job in self.background),
        )
        if not stopped[0]:
            log.warning("in-flight work did not finish before shutdown; reconcile will finish it")
        for close in self.closers:
            try:
                await asyncio.wait_for(close(), 1)
            except Exception:
                log.warning("a component did not close cleanly", exc_info=True)
        await self.health.stop()
        await self.engine.dispose()
        log.info("db-access-bot stopped")


class Background:
    """Something started with the service and stopped before it closes (the scheduler)."""

    async def start(self) -> None:
        """Start working."""

    async def stop(self) -> None:
        """Stop working; do not start new work."""
