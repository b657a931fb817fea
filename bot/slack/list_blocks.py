"""Block Kit for `list` and the App Home: a request's databases and grants kept together."""

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from bot.domain import GrantStatus
from bot.durations import format_duration
from bot.slack.actions import ActionId
from bot.slack.blocks import (
    Block,
    actions,
    button,
    escape,
    section,
    when,
    withdraw_button,
)
from bot.slack.grant_dms import grant_buttons
from bot.store.models import AccessRequest, Grant


def grouped(items: Sequence[Any], key: Callable[[Any], str | None]) -> list[list[Any]]:
    """Items in order, those sharing a key (a several-database request) kept together."""
    groups: dict[str, list[Any]] = {}
    for n, item in enumerate(items):
        groups.setdefault(key(item) or f"#{n}", []).append(item)
    return [sorted(group, key=_asked_order) for group in groups.values()]


def _asked_order(item: Any) -> int:
    """Where a database stood in its request (`<request>-<n>`), for requests and grants."""
    tail = str(getattr(item, "request_id", None) or item.id).rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def pending_line(group: Sequence[AccessRequest]) -> Block:
    """One pending request (all its databases) with its Withdraw button."""
    first = group[0]
    rid = first.bundle_id or first.id
    names = ", ".join(f"`{r.database}`" for r in group)
    span = format_duration(timedelta(seconds=first.duration_s))
    start = f" · starts {when(first.starts_at)}" if first.starts_at else ""
    by = f" · filed by <@{first.filed_by}>" if first.filed_by else ""
    block = section(
        f"*{names}* · `{first.level}` · {span}{start} · request `{rid}`{by} · "
        f"{escape(first.reason, 80)}"
    )
    block["accessory"] = withdraw_button(rid)
    return block


def grant_blocks(grant: Grant, line: str, bundle: str | None) -> list[Block]:
    """A grant's line (naming the request it belongs to) and its buttons."""
    line += f" · of request `{bundle}`" if bundle else ""
    if grant.status == GrantStatus.SCHEDULED:  # nothing to mint or extend before its start
        return [
            section(line),
            actions(
                button("Cancel", ActionId.REVOKE, grant.id, "danger"), block_id=f"grant_{grant.id}"
            ),
        ]
    return [section(line), grant_buttons(grant)]
