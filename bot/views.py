"""Pure Block Kit builders for modals, the App Home, `list` and `audit`."""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.actions import VALUE, ActionId, BlockId, CallbackId
from bot.asks import MAX_DATABASES
from bot.blocks import Block, context, escape, section, warning_context, when
from bot.breakglass_blocks import breakglass_checkbox
from bot.catalog import Catalog
from bot.catalog_database import DatabaseSpec
from bot.domain import GrantStatus, Level
from bot.durations import format_duration, humanize
from bot.list_blocks import grant_blocks, grouped, pending_line
from bot.models import AccessRequest, AuditEvent, Grant
from bot.policy import LEVEL_RANK, MAX_REASON

LEVEL_LABEL = {Level.RO: "Read-only (ro)", Level.RW: "Read-write (rw)"}
STATIC_OPTIONS_MAX = 100  # Slack's limit for a static_select; past it the form searches instead
# How many of each list a message (50 blocks) or the App Home (100 blocks) shows; the rest is
# summed up in one "and N more" line. A grant takes two blocks (its line and its buttons).
SHOWN_GRANTS, SHOWN_PENDING, SHOWN_WAITING = 15, 10, 25
STALE_NOTE = (":grey_question: That belongs to an older version of db-access-bot and does "
              "nothing now. Use `/db-access` to start again; `/db-access list` shows your "
              "grants and requests.")


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:75], "emoji": True}


def _option(text: str, value: str, description: str = "") -> dict[str, Any]:
    option: dict[str, Any] = {"text": _plain(text), "value": value}
    if description:
        option["description"] = _plain(description)
    return option


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False,
           hint: str = "", dispatch: bool = False, action_id: str = VALUE) -> Block:
    block: Block = {"type": "input", "block_id": block_id, "label": _plain(label),
                    "element": {"action_id": action_id, **element}, "optional": optional}
    if hint:
        block["hint"] = _plain(hint)
    if dispatch:
        block["dispatch_action"] = True
    return block


def _modal(callback_id: str, title: str, blocks: list[Block], *, submit: str,
           metadata: str = "") -> dict[str, Any]:
    return {"type": "modal", "callback_id": callback_id, "title": _plain(title),
            "submit": _plain(submit), "close": _plain("Cancel"), "blocks": blocks,
            "private_metadata": metadata}


def _level_radio(levels: Sequence[Level]) -> dict[str, Any]:
    options = [_option(LEVEL_LABEL[lv], lv.value) for lv in levels]
    return {"type": "radio_buttons", "options": options, "initial_option": options[0]}


def _duration_select(durations: Sequence[timedelta]) -> dict[str, Any]:
    options = [_option(format_duration(d), format_duration(d)) for d in durations]
    return {"type": "static_select", "options": options, "initial_option": options[0]}


def _database_option(database: DatabaseSpec) -> dict[str, Any]:
    return _option(database.name, database.name, database.description)


def database_select(catalog: Catalog, selected: Sequence[DatabaseSpec],
                    offered: Sequence[DatabaseSpec] | None = None) -> dict[str, Any]:
    """The offered databases (default: all) in a multi select; past 100, searched as typed."""
    offered = list(catalog.databases.values()) if offered is None else offered
    chosen = [_database_option(db) for db in selected]
    if len(offered) <= STATIC_OPTIONS_MAX:
        options = [_database_option(db) for db in offered]
        return {"type": "multi_static_select", "options": options, "initial_options": chosen,
                "max_selected_items": MAX_DATABASES}
    return {"type": "multi_external_select", "min_query_length": 0, "initial_options": chosen,
            "max_selected_items": MAX_DATABASES,
            "placeholder": _plain(f"Type to search {len(offered)} databases")}


def database_options(catalog: Catalog, typed: str,
                     offered: Sequence[DatabaseSpec] | None = None) -> dict[str, Any]:
    """What the searching select offers (of offered; default all) for the typed text."""
    needle = typed.strip().lower()
    found = [db for db in (catalog.databases.values() if offered is None else offered)
             if needle in db.name.lower() or needle in db.description.lower()]
    # Names that start with the text first: typing a prefix finds that database at the top.
    found.sort(key=lambda db: (not db.name.lower().startswith(needle), db.name))
    options = [_database_option(db) for db in found[:STATIC_OPTIONS_MAX]]
    if len(found) <= STATIC_OPTIONS_MAX:
        return {"options": options}
    label = f"First {STATIC_OPTIONS_MAX} of {len(found)} matches; type more to narrow"
    return {"option_groups": [{"label": _plain(label), "options": options}]}


def _common(picked: Sequence[DatabaseSpec]) -> tuple[list[Level], list[timedelta]]:
    """Levels and durations every picked database offers (the first's, if none in common)."""
    first = picked[0]
    levels = [lv for lv in first.levels if all(lv in db.levels for db in picked)]
    durations = [d for d in first.durations if all(d in db.durations for db in picked)]
    return levels or list(first.levels), durations or list(first.durations)


