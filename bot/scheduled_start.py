"""Grants that start later: made ahead, SCHEDULED until their START step makes them active.

The PROVISION step prepares such a grant like any other (database user, and an IAM policy that
allows nothing before `starts_at`), then writes a START step due at `starts_at` instead of the
link. Whichever replica's scheduler runs at that time (across restarts, like any other step)
makes the grant active and DMs the link; the clock of the grant runs from its start.
"""

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Deps
from bot.domain import GrantStatus, StepKind
from bot.effects import Effects
from bot.slack.blocks import when
from bot.store import repo
from bot.store import steps_repo as step_store
from bot.store.models import Grant, Step

LEASE = timedelta(minutes=2)


def starts_later(grant: Grant, now: datetime) -> bool:
    """Whether the grant's access begins after now."""
    return grant.starts_at is not None and grant.starts_at > now


def start_key(grant_id: str) -> str:
    """The key of the step that starts a scheduled grant."""
    return f"start:{grant_id}"


async def schedule_start(deps: Deps, session: AsyncSession, fx: Effects, grant: Grant) -> Step:
    """Mark a grant that was just made as SCHEDULED and write its START step, due at its start."""
    assert grant.starts_at is not None
    grant.status = GrantStatus.SCHEDULED
    grant.claimed_by = grant.claim_until = None
    step = step_store.new_step(
        kind=StepKind.START,
        key=start_key(grant.id),
        now=deps.clock(),
        owner=None,
        lease=LEASE,
        grant_id=grant.id,
        request_id=grant.request_id,
    )
    step.next_attempt_at = grant.starts_at
    session.add(step)  # not run now: the scheduler claims it when its time comes
    await deps.audit(
        session,
        actor="bot",
        action="grant.scheduled",
        database=grant.database,
        grant_id=grant.id,
        request_id=grant.request_id,
        starts_at=str(grant.starts_at),
        expires_at=str(grant.expires_at),
    )
    ends = f", ends {when(grant.expires_at)}" if grant.expires_at else ""
    fx.dm(
        grant.user_id,
        key=f"scheduled:{grant.id}",
        request_id=grant.request_id,
        text=(
            f":calendar: Your `{grant.level}` access to `{grant.database}` "
            f"(grant `{grant.id}`) is prepared: it starts {when(grant.starts_at)}{ends}. "
            f"The login link comes at the start; `/db-access revoke {grant.id}` cancels it."
        ),
    )
    request = await repo.get_request(session, request_id=grant.request_id)
    if request is not None:
        await fx.card(
            request,
            await repo.decisions(session, request_id=request.id),
            f":calendar: Prepared as `{grant.id}`: starts {when(grant.starts_at)}{ends}.",
        )
    return step
