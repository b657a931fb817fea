"""Pure Block Kit builders for messages: text escaping, the approval card and the DMs."""

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.approval_rules import auto_approval_text
from bot.domain import RequestKind, RequestStatus
from bot.durations import format_duration
from bot.slack.actions import ActionId
from bot.store.models import AccessRequest, ApprovalDecision

Block = dict[str, Any]
MAX_TEXT = 2900  # section text limit is 3000; leave room for the label
SHOWN_PEOPLE = 20  # mentions in one line of a card before "and N more"


def escape(text: str | None, limit: int = 500) -> str:
    """User text as inert mrkdwn: no mentions, no links, no broadcasts; capped to limit chars."""
    value = (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value if len(value) <= limit else value[: limit - 1] + "…"


def quoted(text: str | None, limit: int = 64) -> str:
    """User text echoed back as inline code: escaped, capped, unable to close the backticks."""
    inert = escape((text or "").replace("`", "'"), limit)
    return f"`{inert}`"


def fitted(
    lines: Sequence[str],
    more: Callable[[int], str],
    *,
    total: int | None = None,
    limit: int = MAX_TEXT,
) -> str:
    """Whole lines, as many as fit in limit characters, then more(n) for the n left out.

    total is how many lines there are in all, when lines holds only the first of them.
    """
    total = len(lines) if total is None else total
    room = limit - len(more(total)) - 1
    shown: list[str] = []
    for line in lines:
        if sum(len(x) + 1 for x in shown) + len(line) > room:
            break
        shown.append(line)
    left = total - len(shown)
    return "\n".join([*shown, more(left)] if left else shown)


def mentions(user_ids: Sequence[str]) -> str:
    """People as Slack mentions, the first SHOWN_PEOPLE of them and a count of the rest."""
    named = ", ".join(f"<@{u}>" for u in user_ids[:SHOWN_PEOPLE])
    left = len(user_ids) - SHOWN_PEOPLE
    return named + (f" and {left} more" if left > 0 else "")


def section(text: str) -> Block:
    """A mrkdwn section."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:MAX_TEXT]}}


def context(text: str) -> Block:
    """A small grey context line."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:MAX_TEXT]}]}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    """A button element."""
    element: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "value": value,
        "text": {"type": "plain_text", "text": text, "emoji": True},
    }
    if style:
        element["style"] = style
    return element


def actions(*elements: dict[str, Any], block_id: str | None = None) -> Block:
    """An actions block."""
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def when(moment: datetime | None) -> str:
    """A time as Slack renders it in each reader's zone, with a UTC fallback."""
    if moment is None:
        return "no fixed end"
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _span(seconds: int | None) -> str:
    return format_duration(timedelta(seconds=seconds or 0))


def request_summary(request: AccessRequest) -> str:
    """The facts of a request, one per line, user text escaped."""
    kind = (
        "Extension of " + f"`{request.extends_grant_id}`"
        if request.kind == RequestKind.EXTENSION
        else "New access"
    )
    lines = [
        f"*Requester:* <@{request.requester_id}> ({escape(request.requester_email, 320)})"
        + filed_by(request),
        f"*Database:* `{request.database}`   *Level:* `{request.level}`   "
        f"*Duration:* {_span(request.duration_s)}   *Kind:* {kind}",
        *starts_line(request),
        f"*Reason:* {escape(request.reason)}",
    ]
    if request.ticket_url:
        lines.append(f"*Ticket:* {escape(request.ticket_url)}")
    return "\n".join(lines)


def filed_by(request: AccessRequest) -> str:
    """`, filed by <@admin>` for a request an admin filed on the requester's behalf."""
    return f"   *Filed by:* <@{request.filed_by}> (admin)" if request.filed_by else ""


def starts_line(request: AccessRequest) -> list[str]:
    """The scheduled start of a request as a card line (none when it starts once approved)."""
    if request.starts_at is None:
        return []
    return [
        f"*Starts:* {when(request.starts_at)} (the duration counts from then; it may be "
        "approved any time before)"
    ]


def _approvals_line(request: AccessRequest, decisions: Sequence[ApprovalDecision]) -> str:
    approvers = [d.approver_id for d in decisions if d.decision == "approve"]
    return f"{len(approvers)} of {request.approvals_required} approvals" + (
        f": {mentions(approvers)}" if approvers else ""
    )


def _outcome(request: AccessRequest, decisions: Sequence[ApprovalDecision]) -> str:
    status = request.status
    if status == RequestStatus.APPROVED:
        if request.decided_by == "auto":
            text = auto_approval_text(request)
        else:
            approvers = mentions([d.approver_id for d in decisions if d.decision == "approve"])
            text = f":white_check_mark: *Approved* by {approvers}"
        narrowed = (request.granted_level and request.granted_level != request.level) or (
            request.granted_duration_s and request.granted_duration_s != request.duration_s
        )
        if narrowed:
            text += (
                f" — granted *{request.granted_level}* for "
                f"*{_span(request.granted_duration_s)}* (narrowed)"
            )
        return text
    if status == RequestStatus.DENIED:
        who = f"<@{request.decided_by}>" if request.decided_by else "policy"
        return f":no_entry: *Denied* by {who}: {escape(request.deny_reason)}"
    if status == RequestStatus.EXPIRED:
        return ":hourglass: *Expired*: no decision within the approval timeout"
    if status == RequestStatus.WITHDRAWN:
        return f":leftwards_arrow_with_hook: *Withdrawn* by <@{request.decided_by}>"
    if status == RequestStatus.FAILED:
        return ":warning: *Closed*: the approvers could not be reached"
    return f":hourglass_flowing_sand: {_approvals_line(request, decisions)}"


def warning_context(warning: str) -> Block:
    """A database's warning, prominent: first thing under a title."""
    return context(f":warning: *Sensitive database:* {escape(warning, 300)}")


def _plain(text: str, limit: int) -> dict[str, str]:
    return {"type": "plain_text", "text": text if len(text) <= limit else text[: limit - 1] + "…"}


def approve_confirm(request: AccessRequest, warning: str) -> dict[str, Any]:
    """The dialog Slack shows before an Approve on a database with a warning acts."""
    return {
        "title": _plain(
            f"Approve {request.level} on {request.database} for {request.handle}?", 100
        ),
        "text": _plain(warning, 300),
        "confirm": _plain("Approve", 30),
        "deny": _plain("Cancel", 30),
        "style": "danger",
    }


def part_outcome(request: AccessRequest, decisions: Sequence[ApprovalDecision]) -> str:
    """The state of one request as a card line (one database of a several-database card)."""
    return _outcome(request, decisions)


def approval_card(
    request: AccessRequest,
    decisions: Sequence[ApprovalDecision],
    note: str = "",
    *,
    warning: str | None = None,
) -> list[Block]:
    """The card approvers act on; buttons only while the request is pending.

    A database's warning is shown under the title, and Approve asks to confirm it.
    """
    title = (
        "Database access request"
        if request.kind == RequestKind.NEW
        else "Database access extension request"
    )
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        *([warning_context(warning)] if warning else []),
        section(request_summary(request)),
        section(_outcome(request, decisions)),
    ]
    if request.status == RequestStatus.PENDING:
        approve = button("Approve", ActionId.APPROVE, request.id, "primary")
        if warning:
            approve["confirm"] = approve_confirm(request, warning)
        blocks.append(
            actions(
                approve,
                button("Approve with changes…", ActionId.APPROVE_CHANGED, request.id),
                button("Deny", ActionId.DENY, request.id, "danger"),
                block_id=f"decide_{request.id}",
            )
        )
    if note:
        blocks.append(section(note))
    blocks.append(context(f"Request `{request.id}` · expires {when(request.expires_at)}"))
    return blocks


def withdraw_button(request_id: str) -> dict[str, Any]:
    """Withdraw, for the requester of a pending request (the id of the request or bundle)."""
    return button("Withdraw", ActionId.WITHDRAW, request_id)


def card_text(request: AccessRequest) -> str:
    """Notification fallback text for the card."""
    return (
        f"Access request {request.id}: {request.requester_email} wants {request.level} on "
        f"{request.database} ({request.status})"
    )
