"""What people hear when a request is filed: the requester's DM, the on-behalf notice, the reply.

A request names one database or several (each with its own verdict) and may be filed by an
admin for someone else; the requester always gets one DM naming the request id, with a
*Withdraw* button while anything waits for approval.
"""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bot.domain import RequestStatus
from bot.durations import format_duration
from bot.effects import Effects
from bot.policy import Outcome, Verdict
from bot.slack.blocks import Block, actions, escape, section, when, withdraw_button
from bot.store.models import AccessRequest


def subject(requester: str, filer: str, *, you: str, they: str) -> str:
    """`you` when people ask for themselves, else `<@requester> they` (filed on their behalf)."""
    return you if requester == filer else f"<@{requester}> {they}"


def shown_id(requests: Sequence[AccessRequest]) -> str:
    """The id people use for what was filed together."""
    return requests[0].bundle_id or requests[0].id


def details(request: AccessRequest) -> dict[str, Any]:
    """Audit details naming whom a request is for, who filed it, and what it belongs to."""
    found: dict[str, Any] = {"requester": request.requester_id}
    if request.filed_by:
        found["filed_by"] = request.filed_by
    if request.bundle_id:
        found["bundle"] = request.bundle_id
    if request.starts_at:
        found["starts_at"] = request.starts_at.isoformat()
    return found


def _state(request: AccessRequest, verdict: Verdict) -> str:
    if request.status == RequestStatus.FAILED:
        return f"could not reach its approvers in <#{request.approvals_channel}>"
    if verdict.outcome == Outcome.DENY:
        return f"refused: {verdict.reason}"
    if verdict.outcome == Outcome.AUTO_APPROVE:
        return "auto-approved" + (f" ({verdict.note})" if verdict.note else "")
    return f"waiting for {verdict.approvals} approval(s) in <#{request.approvals_channel}>"


def _what(requests: Sequence[AccessRequest]) -> str:
    first = requests[0]
    span = format_duration(timedelta(seconds=first.duration_s))
    start = f", starting {when(first.starts_at)}" if first.starts_at else ""
    return f"`{first.level}` for {span}{start}"


def _per_database(requests: Sequence[AccessRequest], verdicts: Sequence[Verdict]) -> str:
    if len(requests) == 1:
        return f"on `{requests[0].database}`: {_state(requests[0], verdicts[0])}"
    return "on " + "; ".join(
        f"`{r.database}` {_state(r, v)}" for r, v in zip(requests, verdicts, strict=True)
    )


def tell(fx: Effects, requests: Sequence[AccessRequest], verdicts: Sequence[Verdict]) -> None:
    """The requester's DM about what was filed (refusals and approvals also DM on their own)."""
    first, rid = requests[0], shown_id(requests)
    waiting = any(v.outcome == Outcome.NEEDS_APPROVAL for v in verdicts)
    if first.filed_by:
        text = (
            f":busts_in_silhouette: <@{first.filed_by}> (an admin) filed request `{rid}` "
            f"for you: {_what(requests)} {_per_database(requests, verdicts)}. "
            f"*Reason:* {escape(first.reason)}"
        )
    elif not waiting:
        return
    elif len(requests) == 1:
        text = (
            f"Your request `{rid}` for {first.level} on {first.database} "
            f"({format_duration(timedelta(seconds=first.duration_s))}) is waiting for "
            f"{verdicts[0].approvals} approval(s) in <#{first.approvals_channel}>."
            + (f" It starts {when(first.starts_at)}." if first.starts_at else "")
        )
    else:
        text = f"Your request `{rid}` for {_what(requests)} {_per_database(requests, verdicts)}."
    blocks: list[Block] = [section(text)]
    if waiting:
        blocks.append(actions(withdraw_button(rid), block_id=f"withdraw_{rid}"))
    fx.dm(first.requester_id, key=f"filed:{rid}", request_id=first.id, text=text, blocks=blocks)


def reply(requests: Sequence[AccessRequest], verdicts: Sequence[Verdict]) -> str:
    """What the person who filed reads at once (several databases, or on someone's behalf)."""
    first, rid = requests[0], shown_id(requests)
    whom = f" for <@{first.requester_id}>" if first.filed_by else ""
    told = " They were told in a DM." if first.filed_by else ""
    links = any(v.outcome == Outcome.AUTO_APPROVE for v in verdicts) and not first.filed_by
    dms = " Check your DMs for the login link." if links else ""
    return (
        f":inbox_tray: Request `{rid}`{whom} for {_what(requests)} "
        f"{_per_database(requests, verdicts)}.{told}{dms}"
    )
