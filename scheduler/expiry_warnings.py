"""The warning DM, with Extend, ten minutes before a grant ends (once per end time)."""

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Deps
from bot.durations import humanize
from bot.effects import Effects
from bot.lifecycle import Lifecycle
from bot.slack.grant_dms import expiry_warning_dm
from bot.store.models import Grant
from bot.store.transactions import transaction
from scheduler import claims

log = logging.getLogger(__name__)
WARN_BEFORE = timedelta(minutes=10)
LEASE = timedelta(minutes=1)
BATCH = 50


class ExpiryWarnings:
    """DMs holders whose access ends soon; extending clears warned_at, so it warns again."""

    def __init__(self, deps: Deps, lifecycle: Lifecycle | None = None) -> None:
        self._d = deps
        self._steps = (lifecycle or Lifecycle(deps)).steps

    async def run(self) -> int:
        """Warn every holder whose grant ends within WARN_BEFORE; returns how many were DMed."""
        sent = 0
        while True:
            now = self._d.clock()
            async with transaction(self._d.sessions) as session:
                grants = await claims.expiring(
                    session,
                    owner=self._d.owner,
                    now=now,
                    lease=LEASE,
                    within=WARN_BEFORE,
                    limit=BATCH,
                )
                fx = Effects(self._d, session)
                for grant in grants:
                    sent += await self._warn(session, fx, grant, now)
                await fx.flush()
            if not grants:
                return sent
            await self._steps.run_now(fx.steps)

    async def _warn(self, session: AsyncSession, fx: Effects, grant: Grant, now: datetime) -> bool:
        """Mark the grant warned and write the DM with it (a short grant needs none)."""
        grant.warned_at = now
        grant.claimed_by = grant.claim_until = None
        # A grant no longer than the warning window was told its end in the link DM already.
        if (
            grant.granted_at is not None
            and grant.expires_at is not None
            and grant.expires_at - grant.granted_at <= WARN_BEFORE
        ):
            return False
        left = humanize((grant.expires_at or now) - now)
        end = f"{grant.expires_at:%Y%m%dT%H%M%S}" if grant.expires_at else "none"
        fx.dm(
            grant.user_id,
            key=f"expiring:{grant.id}:{end}",
            blocks=expiry_warning_dm(grant, now),
            text=f"Your {grant.level} access to {grant.database} ends in {left}",
        )
        await self._d.audit(
            session,
            actor="bot",
            action="grant.expiry_warned",
            database=grant.database,
            grant_id=grant.id,
            expires_at=str(grant.expires_at),
        )
        return True
