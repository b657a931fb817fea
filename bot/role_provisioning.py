"""Per-user roles on first use: the PROVISION step makes sure the grant's role exists first.

The `provisioned_roles` row of a role is what the cleanup job claims; a grant in the making
touches it first (and waits while the cleanup holds it), so a role is never deleted under a
grant that is about to use it.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalog.database import DatabaseSpec
from bot.context import Deps, Stopwatch
from bot.domain import GrantTarget, RoleChange, RoleStatus
from bot.steps import Busy
from bot.store.models import Grant, ProvisionedRole
from bot.store.transactions import transaction


class RoleKeeper:
    """Creates the grant's role when identity.provision manages it; records it for cleanup."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    def manages(self, grant: Grant) -> bool:
        """Whether the grant's principal is a role the bot creates."""
        return (
            self._d.catalog.identity.provision is not None
            and self._d.roles is not None
            and self._d.roles.manages(grant.principal_arn)
        )

    async def ensure(self, database: DatabaseSpec, grant: Grant, target: GrantTarget) -> None:
        """Make sure the role exists and is the bot's (a no-op for roles made by hand)."""
        if not self.manages(grant):
            return
        assert self._d.roles is not None
        await self._touch(grant)
        with Stopwatch(self._d.timings).step("role"):
            change = await self._d.roles.ensure(database, target)
        await self._record(grant, change)

    async def _touch(self, grant: Grant) -> None:
        """Mark the role in use now; Busy while the cleanup job is deleting it."""
        now = self._d.clock()
        async with transaction(self._d.sessions) as session:
            row = await session.scalar(
                select(ProvisionedRole)
                .where(ProvisionedRole.arn == grant.principal_arn)
                .with_for_update()
            )
            if row is None:
                return
            if row.claim_until is not None and row.claim_until >= now:
                raise Busy(
                    f"IAM role {row.arn} is being deleted as unused; making it again "
                    "once that is done"
                )
            row.last_used_at = now

    async def _record(self, grant: Grant, change: RoleChange) -> None:
        now = self._d.clock()
        async with transaction(self._d.sessions) as session:
            await _upsert(session, grant, now)
            if change is not RoleChange.UNCHANGED:
                assert self._d.catalog.identity.provision is not None
                await self._d.audit(
                    session,
                    actor="bot",
                    action=f"role.{change.value}",
                    database=grant.database,
                    grant_id=grant.id,
                    request_id=grant.request_id,
                    role=grant.principal_arn,
                    for_user=grant.user_id,
                    boundary=self._d.catalog.identity.provision.permissions_boundary.replace(
                        "{account_id}", grant.account_id
                    ),
                )


async def _upsert(session: AsyncSession, grant: Grant, now: datetime) -> None:
    """Insert the role's row, or mark an existing one present and used now (replica-safe)."""
    values = {
        "arn": grant.principal_arn,
        "account_id": grant.account_id,
        "user_id": grant.user_id,
        "email": grant.email,
        "status": RoleStatus.PRESENT,
        "created_at": now,
        "last_used_at": now,
        "attempts": 0,
    }
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(ProvisionedRole).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ProvisionedRole.arn],
            set_={
                "status": RoleStatus.PRESENT,
                "last_used_at": now,
                "deleted_at": None,
                "note": None,
                "attempts": 0,
                "next_attempt_at": None,
                "last_error": None,
            },
        )
    )
