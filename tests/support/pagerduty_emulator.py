"""A local PagerDuty REST API v2 for tests: `GET /oncalls` and `GET /schedules/{id}`, strict.

    async with PagerDutyEmulator() as pd:
        pd.add_schedule("PDBAS01", "DBA primary")
        pd.put_on_call("PDBAS01", "alice.smith@example.com")
        client = PagerDutyOnCall(pd.base_url, SecretStr(pd.token))

Strict like the real API where a client can go wrong: the `Authorization: Token token=…` and
`Accept: application/vnd.pagerduty+json;version=2` headers, array parameters spelled with `[]`,
no unknown parameters, `since`/`until` as ISO 8601 (both or neither, at most 90 days apart),
classic pagination (`limit` 1–100, default 25; `offset`; `more`; `offset + limit` ≤ 10,000).
Without `include[]=users` an entry's user is a reference without an email, as in PagerDuty.
Knobs: `fail_next(status)` answers errors, `delay` slows every answer, `requests` records them.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.support.pagerduty_emulator_api import (
    INCLUDES,
    ONCALLS_PARAMS,
    SCHEDULE_PARAMS,
    BadInput,
    error_response,
    oncall_entry,
    time_range,
    whole_number,
)

ACCEPT = "application/vnd.pagerduty+json;version=2"
DEFAULT_TOKEN = "pd-emulator-token-0123456789"


@dataclass
class Shift:
    """One person on call in one schedule, from start to end (None: open-ended)."""

    schedule_id: str
    user_id: str
    name: str
    email: str
    start: datetime | None
    end: datetime | None
    escalation_level: int = 1
    policy_id: str = "PPOLICY1"


@dataclass
class SeenRequest:
    """A request the emulator answered (never the token itself)."""

    path: str
    params: list[tuple[str, str]]
    authorized: bool
    status: int


@dataclass
class PagerDutyEmulator:
    """PagerDuty's on-call endpoints on a free loopback port."""

    token: str = DEFAULT_TOKEN
    schedules: dict[str, str] = field(default_factory=dict)
    shifts: list[Shift] = field(default_factory=list)
    requests: list[SeenRequest] = field(default_factory=list)
    delay: float = 0.0
    _failures: deque[int] = field(default_factory=deque)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    port: int = 0

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> PagerDutyEmulator:
        """Bind 127.0.0.1 on a free port and start serving."""
        app = web.Application()
        app.router.add_get("/oncalls", self._oncalls)
        app.router.add_get("/schedules/{schedule_id}", self._schedule)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> PagerDutyEmulator:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """What PAGERDUTY_API_URL is set to."""
        return f"http://127.0.0.1:{self.port}"

    # -- knobs -----------------------------------------------------------------------------
    def add_schedule(self, schedule_id: str, name: str) -> None:
        """A schedule that exists (GET /schedules/{id} finds it)."""
        self.schedules[schedule_id] = name

    def put_on_call(
        self,
        schedule_id: str,
        email: str,
        *,
        name: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        level: int = 1,
    ) -> str:
        """Someone on call in a schedule (by default from an hour ago for a day); their id."""
        now = datetime.now(UTC)
        user_id = f"PU{next(self._ids):05d}"
        self.shifts.append(
            Shift(
                schedule_id,
                user_id,
                name or email.split("@")[0],
                email,
                start or now - timedelta(hours=1),
                end or now + timedelta(days=1),
                level,
            )
        )
        return user_id

    def fail_next(self, status: int, *, times: int = 1) -> None:
        """Answer the next `times` requests with HTTP status and PagerDuty's error body."""
        self._failures.extend([status] * times)

    def oncall_requests(self) -> list[SeenRequest]:
        """The GET /oncalls requests seen, oldest first."""
        return [r for r in self.requests if r.path == "/oncalls"]

    # -- endpoints -------------------------------------------------------------------------
    async def _answer(self, request: web.Request, allowed: set[str], body: Any) -> web.Response:
        params = list(request.query.items())
        authorized = request.headers.get("Authorization") == f"Token token={self.token}"
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if self._failures:
                return self._seen(
                    request, params, authorized, error_response(self._failures.popleft())
                )
            if not authorized:
                return self._seen(request, params, authorized, error_response(401))
            if request.headers.get("Accept") != ACCEPT:
                return self._seen(request, params, authorized, error_response(406))
            unknown = sorted({k for k, _ in params} - allowed)
            if unknown:
                raise BadInput(f"Unknown parameter {unknown[0]!r}")
            answer = body(params) if callable(body) else body
        except BadInput as exc:
            return self._seen(request, params, authorized, error_response(400, str(exc)))
        return self._seen(request, params, authorized, answer)

    def _seen(
        self,
        request: web.Request,
        params: list[tuple[str, str]],
        authorized: bool,
        response: web.Response | dict[str, Any],
    ) -> web.Response:
        if isinstance(response, dict):
            response = web.json_response(response)
        self.requests.append(SeenRequest(request.path, params, authorized, response.status))
        return response

    async def _oncalls(self, request: web.Request) -> web.Response:
        return await self._answer(request, ONCALLS_PARAMS, self._list_oncalls)

    async def _schedule(self, request: web.Request) -> web.Response:
        schedule_id = request.match_info["schedule_id"]
        if schedule_id not in self.schedules:
            return await self._answer(request, SCHEDULE_PARAMS, error_response(404))
        name = self.schedules[schedule_id]
        return await self._answer(
            request,
            SCHEDULE_PARAMS,
            {
                "schedule": {
                    "id": schedule_id,
                    "type": "schedule",
                    "summary": name,
                    "name": name,
                    "time_zone": "UTC",
                    "self": f"{self.base_url}/schedules/{schedule_id}",
                }
            },
        )

    def _list_oncalls(self, params: list[tuple[str, str]]) -> dict[str, Any]:
        single = {k: v for k, v in params if not k.endswith("[]")}
        schedules = {v for k, v in params if k == "schedule_ids[]"}
        includes = {v for k, v in params if k == "include[]"}
        if includes - INCLUDES:
            raise BadInput(f"include[] must be one of {sorted(INCLUDES)}")
        since, until = time_range(single.get("since"), single.get("until"))
        limit = whole_number(single.get("limit", "25"), "limit", 1, 100)
        offset = whole_number(single.get("offset", "0"), "offset", 0, 10_000)
        if offset + limit > 10_000:
            raise BadInput("Offset + limit must not exceed 10000")
        found = [
            s
            for s in self.shifts
            if (not schedules or s.schedule_id in schedules)
            and (s.start is None or s.start <= until)
            and (s.end is None or s.end > since)
        ]
        page = found[offset : offset + limit]
        return {
            "oncalls": [
                oncall_entry(
                    s,
                    includes,
                    base_url=self.base_url,
                    schedule_name=self.schedules.get(s.schedule_id, s.schedule_id),
                )
                for s in page
            ],
            "limit": limit,
            "offset": offset,
            "more": offset + limit < len(found),
            "total": len(found) if single.get("total") == "true" else None,
        }
