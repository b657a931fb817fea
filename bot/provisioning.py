"""The PROVISION step: database user and IAM policy for an approved grant, then it is active."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalog.database import DatabaseSpec
from bot.context import Deps, Stopwatch
from bot.domain import GrantStatus, GrantTarget, Level, StatementLog, StepKind, StepStatus
from bot.effects import Effects
from bot.errors import DbAccessError, NotFound
from bot.failpoints import boundary, reach
from bot.revoking import Revoker
from bot.role_provisioning import RoleKeeper
from bot.scheduled_start import schedule_start, starts_later
from bot.slack.blocks import escape, when
from bot.steps import Busy
from bot.store import repo
from bot.store import steps_repo as step_store
from bot.store.models import Grant, Step
from bot.store.transactions import transaction

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)
DATABASE = boundary("provision", "database")
IAM = boundary("provision", "iam")
COMMIT = boundary("provision", "commit")


class TooLate(DbAccessError):
    """A grant whose end passed before it could be made (its maker was down that long)."""


def target_of(grant: Grant) -> GrantTarget:
    """The provider-facing view of a grant row."""
    return GrantTarget(
        grant_id=grant.id,
        database=grant.database,
        level=Level(grant.level),
        principal_arn=grant.principal_arn,
        db_user=grant.db_user,
        user_id=grant.user_id,
        email=grant.email,
        handle=grant.handle,
        expires_at=grant.expires_at,
        starts_at=grant.starts_at,
    )


def database_of(deps: Deps, grant: Grant) -> DatabaseSpec:
    """The catalog entry of a grant's database; a grant whose database left it cannot be made."""
    db = deps.catalog.database(grant.database)
    if db is None:
        raise NotFound(f"Database {grant.database} is no longer in the catalog; ask an admin.")
    return db


Prepare = Callable[[Grant], Awaitable[object]]


