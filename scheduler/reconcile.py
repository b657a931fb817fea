"""Reconciliation: make the `db-access-*` policies in IAM match the grants in the state store.

IAM is read a page of principals at a time (GetAccountAuthorizationDetails, 100 roles or users
a call) instead of one call per principal, and the pages are spread out in time; each page is
compared with the state store in one query.
"""

import asyncio
import contextlib
import logging
import time
from datetime import datetime, timedelta

from bot.catalog.database import DatabaseSpec
from bot.context import Deps
from bot.domain import GrantStatus
from bot.errors import DbAccessError
from bot.lifecycle import Lifecycle
from bot.provisioning import target_of
from bot.revoking import LEASE
from bot.store import leases, repo
from bot.store.locks import exclusive
from bot.store.models import Grant
from bot.store.transactions import transaction
from scheduler.drift import Fix, record, report
from scheduler.reconcile_scope import Scope

log = logging.getLogger(__name__)
LOOKBACK = timedelta(days=30)  # principals of grants this recent are checked wherever they are
PARALLEL = 4  # fixes (deletes, restores) at once within a page
MAX_PAGE_GAP = 5.0  # seconds; pages are spread over the pass, never further apart than this
FIRST_PAGE_GAP = 0.5  # before the bot knows how many pages an account has
ROWS_PER_QUERY = 1000
RECONCILE_LOCK = 0x6462_6162_7263  # advisory lock key: "dbabrc"


