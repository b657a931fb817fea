"""Revocation lag after expires_at, and a bot started over many grants that ended while none ran."""

import asyncio
import json
import random
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError
from sqlalchemy import func, select

from bot.catalog.database import DatabaseSpec
from bot.domain import GrantStatus
from bot.store.engine import make_engine
from bot.store.models import Grant
from providers.aws_policy import grant_policy, policy_json, policy_name
from providers.base import IamGrants
from scheduler import Scheduler, SchedulerConfig
from tests.support import aws_seed, catalogs
from tests.support.bot_process import BotProcess
from tests.support.bulk import seed_grants
from tests.support.harness import BotHarness
from tests.support.slack_emulator import SlackEmulator


class TimedIam:
    """Delegates to the real IamGrants and notes when the watched grants' policies go."""

    def __init__(self, inner: IamGrants) -> None:
        self._inner = inner
        self.watched: set[str] = set()  # reconciliation may delete other steps' leftovers too
        self.gone_at: dict[str, datetime] = {}

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._inner, name)

    async def detach(self, database: DatabaseSpec, *, principal_arn: str, grant_id: str) -> None:
        await self._inner.detach(database, principal_arn=principal_arn, grant_id=grant_id)
        if grant_id in self.watched:
            self.gone_at.setdefault(grant_id, datetime.now(UTC))


async def _revoked(state_url: str) -> int:
    engine = make_engine(state_url)
    try:
        async with engine.connect() as conn:
            return (
                await conn.scalar(
                    select(func.count())
                    .select_from(Grant)
                    .where(Grant.status == GrantStatus.REVOKED)
                )
                or 0
            )
    finally:
        await engine.dispose()


async def revocation_lag(
    h: BotHarness, state_url: str, resource_id: str, count: int, window: float
) -> list[float]:
    """count grants ending at random moments within window seconds; lag of each policy delete."""
    timed = TimedIam(h.workflow.d.iam)
    h.workflow.d.iam = timed
    now = datetime.now(UTC)
    ends = sorted(now + timedelta(seconds=10 + random.uniform(0, window)) for _ in range(count))
    made = await seed_grants(
        state_url,
        ends=ends,
        now=now,
        resource_id=resource_id,
        with_policies=True,
        prefix="lag",
        emu=h.emu,
    )
    timed.watched.update(grant_id for grant_id, _ in made)
    scheduler = Scheduler(h.workflow.d, SchedulerConfig())  # production intervals
    h.workflow.d.on_grant_active = scheduler.on_grant_active
    await scheduler.start()
    try:
        deadline = time.monotonic() + window + 120
        while len(timed.gone_at) < count and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.5)
    finally:
        await scheduler.stop()
    by_id = dict(zip((g for g, _ in made), ends, strict=True))
    return [(timed.gone_at[g] - by_id[g]).total_seconds() for g in by_id if g in timed.gone_at]


def _put_with_retries(iam: Any, role: str, name: str, document: str) -> None:
    """PutRolePolicy; moto's server sometimes answers one of many threads with a bare 500."""
    for attempt in range(5):
        try:
            iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=document)
            return
        except (ResponseParserError, ClientError):
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))


def _put_policies(made: list[tuple[str, str]], ends: list[datetime], resource_id: str) -> None:
    """Each grant's policy in moto, eight at a time (a client per thread: they are slow to make)."""
    roles = sorted({role for _, role in made})
    by_role: dict[str, list[tuple[str, datetime]]] = {role: [] for role in roles}
    for (grant_id, role), end in zip(made, ends, strict=True):
        by_role[role].append((grant_id, end))

    def one_role(role: str) -> None:
        name = role.rsplit("/", 1)[1]
        iam = aws_seed.client("iam")
        aws_seed.create_role(name)
        handle = name.removeprefix("DatabasesRole_")
        for grant_id, end in by_role[role]:
            document = grant_policy(
                grant_id=grant_id,
                region="eu-west-1",
                account_id=catalogs.ACCOUNT,
                resource_id=resource_id,
                db_user=f"{handle}_ro",
                expires_at=end,
            )
            _put_with_retries(iam, name, policy_name(grant_id), policy_json(document))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one_role, roles))


async def overdue(
    state_url: str,
    catalog: dict,
    env: dict[str, str],
    workdir: Path,
    *,
    count: int,
    concurrency: int,
    resource_id: str,
) -> dict[str, float]:
    """A `db-access-bot run` started over count grants that ended while no bot ran: seconds
    from starting the process (and from it being ready) until every one is revoked."""
    now = datetime.now(UTC)
    ends = [now - timedelta(minutes=5, seconds=i) for i in range(count)]
    catalog_file = workdir / "overdue-catalog.yaml"
    catalog_file.write_text(json.dumps(catalog))
    before = await _revoked(state_url)
    async with SlackEmulator() as emu:
        made = await seed_grants(
            state_url,
            ends=ends,
            now=now,
            resource_id=resource_id,
            with_policies=False,
            prefix="due",
            emu=emu,
        )
        seeding = time.perf_counter()
        await asyncio.to_thread(_put_policies, made, ends, resource_id)
        seeded = time.perf_counter() - seeding
        bot = BotProcess(
            env={
                **env,
                "SLACK_BOT_TOKEN": "xoxb-bench",
                "SLACK_APP_TOKEN": "xapp-bench",
                "SLACK_API_URL": emu.api_url,
                "DATABASE_URL": state_url,
                "DB_ACCESS_CATALOG": str(catalog_file),
                "IAM_CONCURRENCY": str(concurrency),
                "LOG_LEVEL": "WARNING",
            },
            log_path=workdir / "overdue-bot.log",
        ).start()
        started, ready = time.perf_counter(), None
        try:
            while await _revoked(state_url) - before < count:
                if ready is None and await asyncio.to_thread(bot.health, "/readyz") == 200:
                    ready = time.perf_counter() - started
                if time.perf_counter() - started > 1800:
                    break
                await asyncio.sleep(0.25)
            total = time.perf_counter() - started
        finally:
            bot.signal()
            await asyncio.to_thread(bot.wait, 30)
            bot.kill()
    return {
        "count": count,
        "concurrency": concurrency,
        "total_s": total,
        "ready_s": float("nan") if ready is None else ready,
        "revoked": float(await _revoked(state_url) - before),
        "seed_s": seeded,
    }