class Provisioning:
    """Makes a GRANTING grant real, or hands it to the revoker if it was revoked meanwhile.

    The database user, the IAM policy and the first link (minted and stored, not yet sent)
    do not depend on each other, so they are made side by side; the link goes out only once
    the grant is active.
    """

    def __init__(self, deps: Deps, revoker: Revoker, prepare: Prepare | None = None) -> None:
        self._d = deps
        self._revoker = revoker
        self._prepare = prepare
        self._roles = RoleKeeper(deps)

    async def run(self, step: Step) -> list[Step]:
        """Ensure the database user, attach the policy, mark the grant active, plan the link."""
        grant = await self._lease(step)
        if grant is None:
            return []
        if grant.expires_at is not None and grant.expires_at <= self._d.clock():
            raise TooLate(
                f"the access could not be set up before its end "
                f"({when(grant.expires_at)}); ask again if you still need it"
            )
        db = database_of(self._d, grant)
        link: asyncio.Future[object] | None = None
        later = starts_later(grant, self._d.clock())  # its link is made at its start

        def prepare_link() -> None:
            nonlocal link
            if self._prepare is not None and link is None and not later:
                link = asyncio.ensure_future(self._prepare(grant))

        if not self._roles.manages(grant):
            prepare_link()  # a role made on first use must exist before a token is minted
        # Both always finish: a policy written after a failure was undone would outlive it.
        outcomes = await asyncio.gather(
            self._user(db, grant), self._policy(db, grant, prepare_link), return_exceptions=True
        )
        failed = next((o for o in outcomes if isinstance(o, BaseException)), None)
        if failed is not None:
            if link is not None:
                link.cancel()
            raise failed
        await reach(COMMIT)
        follow = await self._activate(step, grant)
        for later in follow:
            if later.kind == StepKind.DELIVER and link is not None:
                later.prepared = link  # type: ignore[attr-defined]
                later.grant = grant  # type: ignore[attr-defined]
        return follow

    async def _user(self, db: DatabaseSpec, grant: Grant) -> None:
        if db.admin is None:
            return
        await reach(DATABASE)
        watch = Stopwatch(self._d.timings)
        level = db.levels[Level(grant.level)]
        with watch.step("db_user"):
            created = await self._d.dbadmin.ensure_user(db, db_user=grant.db_user, level=level)
        if created:
            await self._remember_created(grant)
        if level.log_statements != StatementLog.NONE:
            # The same database, the same idempotent unit as the user: a retry redoes both.
            with watch.step("statement_log"):
                logged = await self._d.dbadmin.log_statements(
                    db, db_user=grant.db_user, setting=level.log_statements
                )
            await self._remember_logged(grant, logged)

    async def _policy(self, db: DatabaseSpec, grant: Grant, role_ready: Callable[[], None]) -> None:
        await reach(IAM)
        await self._roles.ensure(db, grant, target_of(grant))
        role_ready()
        with Stopwatch(self._d.timings).step("iam"):
            await self._d.iam.attach(db, target_of(grant))

    async def _lease(self, step: Step) -> Grant | None:
        """The grant, leased here; None (step done) when there is nothing left to make."""
        now = self._d.clock()
        async with transaction(self._d.sessions) as session:
            grant = await repo.get_grant(session, grant_id=step.grant_id or "", for_update=True)
            if grant is None or grant.status != GrantStatus.GRANTING:
                # Revoked before it was made (the revoker owns it), or made by an earlier try.
                await step_store.finish(session, step=step, now=now)
                return None
            me = step_store.holder(self._d.owner, step.key)
            if step_store.held_by_other(grant, owner=me, now=now):
                raise Busy(f"grant {grant.id} is held by {grant.claimed_by}")
            grant.claimed_by, grant.claim_until = me, now + LEASE
            return grant

    async def _remember_created(self, grant: Grant) -> None:
        """Note that this grant created its database user, so a failed grant can drop it."""
        grant.db_user_created = True
        async with transaction(self._d.sessions) as session:
            row = await repo.get_grant(session, grant_id=grant.id, for_update=True)
            if row is not None:
                row.db_user_created = True

    async def _remember_logged(self, grant: Grant, logged: str) -> None:
        """Note what the server logs of this grant's user, for its audit row and its revoke."""
        grant.log_statements = logged
        async with transaction(self._d.sessions) as session:
            row = await repo.get_grant(session, grant_id=grant.id, for_update=True)
            if row is not None:
                row.log_statements = logged

    async def _activate(self, step: Step, grant: Grant) -> list[Step]:
        now = self._d.clock()
        async with transaction(self._d.sessions) as session:
            fx = Effects(self._d, session)
            row = await repo.get_grant(session, grant_id=grant.id, for_update=True)
            assert row is not None
            await step_store.finish(session, step=step, now=now)
            if row.status != GrantStatus.GRANTING:
                # Revoked while it was being made: the policy just written must go too.
                revoke = row
            elif starts_later(row, now):
                revoke = None
                await schedule_start(self._d, session, fx, row)  # SCHEDULED; START step waits
            else:
                revoke = None
                row.status, row.granted_at = GrantStatus.ACTIVE, now
                row.claimed_by = row.claim_until = None
                await self._d.audit(
                    session,
                    actor="bot",
                    action="grant.active",
                    database=row.database,
                    grant_id=row.id,
                    request_id=row.request_id,
                    statements_logged=row.log_statements or "nothing",
                )
                fx.deliver(row, key="first", actor="bot")
                request = await repo.get_request(session, request_id=row.request_id)
                if request is not None:
                    await fx.card(
                        request,
                        await repo.decisions(session, request_id=request.id),
                        f":unlock: Granted as `{row.id}` until {when(row.expires_at)}.",
                    )
            await fx.flush()
        if revoke is not None:
            await self._revoker.finish(revoke)  # it holds our lease: nobody else can interfere
            return []
        if row.status == GrantStatus.SCHEDULED:
            grant.status = row.status
            return fx.steps
        grant.status, grant.granted_at = GrantStatus.ACTIVE, now
        self._d.metrics.grants.labels(grant.database, grant.level).inc()
        if self._d.on_grant_active is not None:
            result = self._d.on_grant_active(grant.id, grant.expires_at)
            if result is not None:
                await result
        return fx.steps

    async def give_up(self, step: Step, error: DbAccessError) -> list[Step]:
        """The grant cannot be made: tell the requester, then undo whatever part of it exists."""
        now = self._d.clock()
        async with transaction(self._d.sessions) as session:
            fx = Effects(self._d, session)
            await step_store.finish(
                session, step=step, now=now, status=StepStatus.FAILED, error=str(error)[:500]
            )
            row = await repo.get_grant(session, grant_id=step.grant_id or "", for_update=True)
            undo = row is not None and row.status in (GrantStatus.GRANTING, GrantStatus.REVOKING)
            if row is not None and row.status == GrantStatus.GRANTING:
                row.status, row.revoke_reason = GrantStatus.REVOKING, "grant_failed"
                row.last_error = str(error)[:500]
                row.claimed_by = step_store.holder(self._d.owner, step.key)
                row.claim_until = now + LEASE
                await self._d.audit(
                    session,
                    actor="bot",
                    action="grant.failed",
                    database=row.database,
                    grant_id=row.id,
                    request_id=row.request_id,
                    error=str(error)[:500],
                )
                await self._tell_failed(fx, session, row, error)
            await fx.flush()
        if (
            undo
            and row is not None
            and row.claimed_by == step_store.holder(self._d.owner, step.key)
        ):
            # A failure is recorded with its next attempt; the sweep retries it.
            with contextlib.suppress(DbAccessError):
                await self._revoker.finish(row)
        return fx.steps

    async def _tell_failed(
        self, fx: Effects, session: AsyncSession, row: Grant, error: DbAccessError
    ) -> None:
        fx.dm(
            row.user_id,
            key=f"grant-failed:{row.id}",
            request_id=row.request_id,
            text=(
                f":warning: Your request `{row.request_id}` was approved, but the access could not "
                f"be set up: {error.user_message}"
            ),
        )
        request = await repo.get_request(session, request_id=row.request_id)
        if request is not None:
            decisions = await repo.decisions(session, request_id=request.id)
            await fx.card(request, decisions, f":warning: Grant failed: {escape(str(error))}")
