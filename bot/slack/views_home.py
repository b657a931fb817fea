"""Pure Block Kit builders for `/db-access list` and the App Home."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.domain import GrantStatus
from bot.durations import humanize
from bot.slack.actions import ActionId
from bot.slack.blocks import Block, context, escape, section, when
from bot.slack.list_blocks import grant_blocks, grouped, pending_line
from bot.slack.views_elements import duration_text, plain_text
from bot.store.models import AccessRequest, Grant

# How many of each list a message (50 blocks) or the App Home (100 blocks) shows; the rest is
# summed up in one "and N more" line. A grant takes two blocks (its line and its buttons).
SHOWN_GRANTS, SHOWN_PENDING, SHOWN_WAITING = 15, 10, 25


def _grant_line(grant: Grant, now: datetime) -> str:
    if grant.status == GrantStatus.SCHEDULED:
        return (
            f"*`{grant.database}`* · `{grant.level}` as `{grant.db_user}` · :calendar: starts "
            f"{when(grant.starts_at)}, ends {when(grant.expires_at)} · grant `{grant.id}`"
        )
    left = (
        "no fixed end" if grant.expires_at is None else f"{humanize(grant.expires_at - now)} left"
    )
    return (
        f"*`{grant.database}`* · `{grant.level}` as `{grant.db_user}` · {left} "
        f"(until {when(grant.expires_at)}) · grant `{grant.id}`"
    )


def _request_line(request: AccessRequest) -> str:
    start = f" · starts {when(request.starts_at)}" if request.starts_at else ""
    part = f" (of `{request.bundle_id}`)" if request.bundle_id else ""
    return (
        f"*`{request.database}`* · `{request.level}` · "
        f"{duration_text(request.duration_s)}{start} · request `{request.id}`{part} · "
        f"{escape(request.reason, 80)}"
    )


def _more(count: int, what: str) -> list[Block]:
    """One context line for the items a list leaves out (none when nothing was left out)."""
    return [context(f"…and {count} more {what}.")] if count > 0 else []


def my_access(
    grants: Sequence[Grant],
    pending: Sequence[AccessRequest],
    now: datetime,
    bundle_of: Mapping[str, str] | None = None,
) -> list[Block]:
    """`/db-access list` and the top of the App Home: my grants with buttons, my pending asks.

    At most 44 blocks however many there are, so it fits a message (50) and the App Home. The
    grants and pending databases of one several-database request stay together (bundle_of
    maps a grant's request id to that request's id).
    """
    found = bundle_of or {}
    blocks: list[Block] = [section("*Your active grants*")]
    if not grants:
        blocks.append(context("None. Use `/db-access` to ask for access."))
    held = [g for group in grouped(grants, lambda g: found.get(g.request_id)) for g in group]
    for grant in held[:SHOWN_GRANTS]:
        blocks += grant_blocks(grant, _grant_line(grant, now), found.get(grant.request_id))
    blocks += _more(
        len(grants) - SHOWN_GRANTS,
        "active grants, ending later "
        f"({escape('`/db-access revoke <grant>`')} works on any of them)",
    )
    blocks.append(section("*Your pending requests*"))
    asked = grouped(pending, lambda r: r.bundle_id)
    if not asked:
        blocks.append(context("None."))
    blocks += [pending_line(group) for group in asked[:SHOWN_PENDING]]
    blocks += _more(len(asked) - SHOWN_PENDING, "pending requests, filed later")
    return blocks


def my_access_text(grants: Sequence[Grant], pending: Sequence[AccessRequest], now: datetime) -> str:
    """`/db-access list` as plain fallback text (notifications, screen readers, logs)."""

    def left(g: Grant) -> str:
        if g.status == GrantStatus.SCHEDULED and g.starts_at is not None:
            return f"starts {g.starts_at:%Y-%m-%d %H:%M} UTC"
        return "no fixed end" if g.expires_at is None else f"{humanize(g.expires_at - now)} left"

    held = "; ".join(
        f"{g.id} ({g.level} on {g.database}, {left(g)})" for g in grants[:SHOWN_GRANTS]
    )
    groups = grouped(pending, lambda r: r.bundle_id)
    asked = "; ".join(
        f"{group[0].bundle_id or group[0].id} ({group[0].level} on "
        f"{', '.join(r.database for r in group)}, {duration_text(group[0].duration_s)})"
        for group in groups[:SHOWN_PENDING]
    )
    held += f"; and {len(grants) - SHOWN_GRANTS} more" if len(grants) > SHOWN_GRANTS else ""
    asked += f"; and {len(groups) - SHOWN_PENDING} more" if len(groups) > SHOWN_PENDING else ""
    return f"Your active grants: {held or 'none'}. Your pending requests: {asked or 'none'}."


def home_view(
    grants: Sequence[Grant],
    pending: Sequence[AccessRequest],
    waiting: Sequence[AccessRequest] | None,
    now: datetime,
    bundle_of: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The App Home tab; approvers also see requests waiting for them (at most 74 blocks)."""
    blocks: list[Block] = [
        {"type": "header", "text": plain_text("Database access")},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": ActionId.OPEN_FORM,
                    "value": "open",
                    "text": plain_text("Request access"),
                    "style": "primary",
                }
            ],
        },
        *my_access(grants, pending, now, bundle_of),
    ]
    if waiting is not None:
        blocks.append(section("*Waiting for your approval*"))
        if not waiting:
            blocks.append(context("Nothing waiting."))
        for request in waiting[:SHOWN_WAITING]:
            blocks.append(section(f"<@{request.requester_id}> · {_request_line(request)}"))
        blocks += _more(
            len(waiting) - SHOWN_WAITING,
            "waiting, filed later (each has its card in the approvals channel)",
        )
    return {"type": "home", "blocks": blocks}
