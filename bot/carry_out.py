"""What an approval commits to, inside the approving transaction: a new grant or a longer one.

No rule can be bypassed by how an approval is carried out: an extension moves the end of the
grant it names only at the level that was approved, only while that grant is active, and only
within the database's longest duration; anything else becomes a new grant of what was approved.
"""

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.approval_rules import approved_by
from bot.context import Deps
from bot.domain import GrantStatus, Identity, Level, RequestKind
from bot.durations import format_duration
from bot.effects import LEASE, Effects, provision_key
from bot.errors import NotFound
from bot.identity import db_user_for, principal_for
from bot.ids import new_id
from bot.slack.blocks import when
from bot.start_times import access_window, start_note
from bot.store import repo
from bot.store import steps_repo as step_store
from bot.store.models import AccessRequest, Grant


def _span(seconds: int | None) -> str:
    return format_duration(timedelta(seconds=seconds or 0))


async def carry_out(
    deps: Deps, session: AsyncSession, fx: Effects, request: AccessRequest, *, approver: str
) -> None:
    """Write the grant or extension an approved request gives, its steps and the requester's DM."""
    level = Level(request.granted_level or request.level)
    duration = timedelta(seconds=request.granted_duration_s or request.duration_s)
    granted = f"{level.value} for {_span(int(duration.total_seconds()))}"
    asked = f"{request.level} for {_span(request.duration_s)}"
    by = approved_by(request, approver)
    changed = f" (you asked for {asked})" if granted != asked else ""
    head = (
        f":white_check_mark: Your request `{request.id}` on {request.database} was {by}: "
        f"{granted}{changed}."
    )
    instead = ""
    if request.kind == RequestKind.EXTENSION and request.extends_grant_id:
        grant = await repo.get_grant(session, grant_id=request.extends_grant_id, for_update=True)
        why_not = _cannot_extend(grant, level, deps.clock())
        if why_not is None and grant is not None:
            # The requester hears of the approval before the steps it starts report back.
            fx.dm(
                request.requester_id,
                key=f"approved:{request.id}",
                request_id=request.id,
                text=f"{head} Extending grant `{grant.id}` now…",
            )
            await _extend(deps, session, fx, grant, request, duration)
            return
        instead = f" {why_not} so this is a new grant."
    made = await _new_grant(deps, session, fx, request, level, duration)
    fx.dm(
        request.requester_id,
        key=f"approved:{request.id}",
        request_id=request.id,
        text=f"{head}{instead}{start_note(request, deps.clock(), made.expires_at)}",
    )


def _cannot_extend(grant: Grant | None, level: Level, now: datetime) -> str | None:
    """Why an extension cannot move this grant's end (None: it can)."""
    if (
        grant is None
        or grant.status != GrantStatus.ACTIVE
        or (grant.expires_at is not None and grant.expires_at <= now)
    ):
        return "The grant it extends has already ended,"
    if grant.level != level.value:
        return (
            f"It was approved as {level.value}, not as the {grant.level} of grant "
            f"`{grant.id}` (which still ends {when(grant.expires_at)}),"
        )
    if grant.standing or grant.expires_at is None:
        return f"Grant `{grant.id}` is standing (it has no end to move),"
    return None


async def _extend(
    deps: Deps,
    session: AsyncSession,
    fx: Effects,
    grant: Grant,
    request: AccessRequest,
    duration: timedelta,
) -> None:
    """Move an active grant's end now; the EXTEND step brings IAM up to it."""
    db = deps.catalog.databases[grant.database]
    now = deps.clock()
    assert grant.expires_at is not None
    old_end = grant.expires_at
    grant.expires_at = min(max(old_end, now) + duration, now + db.max_duration)
    grant.warned_at = None
    await deps.audit(
        session,
        actor="bot",
        action="grant.extension_approved",
        database=grant.database,
        grant_id=grant.id,
        request_id=request.id,
        expires_at=str(grant.expires_at),
        added=format_duration(duration),
    )
    fx.extend(grant, request, old_end=old_end.isoformat())


async def _new_grant(
    deps: Deps,
    session: AsyncSession,
    fx: Effects,
    request: AccessRequest,
    level: Level,
    duration: timedelta,
) -> Grant:
    """A GRANTING grant leased to this instance, and the step that makes it."""
    db = deps.catalog.database(request.database)
    if db is None:
        raise NotFound(
            f"Database {request.database} is no longer in the catalog; nothing was granted."
        )
    identity = Identity(request.requester_id, request.requester_email, request.handle, "")
    now = deps.clock()
    standing = db.levels[level].standing
    starts_at, expires_at = access_window(
        now=now, starts_at=request.starts_at, duration=duration, standing=standing
    )
    grant_id = new_id("g")
    grant = Grant(
        id=grant_id,
        request_id=request.id,
        status=GrantStatus.GRANTING,
        user_id=request.requester_id,
        email=request.requester_email,
        handle=request.handle,
        database=db.name,
        level=level.value,
        account_id=db.account_id,
        principal_arn=principal_for(deps.catalog, db, identity, level),
        db_user=db_user_for(deps.catalog, identity, level),
        standing=standing,
        created_at=now,
        expires_at=expires_at,
        starts_at=starts_at,
        attempts=0,
        db_user_created=False,
        claim_until=now + LEASE,
        claimed_by=step_store.holder(deps.owner, provision_key(grant_id)),
    )
    session.add(grant)
    await deps.audit(
        session,
        actor="bot",
        action="grant.started",
        database=db.name,
        request_id=request.id,
        grant_id=grant.id,
        level=level.value,
        principal=grant.principal_arn,
        db_user=grant.db_user,
        expires_at=str(grant.expires_at),
        **({"starts_at": str(starts_at)} if starts_at else {}),
    )
    fx.provision(grant)
    return grant
