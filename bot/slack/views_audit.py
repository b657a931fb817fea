"""Pure Block Kit builder for `/db-access audit`: recent events, newest first."""

from collections.abc import Sequence

from bot.slack.blocks import Block, context, escape, section
from bot.store.models import AuditEvent

COUNTED_AT_MOST = 10_000  # the audit view counts events up to this many


def event_count(count: int, *, capped: bool) -> str:
    """A count of events as people read it: `10,000+` when counting stopped there."""
    return f"{count:,}+" if capped else f"{count:,}"


def _audit_detail(event: AuditEvent) -> str:
    """What an audit line adds from its details: statements logged, the role made or deleted."""
    details = event.details or {}
    logged = details.get("statements_logged")
    if logged and logged != "nothing":
        return f" · statements logged: {escape(str(logged), 120)}"
    if event.action.startswith("role.") and details.get("role"):
        return f" · {escape(str(details['role']), 200)}"
    return ""


def audit_blocks(
    events: Sequence[AuditEvent], *, scope: str, total: int | None = None
) -> list[Block]:
    """Recent audit events, newest first; total (when larger) is how many matched in all."""
    if not events:
        return [section(f"No audit events {scope}.")]
    lines = []
    for event in events:
        target = event.grant_id or event.request_id or ""
        actor = f"<@{event.actor}>" if event.actor[:1] in "UW" else escape(event.actor, 64)
        lines.append(
            f"`{event.at:%Y-%m-%d %H:%M:%S}` {actor} *{event.action}* "
            f"{event.database or ''} {target}".rstrip()
            + _audit_detail(event)
        )
    blocks = [section(f"*Audit {scope}* (newest first)")]
    chunk: list[str] = []
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > 2800:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    blocks.append(section("\n".join(chunk)))
    left = (total or 0) - len(events)
    if left > 0:
        narrow = escape("`/db-access audit <database> <since>`")
        blocks.append(
            context(
                f"…and {event_count(left, capped=total >= COUNTED_AT_MOST)} older event(s). "
                f"Narrow it with {narrow}, or "
                "export everything with `db-access-bot audit --csv`."
            )
        )
    return blocks
