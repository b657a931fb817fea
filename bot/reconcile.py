"""Reconciliation: make the `db-access-*` policies in IAM match the grants in the state store."""

import asyncio
import logging
from datetime import datetime, timedelta

from bot import repo
from bot.catalog import DatabaseSpec
from bot.context import Deps
from bot.domain import GrantStatus, Identity, Level
from bot.drift import Fix, record, report
from bot.errors import DbAccessError
from bot.identity import principal_for
from bot.lifecycle import Lifecycle
from bot.models import Grant
from bot.provisioning import target_of
from bot.revoking import LEASE
from bot.transactions import transaction

log = logging.getLogger(__name__)
LOOKBACK = timedelta(days=30)  # principals of grants this recent are checked even if revoked
PARALLEL = 4  # principals listed at once; IAM throttles bursts
RECONCILE_LOCK = 0x6462_6162_7263  # advisory lock key: "dbabrc"


class Reconciler:
    """Deletes orphan policies, restores missing ones, reports what it fixed.

    Half-made grants need no reconciliation: their PROVISION step is retried until done.
    """

    def __init__(self, deps: Deps, lifecycle: Lifecycle | None = None) -> None:
        self._d = deps
        self._steps = (lifecycle or Lifecycle(deps)).steps
        self._slots = asyncio.Semaphore(PARALLEL)

    async def run(self) -> list[Fix]:
        """One reconciliation pass; returns (and posts a summary of) what it fixed."""
        # Orphan policies have no row to claim, so replicas take turns instead: the lock lives
        # as long as this transaction (and dies with the connection if the process does).
        async with transaction(self._d.sessions) as session:
            if not await repo.try_xact_lock(session, key=RECONCILE_LOCK):
                log.info("another replica is reconciling; skipping this pass")
                return []
            return await self._run()

    async def _run(self) -> list[Fix]:
        fixes: list[Fix] = []
        principals = await self._principals()
        for found in await asyncio.gather(*(self._check(account, arn, database)
                                            for account, arn, database in principals)):
            fixes.extend(found)
        await report(self._d, self._steps, fixes)
        return fixes

    async def _principals(self) -> list[tuple[str, str, str]]:
        """Principals of recent grants, and every principal the catalog derives for holders."""
        # A policy can outlive its row, but only where the identity templates point.
        since = self._d.clock() - LOOKBACK
        async with transaction(self._d.sessions) as session:
            known = await repo.known_principals(session, since=since)
            holders = await repo.recent_holders(session, since=since)
        found = {arn: (account, arn, database) for account, arn, database in known}
        for user_id, email, handle in holders:
            identity = Identity(user_id, email, handle, "")
            for db in self._d.catalog.databases.values():
                for level in db.levels:
                    arn = principal_for(self._d.catalog, db, identity, Level(level))
                    found.setdefault(arn, (db.account_id, arn, db.name))
        return list(found.values())

    async def _check(self, account_id: str, arn: str, database: str) -> list[Fix]:
        async with self._slots:
            try:
                return await self._check_principal(account_id, arn, database)
            except DbAccessError as exc:
                log.warning("could not reconcile a principal",
                            extra={"principal": arn, "error": str(exc)})
                return []

    async def _check_principal(self, account_id: str, arn: str, database: str) -> list[Fix]:
        listed_at = self._d.clock()
        policies = set(await self._d.iam.list_grant_policies(account_id=account_id,
                                                             principal_arn=arn))
        async with transaction(self._d.sessions) as session:
            rows = await repo.grants_by_ids(session, grant_ids=sorted(policies))
            active = await repo.active_grants_of_principal(session, principal_arn=arn,
                                                           now=listed_at)
        fixes = []
        for gid in sorted(policies):
            row = rows.get(gid)
            # A grant revoked after the listing may have lost its policy since; not an orphan.
            if row is None or (row.status == GrantStatus.REVOKED and row.revoked_at is not None
                               and row.revoked_at <= listed_at):
                fix = await self._delete_orphan(arn, gid, row, database)
                if fix:
                    fixes.append(fix)
        for grant in active:
            # A grant made active after the listing may have got its policy since.
            if grant.id not in policies and grant.granted_at and grant.granted_at < listed_at:
                fix = await self._restore(grant)
                if fix:
                    fixes.append(fix)
        return fixes

    def _database_for(self, arn: str, row: Grant | None, hint: str) -> DatabaseSpec | None:
        """The grant's database, else any catalog database in the principal's account."""
        for name in (row.database if row else None, hint):
            db = self._d.catalog.database(name) if name else None
            if db is not None:
                return db
        account = arn.split(":")[4] if arn.count(":") >= 5 else ""
        return next((db for db in self._d.catalog.databases.values()
                     if db.account_id == account), None)

    async def _delete_orphan(self, arn: str, gid: str, row: Grant | None,
                             hint: str) -> Fix | None:
        db = self._database_for(arn, row, hint)
        if db is None:
            log.warning("orphan policy in an account the catalog no longer has",
                        extra={"principal": arn, "grant_id": gid})
            return None
        await self._d.iam.detach(db, principal_arn=arn, grant_id=gid)
        why = "its grant was revoked" if row is not None else "no grant has that id"
        return await record(self._d, Fix("orphan_deleted", f"deleted policy `db-access-{gid}` "
                                         f"on {arn}: {why}", gid if row else None,
                                         row.database if row else None),
                            principal=arn, policy=f"db-access-{gid}", known=row is not None)

    async def _restore(self, grant: Grant) -> Fix | None:
        """Re-attach a live grant's missing policy, holding its lease so no sweep interferes."""
        db = self._d.catalog.database(grant.database)
        if db is None:
            return None
        now = self._d.clock()
        async with transaction(self._d.sessions) as session:
            claimed = await repo.claim_grants(
                session, where=[Grant.id == grant.id, Grant.status == GrantStatus.ACTIVE],
                owner=self._d.owner, now=now, lease=LEASE, limit=1)
        if not claimed or not _live(claimed[0], now):
            if claimed:
                await self._release(grant)
            return None
        try:
            await self._d.iam.attach(db, target_of(claimed[0]))
        finally:
            await self._release(grant)
        return await record(self._d, Fix(
            "policy_restored", f"restored the missing policy of grant `{grant.id}` "
            f"({grant.level} on {grant.database} for {grant.email})", grant.id, grant.database),
            principal=grant.principal_arn)

    async def _release(self, grant: Grant) -> None:
        async with transaction(self._d.sessions) as session:
            await repo.release_grant(session, grant_id=grant.id, owner=self._d.owner)


def _live(grant: Grant, now: datetime) -> bool:
    return grant.expires_at is None or grant.expires_at > now
