"""OnCallSchedules on PagerDuty's REST API v2: `GET /oncalls` for one schedule, by email.

With `include[]=users` every on-call entry carries the full user, email included; `since` and
`until` one second apart ask who is on call at that moment. Classic pagination: `limit` (at
most 100) and `offset`, until the answer says `more: false`.
"""

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import aiohttp
from pydantic import SecretStr

from bot.errors import OnCallError

ACCEPT = "application/vnd.pagerduty+json;version=2"
PAGE = 100
MAX_OFFSET = 10_000  # PagerDuty refuses offset + limit beyond this
MAX_SERVER_MESSAGE = 200


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class PagerDutyOnCall:
    """Asks PagerDuty who is on call; every failure is an OnCallError naming the fix."""

    def __init__(self, base_url: str, token: SecretStr, *, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def on_call_emails(self, schedule_id: str, *, at: datetime) -> frozenset[str]:
        """Lowercased emails of everyone on call in the schedule at a moment."""
        emails: set[str] = set()
        offset = 0
        while offset + PAGE <= MAX_OFFSET:
            page = await self._get(
                "/oncalls",
                [
                    ("schedule_ids[]", schedule_id),
                    ("since", _iso(at)),
                    ("until", _iso(at + timedelta(seconds=1))),
                    ("include[]", "users"),
                    ("limit", str(PAGE)),
                    ("offset", str(offset)),
                ],
                what="on-calls",
            )
            for entry in page.get("oncalls") or []:
                email = str(((entry or {}).get("user") or {}).get("email") or "").strip()
                if email:
                    emails.add(email.lower())
            if page.get("more") is not True:
                return frozenset(emails)
            offset += int(page.get("limit") or PAGE)
        raise OnCallError(
            f"PagerDuty listed more than {MAX_OFFSET} on-calls for schedule "
            f"{schedule_id}; that is not a schedule of people"
        )

    async def schedule_name(self, schedule_id: str) -> str:
        """The schedule's name (`check --online` shows it); OnCallError if PagerDuty has none."""
        answer = await self._get(
            f"/schedules/{quote(schedule_id, safe='')}", [], what=f"schedule {schedule_id}"
        )
        schedule = answer.get("schedule") or {}
        return str(schedule.get("name") or schedule.get("summary") or schedule_id)

    async def close(self) -> None:
        """Close the HTTP session, if one was opened."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def _get(self, path: str, params: list[tuple[str, str]], *, what: str) -> dict[str, Any]:
        """One GET; the token goes only into the Authorization header, never into an error."""
        headers = {
            "Authorization": f"Token token={self._token.get_secret_value()}",
            "Accept": ACCEPT,
        }
        try:
            async with self._client().get(
                self.base_url + path, params=params, headers=headers
            ) as resp:
                body = await resp.read()
                status = resp.status
        except TimeoutError:
            raise OnCallError(f"PagerDuty did not answer within {self.timeout:g} s") from None
        except aiohttp.ClientError as exc:
            raise OnCallError(
                f"PagerDuty at {self.base_url} is unreachable ({type(exc).__name__})"
            ) from None
        try:
            answer = json.loads(body) if body else {}
        except ValueError:
            answer = None
        if status >= 300:
            raise OnCallError(_refusal(status, answer, what), retryable=status not in (401, 403))
        if not isinstance(answer, dict):
            raise OnCallError(f"PagerDuty answered HTTP {status} without a JSON object")
        return answer


def _refusal(status: int, answer: Any, what: str) -> str:
    """Why PagerDuty said no, in words an operator can act on."""
    error = (answer or {}).get("error") if isinstance(answer, dict) else None
    said = ""
    if isinstance(error, dict):
        details = "; ".join(str(e) for e in error.get("errors") or [])
        said = f": {error.get('message') or ''}{' — ' + details if details else ''}"
        said = said[:MAX_SERVER_MESSAGE]
    hints = {
        401: " (check PAGERDUTY_TOKEN: a REST API key, not an Events integration key)",
        403: " (the API key may not read schedules; use a read-only account key)",
        404: f" (no such {what}: check on_call.pagerduty_schedule in the catalog)",
        429: " (rate limited; it passes by itself)",
    }
    return f"PagerDuty answered HTTP {status}{said}{hints.get(status, '')}"
