"""Pure Block Kit builders for break-glass: the loud card, the admins' alerts, the flag modal."""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bot.catalog.database import DatabaseSpec
from bot.domain import GrantStatus, Review
from bot.durations import format_duration
from bot.policy import MAX_REASON
from bot.slack.actions import VALUE, ActionId, BlockId, CallbackId
from bot.slack.blocks import Block, actions, button, context, escape, section, when
from bot.store.models import AccessRequest, Grant

ALARM = ":rotating_light:"


def _span(request: AccessRequest) -> str:
    return format_duration(timedelta(seconds=request.granted_duration_s or request.duration_s))


def _what(request: AccessRequest) -> str:
    return f"`{request.granted_level or request.level}` on `{request.database}`"


def _ends(request: AccessRequest) -> str:
    if request.decided_at is None:
        return "—"
    return when(
        request.decided_at + timedelta(seconds=request.granted_duration_s or request.duration_s)
    )


def _facts(request: AccessRequest) -> str:
    lines = [
        f"*Who:* <@{request.requester_id}> ({escape(request.requester_email, 320)})",
        f"*Database:* `{request.database}`   *Level:* `{request.granted_level or request.level}`"
        f"   *Duration:* {_span(request)}   *Ends:* {_ends(request)}",
        f"*Reason:* {escape(request.reason)}",
    ]
    if request.ticket_url:
        lines.append(f"*Ticket:* {escape(request.ticket_url)}")
    return "\n".join(lines)


def review_line(request: AccessRequest) -> str:
    """Where the review stands."""
    if request.review == Review.FLAGGED:
        return (
            f":triangular_flag_on_post: *Flagged* by <@{request.reviewed_by}>: "
            f"{escape(request.review_note)} — the access stays until someone revokes it."
        )
    if request.review == Review.ACKNOWLEDGED:
        return (
            f":white_check_mark: *Acknowledged* by <@{request.reviewed_by}> "
            f"{when(request.reviewed_at)}."
        )
    return (
        f":mag: *Not reviewed yet.* An approver of `{request.database}` or an admin must "
        f"*Acknowledge* or *Flag* it by {when(request.review_due_at)}; "
        f"<@{request.requester_id}> cannot review their own."
    )


def review_buttons(request: AccessRequest) -> list[Block]:
    """Acknowledge while unreviewed; Flag until someone has flagged it."""
    if request.review == Review.FLAGGED:
        return []
    elements = []
    if request.review is None:
        elements.append(button("Acknowledge", ActionId.BREAKGLASS_ACK, request.id, "primary"))
    elements.append(button("Flag…", ActionId.BREAKGLASS_FLAG, request.id, "danger"))
    return [actions(*elements, block_id=f"review_{request.id}")]


def breakglass_card(request: AccessRequest, note: str = "") -> list[Block]:
    """The loud card in the approvals channel; it stays up to date with the review."""
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "emoji": True,
                "text": f"{ALARM} BREAK-GLASS access {ALARM}",
            },
        },
        section(
            f":red_circle: *<@{request.requester_id}> took {_what(request)} for "
            f"{_span(request)} without approval.*"
        ),
        section(_facts(request)),
        section(review_line(request)),
        *review_buttons(request),
    ]
    if note:
        blocks.append(section(note))
    blocks.append(
        context(f"Request `{request.id}` · break-glass · review due {when(request.review_due_at)}")
    )
    return blocks


def breakglass_card_text(request: AccessRequest) -> str:
    """Notification fallback text for the card and the alerts."""
    state = request.review or "not reviewed yet"
    return (
        f"BREAK-GLASS: {request.requester_email} took {request.granted_level or request.level}"
        f" on {request.database} for {_span(request)} without approval ({state})"
    )


def breakglass_alert(request: AccessRequest, *, overdue: bool = False) -> list[Block]:
    """The admins' DM: the card's content, with the review buttons."""
    head = (
        f":alarm_clock: Break-glass `{request.id}` was not reviewed in time (it was due "
        f"{when(request.review_due_at)}). Please review it now."
        if overdue
        else f"{ALARM} Someone broke the glass; you are an admin of "
        "db-access-bot, so you are told at once."
    )
    return [section(head), *breakglass_card(request)]


def grant_note(grant: Grant | None) -> str:
    """What the card says about the grant a break-glass made."""
    if grant is None or grant.status == GrantStatus.GRANTING:
        return ":hourglass_flowing_sand: Setting up the access…"
    if grant.status == GrantStatus.ACTIVE:
        return f":unlock: Granted as `{grant.id}` until {when(grant.expires_at)}."
    return f":lock: Access `{grant.id}` has ended ({grant.revoke_reason or 'revoked'})."


def flag_modal(request: AccessRequest) -> dict[str, Any]:
    """Ask the reviewer what is wrong."""
    return {
        "type": "modal",
        "callback_id": CallbackId.BREAKGLASS_FLAG,
        "title": {"type": "plain_text", "text": "Flag break-glass"},
        "submit": {"type": "plain_text", "text": "Flag"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": request.id,
        "blocks": [
            section(
                f"Flag <@{request.requester_id}>'s break-glass {_what(request)}? Your note "
                "goes to the card's thread and to the admins. The access stays until "
                "someone revokes it."
            ),
            {
                "type": "input",
                "block_id": BlockId.NOTE,
                "optional": False,
                "label": {"type": "plain_text", "text": "What is wrong"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": VALUE,
                    "multiline": True,
                    "max_length": MAX_REASON,
                },
            },
        ],
    }


def flagged_note(request: AccessRequest) -> str:
    """The thread reply and admin DM when a break-glass is flagged."""
    return (
        f":triangular_flag_on_post: <@{request.reviewed_by}> flagged break-glass "
        f"`{request.id}` (<@{request.requester_id}>, {_what(request)}): "
        f"{escape(request.review_note)}"
    )


def unreviewed_blocks(requests: Sequence[AccessRequest]) -> list[Block]:
    """The top of `/db-access audit`: break-glass nobody reviewed yet, oldest first."""
    if not requests:
        return []
    lines = [f"{ALARM} *Unreviewed break-glass* (oldest first)"]
    for request in requests[:20]:
        lines.append(
            f"`{request.id}` <@{request.requester_id}> {_what(request)} for "
            f"{_span(request)} since {when(request.decided_at)} · review due "
            f"{when(request.review_due_at)}"
        )
    if len(requests) > 20:
        lines.append(f"…and {len(requests) - 20} more.")
    return [section("\n".join(lines))]


def breakglass_checkbox(database: DatabaseSpec) -> Block:
    """The request form's break-glass tick box, for a database that has break-glass."""
    rule = database.breakglass
    assert rule is not None
    levels = ", ".join(lv.value for lv in rule.levels)
    # Slack shows at most 75 characters of an option's description.
    explained = (
        f"Only if you are listed: {levels}, up to {format_duration(rule.max_duration)}. "
        "Admins are alerted."
    )[:75]
    return {
        "type": "input",
        "block_id": BlockId.BREAKGLASS,
        "optional": True,
        "label": {"type": "plain_text", "text": "Emergency"},
        "element": {
            "type": "checkboxes",
            "action_id": VALUE,
            "options": [
                {
                    "text": {
                        "type": "mrkdwn",
                        "text": "*Break-glass:* grant now, without approval",
                    },
                    "value": "breakglass",
                    "description": {"type": "mrkdwn", "text": explained},
                }
            ],
        },
    }
