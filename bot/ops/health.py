"""The aiohttp health server: /healthz (Slack socket), /readyz (+ state store), /metrics."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.ops.metrics import Metrics

log = logging.getLogger(__name__)

Probe = Callable[[], Awaitable[bool]]
READY_TIMEOUT = 2.0


class HealthServer:
    """Serves the probes Kubernetes and Prometheus call."""

    def __init__(
        self,
        *,
        port: int,
        connected: Probe,
        store_ok: Probe,
        metrics: Metrics,
        host: str = "0.0.0.0",  # noqa: S104 - probes come from the kubelet
    ) -> None:
        self._port, self._host = port, host
        self._connected, self._store_ok, self._metrics = connected, store_ok, metrics
        self._runner: web.AppRunner | None = None
        self.bound_port: int | None = None

    async def start(self) -> None:
        """Bind and serve; the port actually bound is in bound_port (useful with port 0)."""
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics_page)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.bound_port = sockets[0].getsockname()[1] if sockets else self._port
        log.info("health server listening", extra={"port": self.bound_port})

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _: web.Request) -> web.Response:
        connected = await self._connected()
        self._metrics.slack_connected.set(1 if connected else 0)
        if connected:
            return web.json_response({"status": "ok", "slack": "connected"})
        return web.json_response({"status": "unhealthy", "slack": "disconnected"}, status=503)

    async def _readyz(self, _: web.Request) -> web.Response:
        connected = await self._connected()
        try:
            store = await asyncio.wait_for(self._store_ok(), READY_TIMEOUT)
        except (TimeoutError, OSError):
            store = False
        body = {
            "slack": "connected" if connected else "disconnected",
            "state_store": "ok" if store else "unreachable",
        }
        ok = connected and store
        return web.json_response(
            {"status": "ok" if ok else "not ready", **body}, status=200 if ok else 503
        )

    async def _metrics_page(self, _: web.Request) -> web.Response:
        response = web.Response(body=self._metrics.render())
        response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        return response
