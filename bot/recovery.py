"""Grants a crash left half-made (GRANTING): completed while still in time, else revoked."""

import contextlib
import logging
from datetime import timedelta

from bot import claims, repo
from bot.context import Deps
from bot.domain import GrantStatus
from bot.drift import Fix, record
from bot.errors import DbAccessError
from bot.granting import Granter
from bot.models import Grant
from bot.revoking import LEASE, Revoker
from bot.transactions import transaction

log = logging.getLogger(__name__)
# A live grant attempt (admin connection, IAM calls) ends well within this; older is a crash.
STALE_GRANTING = timedelta(minutes=3)
BATCH = 20


class Recovery:
    """Finishes grants whose maker died between writing the row and marking it active."""

    def __init__(self, deps: Deps, *, granter: Granter | None = None,
                 revoker: Revoker | None = None) -> None:
        self._d = deps
        self._granter = granter or Granter(deps)
        self._revoker = revoker or Revoker(deps)

    async def run(self) -> list[Fix]:
        """Claim stale GRANTING grants and finish each; return what was fixed."""
        fixes: list[Fix] = []
        while True:
            now = self._d.clock()
            async with transaction(self._d.sessions) as session:
                grants = await claims.stale_granting(session, owner=self._d.owner, now=now,
                                                     lease=LEASE, older_than=STALE_GRANTING,
                                                     limit=BATCH)
            if not grants:
                return fixes
            for grant in grants:
                fix = await self._finish(grant)
                if fix is not None:
                    fixes.append(fix)

    async def _finish(self, grant: Grant) -> Fix | None:
        now = self._d.clock()
        if grant.standing or (grant.expires_at is not None and grant.expires_at > now):
            return await self._complete(grant)
        return await self._abandon(grant)

    async def _complete(self, grant: Grant) -> Fix | None:
        """Redo the (idempotent) grant steps, mark it active and send the link never sent."""
        what = f"grant `{grant.id}` ({grant.level} on {grant.database} for {grant.email})"
        try:
            await self._granter.apply(grant)
        except DbAccessError as exc:
            # apply() handed the grant to the revoker (REVOKING, grant_failed).
            await self._release(grant)
            return await record(self._d, Fix("grant_abandoned", f"{what} was left half-made and "
                                             f"could not be completed ({exc}); revoking it",
                                             grant.id, grant.database), error=str(exc)[:300])
        await self._release(grant)
        if grant.status != GrantStatus.ACTIVE:
            return None  # its maker was alive after all and finished it
        try:
            await self._granter.deliver(grant, actor="bot")
        except DbAccessError:
            log.warning("could not deliver a recovered grant", extra={"grant_id": grant.id})
        return await record(self._d, Fix("grant_completed", f"{what} was left half-made by a "
                                         "crash; completed it and sent the link",
                                         grant.id, grant.database))

    async def _abandon(self, grant: Grant) -> Fix | None:
        """A half-made grant whose time is over: revoke whatever part of it exists."""
        async with transaction(self._d.sessions) as session:
            row = await repo.get_grant(session, grant_id=grant.id, for_update=True)
            if row is None or row.status != GrantStatus.GRANTING:
                await repo.release_grant(session, grant_id=grant.id, owner=self._d.owner)
                return None  # its maker was alive after all and moved it on
            row.status, row.revoke_reason = GrantStatus.REVOKING, "grant_failed"
            await self._d.audit(session, actor="bot", action="grant.failed",
                                database=row.database, grant_id=row.id,
                                request_id=row.request_id, error="left half-made past its end time")
        fix = await record(self._d, Fix(
            "grant_abandoned", f"grant `{grant.id}` ({grant.level} on {grant.database} for "
            f"{grant.email}) was left half-made past its end time; revoked it",
            grant.id, grant.database))
        # A failure is recorded by the revoker; the sweep retries it with backoff.
        with contextlib.suppress(DbAccessError):
            await self._revoker.finish(row)
        return fix

    async def _release(self, grant: Grant) -> None:
        async with transaction(self._d.sessions) as session:
            await repo.release_grant(session, grant_id=grant.id, owner=self._d.owner)