class Reconciler:
    """Deletes orphan policies, restores missing ones, reports what it fixed.

    Half-made grants need no reconciliation: their PROVISION step is retried until done.
    """

    def __init__(
        self,
        deps: Deps,
        lifecycle: Lifecycle | None = None,
        *,
        parallel: int = PARALLEL,
        spread: float = 0.0,
    ) -> None:
        """spread: seconds a pass may take to read its pages (0: as fast as IAM answers)."""
        self._d = deps
        self._steps = (lifecycle or Lifecycle(deps)).steps
        self._slots = asyncio.Semaphore(parallel)
        self._spread = spread
        self._pages: dict[str, int] = {}  # pages per account in the last pass

    async def run(self) -> list[Fix]:
        """One reconciliation pass; returns (and posts a summary of) what it fixed."""
        # Orphan policies have no row to claim, so replicas take turns instead.
        async with exclusive(self._d.sessions, key=RECONCILE_LOCK) as mine:
            if not mine:
                log.info("another replica is reconciling; skipping this pass")
                return []
            return await self._run()

    async def _run(self) -> list[Fix]:
        started = time.monotonic()
        fixes: list[Fix] = []
        async with transaction(self._d.sessions) as session:
            known = await repo.known_principals(session, since=self._d.clock() - LOOKBACK)
        scope = Scope.of(self._d.catalog, known)
        for account_id in sorted({db.account_id for db in self._d.catalog.databases.values()}):
            try:
                fixes.extend(await self._account(account_id, scope))
            except DbAccessError as exc:
                log.warning(
                    "could not reconcile an account",
                    extra={"account_id": account_id, "error": str(exc)},
                )
        await report(self._d, self._steps, fixes)
        log.info(
            "reconciled",
            extra={
                "pages": sum(self._pages.values()),
                "fixes": len(fixes),
                "seconds": round(time.monotonic() - started, 3),
            },
        )
        return fixes

    async def _account(self, account_id: str, scope: Scope) -> list[Fix]:
        """Compare every page of the account's principals; then name principals that are gone."""
        fixes: list[Fix] = []
        seen: set[str] = set()
        last = self._pages.get(account_id, 0)
        gap = (
            0.0
            if not self._spread
            else min(MAX_PAGE_GAP, self._spread / (last - 1) if last > 1 else FIRST_PAGE_GAP)
        )
        # IAM throttles bursts of this call per account: the pages come `gap` apart.
        pages = self._d.iam.grant_policy_pages(account_id=account_id, kinds=scope.kinds, pause=gap)
        count = 0
        async with contextlib.aclosing(pages):
            while True:
                listed_at = self._d.clock()
                page = await anext(pages, None)
                if page is None:
                    break
                count += 1
                mine = {arn: ids for arn, ids in page.items() if scope.covers(arn)}
                seen.update(mine)
                fixes.extend(await self._compare(mine, listed_at))
        self._pages[account_id] = count
        async with transaction(self._d.sessions) as session:
            holders = await repo.principals_with_active_grants(session, account_id=account_id)
        for arn in sorted(holders - seen):
            log.warning(
                "an IAM principal holding active grants does not exist; its grants "
                "cannot work until it is created",
                extra={"principal": arn},
            )
        return fixes

    async def _compare(self, listed: dict[str, list[str]], listed_at: datetime) -> list[Fix]:
        """Orphans and missing policies among one page of principals."""
        arns = sorted(listed)
        async with transaction(self._d.sessions) as session:
            active = [
                row
                for start in range(0, len(arns), ROWS_PER_QUERY)
                for row in await repo.active_grants_on(
                    session, principal_arns=arns[start : start + ROWS_PER_QUERY], now=listed_at
                )
            ]
            active_ids = {gid for gid, _, _ in active}
            # Nearly every listed policy belongs to an active grant; only the rest are read.
            suspects = sorted({gid for ids in listed.values() for gid in ids} - active_ids)
            rows: dict[str, Grant] = {}
            for start in range(0, len(suspects), ROWS_PER_QUERY):
                rows.update(
                    await repo.grants_by_ids(
                        session, grant_ids=suspects[start : start + ROWS_PER_QUERY]
                    )
                )
        work = []
        for arn, ids in listed.items():
            for gid in ids:
                row = rows.get(gid)
                # A grant revoked after the listing may have lost its policy since; not an orphan.
                if gid not in active_ids and (
                    row is None
                    or (
                        row.status == GrantStatus.REVOKED
                        and row.revoked_at is not None
                        and row.revoked_at <= listed_at
                    )
                ):
                    work.append(self._delete_orphan(arn, gid, row))
        for gid, arn, due in active:
            # A grant made active after the listing may have got its policy since.
            if due and gid not in listed.get(arn, ()):
                work.append(self._restore(gid))
        return [fix for fix in await asyncio.gather(*work) if fix is not None]

    def _database_for(self, arn: str, row: Grant | None) -> DatabaseSpec | None:
        """The grant's database, else any catalog database in the principal's account."""
        db = self._d.catalog.database(row.database) if row else None
        if db is not None:
            return db
        account = arn.split(":")[4] if arn.count(":") >= 5 else ""
        return next(
            (db for db in self._d.catalog.databases.values() if db.account_id == account), None
        )

    async def _delete_orphan(self, arn: str, gid: str, row: Grant | None) -> Fix | None:
        db = self._database_for(arn, row)
        if db is None:
            log.warning(
                "orphan policy in an account the catalog no longer has",
                extra={"principal": arn, "grant_id": gid},
            )
            return None
        async with self._slots:
            try:
                await self._d.iam.detach(db, principal_arn=arn, grant_id=gid)
            except DbAccessError as exc:
                log.warning(
                    "could not delete an orphan policy",
                    extra={"principal": arn, "grant_id": gid, "error": str(exc)},
                )
                return None
        why = "its grant was revoked" if row is not None else "no grant has that id"
        return await record(
            self._d,
            Fix(
                "orphan_deleted",
                f"deleted policy `db-access-{gid}` on {arn}: {why}",
                gid if row else None,
                row.database if row else None,
            ),
            principal=arn,
            policy=f"db-access-{gid}",
            known=row is not None,
        )

    async def _restore(self, grant_id: str) -> Fix | None:
        """Re-attach a live grant's missing policy, holding its lease so no sweep interferes."""
        now = self._d.clock()
        async with transaction(self._d.sessions) as session:
            claimed = await leases.claim_grants(
                session,
                where=[Grant.id == grant_id, Grant.status == GrantStatus.ACTIVE],
                owner=self._d.owner,
                now=now,
                lease=LEASE,
                limit=1,
            )
        if not claimed:
            return None
        grant = claimed[0]
        try:
            db = self._d.catalog.database(grant.database)
            if db is None or not _live(grant, now):
                return None
            async with self._slots:
                await self._d.iam.attach(db, target_of(grant))
        except DbAccessError as exc:
            log.warning(
                "could not restore a missing policy",
                extra={"principal": grant.principal_arn, "grant_id": grant.id, "error": str(exc)},
            )
            return None
        finally:
            await self._release(grant)
        return await record(
            self._d,
            Fix(
                "policy_restored",
                f"restored the missing policy of grant `{grant.id}` "
                f"({grant.level} on {grant.database} for {grant.email})",
                grant.id,
                grant.database,
            ),
            principal=grant.principal_arn,
        )

    async def _release(self, grant: Grant) -> None:
        async with transaction(self._d.sessions) as session:
            await leases.release_grant(session, grant_id=grant.id, owner=self._d.owner)


def _live(grant: Grant, now: datetime) -> bool:
    return grant.expires_at is None or grant.expires_at > now
