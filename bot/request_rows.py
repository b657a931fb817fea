"""A new request's row: who asks for what, until when it may wait, and its verdict applied."""

from datetime import datetime, timedelta

from bot.domain import Identity, RequestKind
from bot.domain import RequestStatus as RS
from bot.ids import new_id
from bot.policy import Outcome, ValidRequest, Verdict
from bot.start_times import pending_until
from bot.store.models import AccessRequest, Grant


def new_request_row(
    identity: Identity,
    valid: ValidRequest,
    verdict: Verdict,
    active: Grant | None,
    now: datetime,
    *,
    timeout: timedelta,
) -> AccessRequest:
    """The row of a request as filed: pending, or already denied or auto-approved."""
    db, seconds = valid.database, int(valid.duration.total_seconds())
    request = AccessRequest(
        id=new_id("r"),
        kind=RequestKind.EXTENSION if active else RequestKind.NEW,
        status=RS.PENDING,
        requester_id=identity.user_id,
        requester_email=identity.email,
        handle=identity.handle,
        database=db.name,
        level=valid.level.value,
        duration_s=seconds,
        reason=valid.reason,
        ticket_url=valid.ticket_url,
        extends_grant_id=active.id if active else None,
        approvals_required=max(verdict.approvals, 1),
        approvals_channel=db.approvals_channel,
        version=0,
        created_at=now,
        starts_at=valid.starts_at,
        expires_at=pending_until(
            now=now,
            starts_at=valid.starts_at,
            timeout=timeout,
            duration=valid.duration,
        ),
    )
    if verdict.outcome == Outcome.DENY:
        request.status, request.deny_reason, request.decided_at = RS.DENIED, verdict.reason, now
    elif verdict.outcome == Outcome.AUTO_APPROVE:
        request.status, request.decided_at, request.decided_by = RS.APPROVED, now, "auto"
        request.granted_level, request.granted_duration_s = valid.level.value, seconds
        request.rule, request.rule_note = verdict.rule, verdict.note or None
    return request
