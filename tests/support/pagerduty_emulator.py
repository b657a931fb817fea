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

ACCEPT = "application/vnd.pagerduty+json;version=2"
DEFAULT_TOKEN = "pd-emulator-token-0123456789"
ONCALLS_PARAMS = {
    "time_zone",
    "include[]",
    "user_ids[]",
    "escalation_policy_ids[]",
    "schedule_ids[]",
    "since",
    "until",
    "earliest",
    "limit",
    "offset",
    "total",
}
SCHEDULE_PARAMS = {"time_zone", "since", "until", "overflow"}
INCLUDES = {"users", "schedules", "escalation_policies"}
MAX_RANGE = timedelta(days=90)
ERRORS = {
    400: (2001, "Invalid Input Provided"),
    401: (2006, "Invalid Credentials"),
    403: (2010, "Access Denied"),
    404: (2100, "Not Found"),
    406: (2001, "Unsupported Accept header"),
    429: (2020, "Rate Limit Exceeded"),
    500: (2000, "Internal Error"),
    503: (2000, "Service Unavailable"),
}


class BadInput(Exception):
    """A request the real API answers with HTTP 400 Invalid Input Provided."""


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
                return self._seen(request, params, authorized, _error(self._failures.popleft()))
            if not authorized:
                return self._seen(request, params, authorized, _error(401))
            if request.headers.get("Accept") != ACCEPT:
                return self._seen(request, params, authorized, _error(406))
            unknown = sorted({k for k, _ in params} - allowed)
            if unknown:
                raise BadInput(f"Unknown parameter {unknown[0]!r}")
            answer = body(params) if callable(body) else body
        except BadInput as exc:
            return self._seen(request, params, authorized, _error(400, str(exc)))
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
            return await self._answer(request, SCHEDULE_PARAMS, _error(404))
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
        since, until = _range(single.get("since"), single.get("until"))
        limit = _whole(single.get("limit", "25"), "limit", 1, 100)
        offset = _whole(single.get("offset", "0"), "offset", 0, 10_000)
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
            "oncalls": [self._entry(s, includes) for s in page],
            "limit": limit,
            "offset": offset,
            "more": offset + limit < len(found),
            "total": len(found) if single.get("total") == "true" else None,
        }

    def _entry(self, shift: Shift, includes: set[str]) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": shift.user_id,
            "type": "user_reference",
            "summary": shift.name,
            "self": f"{self.base_url}/users/{shift.user_id}",
        }
        if "users" in includes:
            user = {
                **user,
                "type": "user",
                "name": shift.name,
                "email": shift.email,
                "time_zone": "UTC",
                "role": "user",
            }
        schedule = {
            "id": shift.schedule_id,
            "type": "schedule_reference",
            "summary": self.schedules.get(shift.schedule_id, shift.schedule_id),
        }
        return {
            "user": user,
            "schedule": schedule,
            "escalation_policy": {"id": shift.policy_id, "type": "escalation_policy_reference"},
            "escalation_level": shift.escalation_level,
            "start": _iso(shift.start),
            "end": _iso(shift.end),
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _when(text: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{name} must be an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise BadInput(f"{name} must carry a time zone")
    return moment


def _range(since: str | None, until: str | None) -> tuple[datetime, datetime]:
    if (since is None) != (until is None):
        raise BadInput("since and until must be given together")
    if since is None or until is None:
        now = datetime.now(UTC)
        return now, now
    start, end = _when(since, "since"), _when(until, "until")
    if end <= start:
        raise BadInput("until must be after since")
    if end - start > MAX_RANGE:
        raise BadInput("The time range may be at most 90 days")
    return start, end


def _whole(text: str, name: str, low: int, high: int) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise BadInput(f"{name} must be a whole number from {low} to {high}")
    return int(text)


def _error(status: int, detail: str | None = None) -> web.Response:
    code, message = ERRORS.get(status, (2000, "Error"))
    body: dict[str, Any] = {"error": {"message": message, "code": code}}
    if detail:
        body["error"]["errors"] = [detail]
    return web.json_response(body, status=status)
