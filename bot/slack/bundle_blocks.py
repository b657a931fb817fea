"""Pure Block Kit for a request of several databases: one card, each database with its state."""

from collections.abc import Mapping, Sequence
from datetime import timedelta

from bot.domain import GrantStatus, RequestKind, RequestStatus
from bot.durations import format_duration
from bot.slack.actions import ActionId
from bot.slack.blocks import (
    Block,
    actions,
    approve_confirm,
    button,
    context,
    escape,
    filed_by,
    part_outcome,
    section,
    starts_line,
    warning_context,
    when,
)
from bot.store.models import AccessRequest, ApprovalDecision, Grant


def _grant_state(grant: Grant | None) -> str:
    """What became of the grant a database's approval started."""
    if grant is None:
        return ""
    if grant.status == GrantStatus.GRANTING:
        return f" · setting up grant `{grant.id}`"
    if grant.status == GrantStatus.SCHEDULED:
        return (
            f" · grant `{grant.id}` starts {when(grant.starts_at)}, ends {when(grant.expires_at)}"
        )
    if grant.status == GrantStatus.ACTIVE:
        return f" · :unlock: grant `{grant.id}` until {when(grant.expires_at)}"
    if grant.revoke_reason == "grant_failed":
        return f" · :warning: grant `{grant.id}` could not be set up"
    return f" · :lock: grant `{grant.id}` ended"


def _part_line(
    part: AccessRequest, decisions: Sequence[ApprovalDecision], grant: Grant | None
) -> str:
    kind = f" (extends `{part.extends_grant_id}`)" if part.kind == RequestKind.EXTENSION else ""
    return f"*`{part.database}`*{kind} — {part_outcome(part, decisions)}{_grant_state(grant)}"


def bundle_card(
    bundle_id: str,
    parts: Sequence[AccessRequest],
    decisions: Mapping[str, Sequence[ApprovalDecision]],
    grants: Mapping[str, Grant],
    note: str = "",
    warnings: Mapping[str, str] | None = None,
) -> list[Block]:
    """The card approvers act on: shared facts, then each database, its state and its buttons.

    A database with a warning shows it above its line, and its Approve asks to confirm it.
    """
    warnings = warnings or {}
    first = parts[0]
    facts = [
        f"*Requester:* <@{first.requester_id}> ({escape(first.requester_email, 320)})"
        + filed_by(first),
        f"*Level:* `{first.level}`   "
        f"*Duration:* {format_duration(timedelta(seconds=first.duration_s))}   "
        f"*Databases:* {len(parts)}",
        *starts_line(first),
        f"*Reason:* {escape(first.reason)}",
    ]
    if first.ticket_url:
        facts.append(f"*Ticket:* {escape(first.ticket_url)}")
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": f"Database access request · {len(parts)} databases",
            },
        },
        section("\n".join(facts)),
    ]
    for part in parts:
        warning = warnings.get(part.database)
        if warning:
            blocks.append(warning_context(warning))
        blocks.append(section(_part_line(part, decisions.get(part.id, ()), grants.get(part.id))))
        if part.status == RequestStatus.PENDING:
            approve = button(f"Approve {part.database}"[:75], ActionId.APPROVE, part.id, "primary")
            if warning:
                approve["confirm"] = approve_confirm(part, warning)
            blocks.append(
                actions(
                    approve,
                    button("Approve with changes…", ActionId.APPROVE_CHANGED, part.id),
                    button("Deny", ActionId.DENY, part.id, "danger"),
                    block_id=f"decide_{part.id}",
                )
            )
    if note:
        blocks.append(section(note))
    blocks.append(
        context(
            f"Request `{bundle_id}` · each database is decided by its own "
            f"approvers · expires {when(first.expires_at)}"
        )
    )
    return blocks


def bundle_card_text(bundle_id: str, parts: Sequence[AccessRequest]) -> str:
    """Notification fallback text for the card."""
    states = ", ".join(f"{p.database}: {p.status}" for p in parts)
    return (
        f"Access request {bundle_id}: {parts[0].requester_email} wants {parts[0].level} on "
        f"{len(parts)} databases ({states})"
    )