def request_modal(catalog: Catalog, database: DatabaseSpec | Sequence[DatabaseSpec],
                  offered: Sequence[DatabaseSpec] | None = None) -> dict[str, Any]:
    """The request form: the offered databases (default: all), one or several chosen; level
    and duration offer what every chosen database allows."""
    picked = [database] if isinstance(database, DatabaseSpec) else list(database)
    levels, durations = _common(picked)
    blocks = [
        _input(BlockId.DATABASE, "Databases", database_select(catalog, picked, offered),
               dispatch=True, action_id=ActionId.PICK_DATABASE,
               hint="Pick one or several; each is decided by its own approvers."),
        _input(BlockId.LEVEL, "Level", _level_radio(levels)),
        _input(BlockId.DURATION, "Duration", _duration_select(durations)),
        _input(BlockId.REASON, "Reason", {"type": "plain_text_input", "multiline": True,
                                          "max_length": MAX_REASON},
               hint="Why you need access; approvers see this."),
        _input(BlockId.TICKET, "Ticket link", {"type": "url_text_input"}, optional=True),
        _input(BlockId.START, "Start", {"type": "datetimepicker"}, optional=True,
               hint="Leave empty to start once approved; at most "
                    f"{humanize(catalog.max_start_ahead)} ahead."),
    ]
    described = [db for db in picked if db.description]
    if described:
        blocks.insert(1, context(" · ".join(f"*{db.name}*: {escape(db.description, 150)}"
                                            for db in described[:5])))
    for db in reversed([db for db in picked if db.warning]):
        shown = db.warning if len(picked) == 1 else f"{db.name}: {db.warning}"
        blocks.insert(1, warning_context(shown))
    if len(picked) == 1 and picked[0].breakglass:  # break-glass is one database at a time
        blocks.append(breakglass_checkbox(picked[0]))
    return _modal(CallbackId.REQUEST, "Database access", blocks, submit="Request",
                  metadata=",".join(db.name for db in picked))


def stale_form_modal() -> dict[str, Any]:
    """What replaces a submitted form this version of the bot does not know."""
    return {"type": "modal", "title": _plain("Form out of date"), "close": _plain("Close"),
            "blocks": [section(STALE_NOTE)]}


def deny_modal(request: AccessRequest) -> dict[str, Any]:
    """Ask the approver why they deny."""
    return _modal(CallbackId.DENY, "Deny request", [
        section(f"Deny `{request.level}` on `{request.database}` for "
                f"<@{request.requester_id}>?"),
        _input(BlockId.REASON, "Reason (the requester sees it)",
               {"type": "plain_text_input", "multiline": True, "max_length": MAX_REASON}),
    ], submit="Deny", metadata=request.id)


def narrow_modal(request: AccessRequest, database: DatabaseSpec) -> dict[str, Any]:
    """Approve with a lower level or a shorter duration."""
    requested = Level(request.level)
    levels = sorted((lv for lv in database.levels if LEVEL_RANK[lv] <= LEVEL_RANK[requested]),
                    key=LEVEL_RANK.get)
    durations = [d for d in database.durations if d.total_seconds() <= request.duration_s]
    return _modal(CallbackId.NARROW, "Approve with changes", [
        *([warning_context(database.warning)] if database.warning else []),
        section(f"Approve <@{request.requester_id}> on `{request.database}` with less than "
                f"was asked (`{request.level}`, {_span(request.duration_s)})."),
        _input(BlockId.LEVEL, "Level to grant", _level_radio(levels)),
        _input(BlockId.DURATION, "Duration to grant", _duration_select(durations)),
    ], submit="Approve", metadata=request.id)


def extend_modal(grant: Grant, database: DatabaseSpec) -> dict[str, Any]:
    """Pick how much more time to ask for."""
    return _modal(CallbackId.EXTEND, "Extend access", [
        section(f"Ask for more time on `{grant.database}` ({grant.level}), grant `{grant.id}`; "
                f"it now ends {when(grant.expires_at)}."),
        _input(BlockId.DURATION, "Extra time", _duration_select(database.durations)),
        _input(BlockId.REASON, "Reason", {"type": "plain_text_input", "max_length": MAX_REASON},
               optional=True, hint="Leave empty to reuse the original reason."),
    ], submit="Request", metadata=grant.id)


def _span(seconds: int) -> str:
    return format_duration(timedelta(seconds=seconds))


def _grant_line(grant: Grant, now: datetime) -> str:
    if grant.status == GrantStatus.SCHEDULED:
        return (f"*`{grant.database}`* · `{grant.level}` as `{grant.db_user}` · :calendar: starts "
                f"{when(grant.starts_at)}, ends {when(grant.expires_at)} · grant `{grant.id}`")
    left = "no fixed end" if grant.expires_at is None else \
        f"{humanize(grant.expires_at - now)} left"
    return (f"*`{grant.database}`* · `{grant.level}` as `{grant.db_user}` · {left} "
            f"(until {when(grant.expires_at)}) · grant `{grant.id}`")


