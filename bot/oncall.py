"""On-call approval: is the requester on call in the database's PagerDuty schedule right now?

Any failure to find out means "not on call": the request goes to its approvers, never granted.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime

from bot.catalog.model import Catalog
from bot.config import Settings
from bot.context import Deps
from bot.domain import Identity
from bot.errors import OnCallError
from bot.identity import TtlCache
from bot.policy import ValidRequest, on_call_applies
from bot.store.transactions import transaction
from providers.base import OnCallSchedules

log = logging.getLogger(__name__)
CACHE_SECONDS = 60.0  # an answer is at most this old: someone who just went on call waits that
ANSWER_BUDGET = 10.0  # seconds for all pages of one answer


class CachedOnCall:
    """Answers from another OnCallSchedules, kept per schedule for at most CACHE_SECONDS."""

    def __init__(
        self,
        inner: OnCallSchedules,
        *,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self._cache: TtlCache[frozenset[str]] = TtlCache(ttl, clock)

    async def on_call_emails(self, schedule_id: str, *, at: datetime) -> frozenset[str]:
        """Everyone on call in the schedule (a failure is raised, never cached)."""
        return await self._cache.get(schedule_id, lambda: self._ask(schedule_id, at))

    async def _ask(self, schedule_id: str, at: datetime) -> frozenset[str]:
        try:
            return await asyncio.wait_for(
                self.inner.on_call_emails(schedule_id, at=at), ANSWER_BUDGET
            )
        except TimeoutError:
            raise OnCallError(f"PagerDuty did not answer within {ANSWER_BUDGET:g} s") from None


async def requester_on_call(deps: Deps, identity: Identity, valid: ValidRequest) -> bool:
    """Whether being on call approves this request and the requester is on call right now."""
    rule = valid.database.on_call
    if rule is None or not on_call_applies(valid):
        return False
    try:
        if deps.on_call is None:
            raise OnCallError("PAGERDUTY_TOKEN is not set, so nobody counts as on call")
        emails = await deps.on_call.on_call_emails(rule.pagerduty_schedule, at=deps.clock())
    except OnCallError as exc:
        deps.metrics.on_call_lookups.labels("failed").inc()
        log.warning(
            "could not tell who is on call; approvers decide",
            extra={"database": valid.database.name, "error": str(exc)[:300]},
        )
        async with transaction(deps.sessions) as session:
            await deps.audit(
                session,
                actor="bot",
                action="oncall.unavailable",
                database=valid.database.name,
                requester=identity.user_id,
                schedule=rule.pagerduty_schedule,
                error=str(exc)[:300],
            )
        return False
    on_call = identity.email.lower() in emails
    deps.metrics.on_call_lookups.labels("on_call" if on_call else "not_on_call").inc()
    return on_call


def on_call_setting_warnings(settings: Settings, catalog: Catalog) -> list[str]:
    """On-call databases with no PagerDuty token to ask with: nobody counts as on call.

    A warning, not a refusal: without the token every request goes to its approvers, which
    is what a PagerDuty outage does too.
    """
    users = sorted(db.name for db in catalog.databases.values() if db.on_call is not None)
    token = settings.pagerduty_token.get_secret_value().strip() if settings.pagerduty_token else ""
    if users and not token:
        return [
            f"PAGERDUTY_TOKEN: not set, so on_call on {', '.join(users)} approves nobody "
            "(requests go to the approvers); set it to a PagerDuty REST API key (read-only is "
            "enough)"
        ]
    return []
