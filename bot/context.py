"""What the workflow parts share: catalog, state sessions, providers, clock, metrics."""

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.catalog.model import Catalog
from bot.identity import People
from bot.ops.metrics import Metrics
from bot.store import audit_repo
from providers.base import (
    DatabaseAdmin,
    IamGrants,
    LoginVerifier,
    OnCallSchedules,
    RoleProvisioner,
    SecretShare,
    SlackNotifier,
    TokenMinter,
)

log = logging.getLogger("db_access_bot.audit")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass
class Deps:
    """Dependencies of the workflow, built once by the composition root."""

    catalog: Catalog
    sessions: async_sessionmaker[AsyncSession]
    iam: IamGrants
    minter: TokenMinter
    share: SecretShare
    dbadmin: DatabaseAdmin
    slack: SlackNotifier
    people: People
    metrics: Metrics = field(default_factory=Metrics)
    clock: Callable[[], datetime] = utcnow
    paste_expire: str = "10min"
    owner: str = "db-access-bot"
    on_grant_active: Callable[[str, datetime | None], Awaitable[None] | None] | None = None
    timings: dict[str, float] = field(default_factory=dict)
    roles: RoleProvisioner | None = None  # identity.provision: per-user roles made on first use
    logins: LoginVerifier | None = None  # proves a fresh grant by logging in with its token
    verify_timeout: float = 30.0  # VERIFY_LOGIN_TIMEOUT: how long a first login may be refused
    on_call: OnCallSchedules | None = None  # PagerDuty; None when no token is configured

    async def audit(
        self,
        session: AsyncSession,
        *,
        actor: str,
        action: str,
        database: str | None = None,
        request_id: str | None = None,
        grant_id: str | None = None,
        **details: Any,
    ) -> None:
        """Append an audit row and emit the same event as a JSON log line."""
        await audit_repo.add_audit(
            session,
            at=self.clock(),
            actor=actor,
            action=action,
            database=database,
            request_id=request_id,
            grant_id=grant_id,
            details=details,
        )
        log.info(
            action,
            extra={
                "actor": actor,
                "database": database,
                "request_id": request_id,
                "grant_id": grant_id,
                "details": details,
            },
        )


class Stopwatch:
    """Times named steps into a dict (for the benchmark's per-step breakdown)."""

    def __init__(self, into: dict[str, float]) -> None:
        self._into = into

    def step(self, name: str) -> "_Step":
        return _Step(self._into, name)


class _Step:
    def __init__(self, into: dict[str, float], name: str) -> None:
        self._into, self._name = into, name

    def __enter__(self) -> None:
        self._start = time.perf_counter()

    def __exit__(self, *_: object) -> None:
        self._into[self._name] = time.perf_counter() - self._start
