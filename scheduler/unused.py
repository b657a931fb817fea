"""Standing grants nobody uses: a notice DM, then revocation after `unused_after` idle."""

import contextlib
import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Deps
from bot.domain import GrantStatus
from bot.effects import Effects
from bot.errors import DbAccessError
from bot.lifecycle import Lifecycle
from bot.revoking import LEASE
from bot.slack.actions import ActionId
from bot.slack.blocks import actions, button, section, when
from bot.store.models import Grant
from bot.store.transactions import transaction
from scheduler import claims

log = logging.getLogger(__name__)
NOTICE_BEFORE = timedelta(days=7)
BATCH = 50


def notice_before(unused_after: timedelta) -> timedelta:
    """How long before revocation the holder is told (7 days, or half a shorter idle limit)."""
    return min(NOTICE_BEFORE, unused_after / 2)


class UnusedAccess:
    """Tells holders of idle standing grants, then revokes the grants still idle."""

    def __init__(self, deps: Deps, lifecycle: Lifecycle | None = None) -> None:
        self._d = deps
        lifecycle = lifecycle or Lifecycle(deps)
        self._revoker = lifecycle.revoker
        self._steps = lifecycle.steps

    async def run(self) -> tuple[int, int]:
        """Send due notices and revoke due grants; returns (notices sent, grants revoked)."""
        return await self._notify(), await self._revoke()

    async def _notify(self) -> int:
        """Mark each idle grant noticed and write its notice DM in one transaction; send them."""
        idle_limit = self._d.catalog.unused_after
        sent = 0
        while True:
            now = self._d.clock()
            async with transaction(self._d.sessions) as session:
                grants = await claims.unused_to_notify(
                    session,
                    owner=self._d.owner,
                    now=now,
                    lease=LEASE,
                    idle=idle_limit - notice_before(idle_limit),
                    limit=BATCH,
                )
                fx = Effects(self._d, session)
                for grant in grants:
                    await self._notice(session, fx, grant, now)
                await fx.flush()
            if not grants:
                return sent
            sent += len(grants)
            await self._steps.run_now(fx.steps)

    async def _notice(
        self, session: AsyncSession, fx: Effects, grant: Grant, now: datetime
    ) -> None:
        last = grant.last_token_at or grant.granted_at or now
        ends = max(
            last + self._d.catalog.unused_after, now + notice_before(self._d.catalog.unused_after)
        )
        text = (
            f":zzz: Your standing `{grant.level}` access to `{grant.database}` (grant "
            f"`{grant.id}`) has not been used since {when(last)}. It will be revoked "
            f"{when(ends)} unless you get a token before then (press *New token*)."
        )
        blocks = [
            section(text),
            actions(
                button("New token", ActionId.NEW_TOKEN, grant.id, "primary"),
                button("Revoke now", ActionId.REVOKE, grant.id),
                block_id=f"unused_{grant.id}",
            ),
        ]
        grant.unused_notice_at = now
        grant.claimed_by = grant.claim_until = None
        await self._d.audit(
            session,
            actor="bot",
            action="grant.unused_notice",
            database=grant.database,
            grant_id=grant.id,
            revoke_after=str(ends),
        )
        fx.dm(grant.user_id, key=f"unused:{grant.id}:{now:%Y%m%dT%H%M%S}", text=text, blocks=blocks)

    async def _revoke(self) -> int:
        idle_limit = self._d.catalog.unused_after
        done = 0
        while True:
            now = self._d.clock()
            async with transaction(self._d.sessions) as session:
                grants = await claims.unused_to_revoke(
                    session,
                    owner=self._d.owner,
                    now=now,
                    lease=LEASE,
                    idle=idle_limit,
                    notice=notice_before(idle_limit),
                    limit=BATCH,
                )
                for grant in grants:
                    grant.status, grant.revoke_reason = GrantStatus.REVOKING, "unused"
                    grant.revoke_requested_by = None
            if not grants:
                return done
            for grant in grants:
                # A failure is recorded by the revoker; the revocation sweep retries it.
                with contextlib.suppress(DbAccessError):
                    done += not (await self._revoker.finish(grant)).already
