"""A loopback HTTP relay in front of a test server: counts the requests and can add latency.

In front of moto it sees every AWS call the bot makes (service and action from the SigV4
credential scope and the request body); in front of the Slack emulator or PrivateBin it sees
method and path. A delay per kind of call makes loopback servers answer like remote ones.

    python -m tests.support.relay --target http://127.0.0.1:PORT --port N \
        [--delay iam:write=0.2 --delay iam:read=0.1 --delay '*=0.05']

As a process it also answers `GET /__relay__/counts` (JSON "service:action" -> count) and
`POST /__relay__/reset`.
"""

import argparse
import asyncio
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

from aiohttp import ClientSession, ClientTimeout, web

from tests.support.ports import free_port

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_READS = ("Get", "List", "Describe")
# Hop-by-hop headers, and those aiohttp recomputes for the body it sends on.
_DROP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


@dataclass(frozen=True)
class Seen:
    """One relayed request: AWS service and action, or "http" and the path."""

    service: str
    action: str

    @property
    def kind(self) -> str:
        """ "read" for AWS Get/List/Describe calls and HTTP GETs, else "write"."""
        return "read" if self.action.startswith(_READS) else "write"

    def delay(self, rules: Mapping[str, float]) -> float:
        """The most specific rule's delay: service:action, service:kind, service, then *."""
        for key in (
            f"{self.service}:{self.action}",
            f"{self.service}:{self.kind}",
            self.service,
            "*",
        ):
            if key in rules:
                return rules[key]
        return 0.0


def classify(method: str, path: str, headers: Mapping[str, str], body: bytes) -> Seen:
    """What a request is: an AWS call (query or JSON protocol), else plain HTTP."""
    scope = _SCOPE.search(headers.get("Authorization", ""))
    if scope is None:
        return Seen("http", f"Get {path}" if method == "GET" else f"{method} {path}")
    target = headers.get("X-Amz-Target", "")
    if target:
        return Seen(scope[1], target.rsplit(".", 1)[-1])
    form = parse_qs(body.decode("utf-8", "replace")) if body else {}
    return Seen(scope[1], (form.get("Action") or ["?"])[0])


class Relay:
    """Forwards every request to target, after the delay its rule says; remembers each one."""

    def __init__(
        self, target: str, *, delays: Mapping[str, float] | None = None, port: int | None = None
    ) -> None:
        self.target = target.rstrip("/")
        self.delays = dict(delays or {})
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.seen: list[Seen] = []
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None

    def counts(self, service: str | None = None) -> Counter[str]:
        """How many calls of each action were relayed (of one service, or "service:action")."""
        if service is not None:
            return Counter(s.action for s in self.seen if s.service == service)
        return Counter(f"{s.service}:{s.action}" for s in self.seen)

    async def start(self) -> "Relay":
        """Listen on 127.0.0.1:port."""
        self._client = ClientSession(timeout=ClientTimeout(total=120), auto_decompress=False)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/__relay__/counts", self._counts)
        app.router.add_post("/__relay__/reset", self._reset)
        app.router.add_route("*", "/{tail:.*}", self._relay)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def close(self) -> None:
        """Stop listening and close the upstream connections."""
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()

    async def __aenter__(self) -> "Relay":
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def _relay(self, request: web.Request) -> web.StreamResponse:
        assert self._client is not None
        body = await request.read()
        seen = classify(request.method, request.path, request.headers, body)
        self.seen.append(seen)
        delay = seen.delay(self.delays)
        if delay:
            await asyncio.sleep(delay)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROP}
        async with self._client.request(
            request.method,
            self.target + request.path_qs,
            headers=headers,
            data=body,
            allow_redirects=False,
        ) as upstream:
            payload = await upstream.read()
            kept = {k: v for k, v in upstream.headers.items() if k.lower() not in _DROP}
            return web.Response(status=upstream.status, body=payload, headers=kept)

    async def _counts(self, _: web.Request) -> web.Response:
        return web.json_response(dict(self.counts()))

    async def _reset(self, _: web.Request) -> web.Response:
        self.seen.clear()
        return web.json_response({"ok": True})


def parse_delays(items: list[str]) -> dict[str, float]:
    """`key=seconds` arguments as a mapping."""
    rules = {}
    for item in items:
        key, _, value = item.partition("=")
        rules[key] = float(value)
    return rules


async def _serve(target: str, port: int, delays: dict[str, float]) -> None:
    async with Relay(target, delays=delays, port=port):
        await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="base URL to forward to")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", action="append", default=[], metavar="KEY=SECONDS")
    args = parser.parse_args()
    asyncio.run(_serve(args.target, args.port, parse_delays(args.delay)))