def _request_line(request: AccessRequest) -> str:
    start = f" · starts {when(request.starts_at)}" if request.starts_at else ""
    part = f" (of `{request.bundle_id}`)" if request.bundle_id else ""
    return (f"*`{request.database}`* · `{request.level}` · "
            f"{_span(request.duration_s)}{start} · request `{request.id}`{part} · "
            f"{escape(request.reason, 80)}")


def _more(count: int, what: str) -> list[Block]:
    """One context line for the items a list leaves out (none when nothing was left out)."""
    return [context(f"…and {count} more {what}.")] if count > 0 else []


def my_access(grants: Sequence[Grant], pending: Sequence[AccessRequest], now: datetime,
              bundle_of: Mapping[str, str] | None = None) -> list[Block]:
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
    blocks += _more(len(grants) - SHOWN_GRANTS, "active grants, ending later "
                    f"({escape('`/db-access revoke <grant>`')} works on any of them)")
    blocks.append(section("*Your pending requests*"))
    asked = grouped(pending, lambda r: r.bundle_id)
    if not asked:
        blocks.append(context("None."))
    blocks += [pending_line(group) for group in asked[:SHOWN_PENDING]]
    blocks += _more(len(asked) - SHOWN_PENDING, "pending requests, filed later")
    return blocks


def my_access_text(grants: Sequence[Grant], pending: Sequence[AccessRequest],
                   now: datetime) -> str:
    """`/db-access list` as plain fallback text (notifications, screen readers, logs)."""
    def left(g: Grant) -> str:
        if g.status == GrantStatus.SCHEDULED and g.starts_at is not None:
            return f"starts {g.starts_at:%Y-%m-%d %H:%M} UTC"
        return "no fixed end" if g.expires_at is None else f"{humanize(g.expires_at - now)} left"

    held = "; ".join(f"{g.id} ({g.level} on {g.database}, {left(g)})"
                     for g in grants[:SHOWN_GRANTS])
    groups = grouped(pending, lambda r: r.bundle_id)
    asked = "; ".join(
        f"{group[0].bundle_id or group[0].id} ({group[0].level} on "
        f"{', '.join(r.database for r in group)}, {_span(group[0].duration_s)})"
        for group in groups[:SHOWN_PENDING])
    held += f"; and {len(grants) - SHOWN_GRANTS} more" if len(grants) > SHOWN_GRANTS else ""
    asked += f"; and {len(groups) - SHOWN_PENDING} more" if len(groups) > SHOWN_PENDING else ""
    return (f"Your active grants: {held or 'none'}. "
            f"Your pending requests: {asked or 'none'}.")


def home_view(grants: Sequence[Grant], pending: Sequence[AccessRequest],
              waiting: Sequence[AccessRequest] | None, now: datetime,
              bundle_of: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The App Home tab; approvers also see requests waiting for them (at most 74 blocks)."""
    blocks: list[Block] = [
        {"type": "header", "text": _plain("Database access")},
        {"type": "actions", "elements": [{
            "type": "button", "action_id": ActionId.OPEN_FORM, "value": "open",
            "text": _plain("Request access"), "style": "primary"}]},
        *my_access(grants, pending, now, bundle_of),
    ]
    if waiting is not None:
        blocks.append(section("*Waiting for your approval*"))
        if not waiting:
            blocks.append(context("Nothing waiting."))
        for request in waiting[:SHOWN_WAITING]:
            blocks.append(section(f"<@{request.requester_id}> · {_request_line(request)}"))
        blocks += _more(len(waiting) - SHOWN_WAITING,
                        "waiting, filed later (each has its card in the approvals channel)")
    return {"type": "home", "blocks": blocks}


def _audit_detail(event: AuditEvent) -> str:
    """What an audit line adds from its details: statements logged, the role made or deleted."""
    details = event.details or {}
    logged = details.get("statements_logged")
    if logged and logged != "nothing":
        return f" · statements logged: {escape(str(logged), 120)}"
    if event.action.startswith("role.") and details.get("role"):
        return f" · {escape(str(details['role']), 200)}"
    return ""


def audit_blocks(events: Sequence[AuditEvent], *, scope: str,
                 total: int | None = None) -> list[Block]:
    """Recent audit events, newest first; total (when larger) is how many matched in all."""
    if not events:
        return [section(f"No audit events {scope}.")]
    lines = []
    for event in events:
        target = event.grant_id or event.request_id or ""
        actor = f"<@{event.actor}>" if event.actor[:1] in "UW" else escape(event.actor, 64)
        lines.append(f"`{event.at:%Y-%m-%d %H:%M:%S}` {actor} *{event.action}* "
                     f"{event.database or ''} {target}".rstrip() + _audit_detail(event))
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
        blocks.append(context(f"…and {left} older event(s). Narrow it with {narrow}, or "
                              "export everything with `db-access-bot audit --csv`."))
    return blocks
