"""PagerDuty's wire format for the emulator: parameters, time ranges, entries and errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from tests.support.pagerduty_emulator import Shift

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


def oncall_entry(
    shift: Shift, includes: set[str], *, base_url: str, schedule_name: str
) -> dict[str, Any]:
    """One /oncalls entry; the user is a reference unless include[]=users asked for it."""
    user: dict[str, Any] = {
        "id": shift.user_id,
        "type": "user_reference",
        "summary": shift.name,
        "self": f"{base_url}/users/{shift.user_id}",
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
        "summary": schedule_name,
    }
    return {
        "user": user,
        "schedule": schedule,
        "escalation_policy": {"id": shift.policy_id, "type": "escalation_policy_reference"},
        "escalation_level": shift.escalation_level,
        "start": iso_time(shift.start),
        "end": iso_time(shift.end),
    }


def iso_time(moment: datetime | None) -> str | None:
    """A moment as PagerDuty writes it (UTC, seconds, Z); None stays None."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _when(text: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{name} must be an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise BadInput(f"{name} must carry a time zone")
    return moment


def time_range(since: str | None, until: str | None) -> tuple[datetime, datetime]:
    """The since/until window asked for (both or neither, at most 90 days); default now."""
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


def whole_number(text: str, name: str, low: int, high: int) -> int:
    """A whole-number parameter within low..high, or BadInput naming it."""
    if not text.isdigit() or not low <= int(text) <= high:
        raise BadInput(f"{name} must be a whole number from {low} to {high}")
    return int(text)


def error_response(status: int, detail: str | None = None) -> web.Response:
    """PagerDuty's error body for status, with detail listed under errors."""
    code, message = ERRORS.get(status, (2000, "Error"))
    body: dict[str, Any] = {"error": {"message": message, "code": code}}
    if detail:
        body["error"]["errors"] = [detail]
    return web.json_response(body, status=status)
