"""The warning DM, with Extend, ten minutes before a grant ends (once per end time)."""

import logging
from datetime import timedelta

from bot import claims, repo
from bot.blocks import expiry_warning_dm
from bot.context import Deps
from bot.durations import humanize
from bot.errors import DbAccessError
from bot.models import Grant
from bot.transactions import transaction

log = logging.getLogger(__name__)
WARN_BEFORE = timedelta(minutes=10)
LEASE = timedelta(minutes=1)
BATCH = 50


class ExpiryWarnings:
    """DMs holders whose access ends soon; extending clears warned_at, so it warns again."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def run(self) -> int:
        """Warn every holder whose grant ends within WARN_BEFORE; returns how many were DMed."""
        sent = 0
        while True:
            now = self._d.clock()
            async with transaction(self._d.sessions) as session:
                grants = await claims.expiring(session, owner=self._d.owner, now=now,
                                               lease=LEASE, within=WARN_BEFORE, limit=BATCH)
            if not grants:
                return sent
            for grant in grants:
                sent += await self._warn(grant)

    async def _warn(self, grant: Grant) -> bool:
        now = self._d.clock()
        # A grant no longer than the warning window was told its end in the link DM already.
        short = grant.granted_at is not None and grant.expires_at is not None \
            and grant.expires_at - grant.granted_at <= WARN_BEFORE
        if not short:
            left = humanize((grant.expires_at or now) - now)
            try:
                await self._d.slack.dm(grant.user_id, blocks=expiry_warning_dm(grant, now), text=(
                    f"Your {grant.level} access to {grant.database} ends in {left}"))
            except DbAccessError:
                log.warning("could not send an expiry warning", extra={"grant_id": grant.id})
                await self._finish(grant, warned=False)
                return False
        await self._finish(grant, warned=True, sent=not short)
        return not short

    async def _finish(self, grant: Grant, *, warned: bool, sent: bool = False) -> None:
        """Record the warning (or not) and give the lease back."""
        async with transaction(self._d.sessions) as session:
            row = await repo.get_grant(session, grant_id=grant.id, for_update=True)
            if row is None:
                return
            if warned and row.expires_at == grant.expires_at:
                row.warned_at = self._d.clock()
                if sent:
                    await self._d.audit(session, actor="bot", action="grant.expiry_warned",
                                        database=row.database, grant_id=row.id,
                                        expires_at=str(row.expires_at))
            # A failed warning keeps its lease, so it is retried when the lease lapses
            # rather than reclaimed at once by the same loop while Slack is down.
            if warned and row.claimed_by == self._d.owner:
                row.claimed_by = row.claim_until = None
