"""Pure Block Kit builders for the modals: the request form, deny, approve with changes, extend."""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bot.catalog.database import DatabaseSpec
from bot.catalog.model import Catalog
from bot.domain import Level
from bot.durations import format_duration, humanize
from bot.policy import LEVEL_RANK, MAX_REASON
from bot.slack.actions import VALUE, ActionId, BlockId, CallbackId
from bot.slack.blocks import Block, context, escape, section, warning_context, when
from bot.slack.breakglass_blocks import breakglass_checkbox
from bot.slack.views_elements import database_select, duration_text, option, plain_text
from bot.store.models import AccessRequest, Grant

LEVEL_LABEL = {Level.RO: "Read-only (ro)", Level.RW: "Read-write (rw)"}
STALE_NOTE = (
    ":grey_question: That belongs to an older version of db-access-bot and does "
    "nothing now. Use `/db-access` to start again; `/db-access list` shows your "
    "grants and requests."
)


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str = "",
    dispatch: bool = False,
    action_id: str = VALUE,
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain_text(label),
        "element": {"action_id": action_id, **element},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain_text(hint)
    if dispatch:
        block["dispatch_action"] = True
    return block


def _modal(
    callback_id: str, title: str, blocks: list[Block], *, submit: str, metadata: str = ""
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain_text(title),
        "submit": plain_text(submit),
        "close": plain_text("Cancel"),
        "blocks": blocks,
        "private_metadata": metadata,
    }


def _level_radio(levels: Sequence[Level]) -> dict[str, Any]:
    options = [option(LEVEL_LABEL[lv], lv.value) for lv in levels]
    return {"type": "radio_buttons", "options": options, "initial_option": options[0]}


def _duration_select(durations: Sequence[timedelta]) -> dict[str, Any]:
    options = [option(format_duration(d), format_duration(d)) for d in durations]
    return {"type": "static_select", "options": options, "initial_option": options[0]}


def _common(picked: Sequence[DatabaseSpec]) -> tuple[list[Level], list[timedelta]]:
    """Levels and durations every picked database offers (the first's, if none in common)."""
    first = picked[0]
    levels = [lv for lv in first.levels if all(lv in db.levels for db in picked)]
    durations = [d for d in first.durations if all(d in db.durations for db in picked)]
    return levels or list(first.levels), durations or list(first.durations)


def request_modal(
    catalog: Catalog,
    database: DatabaseSpec | Sequence[DatabaseSpec],
    offered: Sequence[DatabaseSpec] | None = None,
) -> dict[str, Any]:
    """The request form: the offered databases (default: all), one or several chosen; level
    and duration offer what every chosen database allows."""
    picked = [database] if isinstance(database, DatabaseSpec) else list(database)
    levels, durations = _common(picked)
    blocks = [
        _input(
            BlockId.DATABASE,
            "Databases",
            database_select(catalog, picked, offered),
            dispatch=True,
            action_id=ActionId.PICK_DATABASE,
            hint="Pick one or several; each is decided by its own approvers.",
        ),
        _input(BlockId.LEVEL, "Level", _level_radio(levels)),
        _input(BlockId.DURATION, "Duration", _duration_select(durations)),
        _input(
            BlockId.REASON,
            "Reason",
            {"type": "plain_text_input", "multiline": True, "max_length": MAX_REASON},
            hint="Why you need access; approvers see this.",
        ),
        _input(BlockId.TICKET, "Ticket link", {"type": "url_text_input"}, optional=True),
        _input(
            BlockId.START,
            "Start",
            {"type": "datetimepicker"},
            optional=True,
            hint="Leave empty to start once approved; at most "
            f"{humanize(catalog.max_start_ahead)} ahead.",
        ),
    ]
    described = [db for db in picked if db.description]
    if described:
        blocks.insert(
            1,
            context(
                " · ".join(f"*{db.name}*: {escape(db.description, 150)}" for db in described[:5])
            ),
        )
    for db in reversed([db for db in picked if db.warning]):
        shown = db.warning if len(picked) == 1 else f"{db.name}: {db.warning}"
        blocks.insert(1, warning_context(shown))
    if len(picked) == 1 and picked[0].breakglass:  # break-glass is one database at a time
        blocks.append(breakglass_checkbox(picked[0]))
    return _modal(
        CallbackId.REQUEST,
        "Database access",
        blocks,
        submit="Request",
        metadata=",".join(db.name for db in picked),
    )


def stale_form_modal() -> dict[str, Any]:
    """What replaces a submitted form this version of the bot does not know."""
    return {
        "type": "modal",
        "title": plain_text("Form out of date"),
        "close": plain_text("Close"),
        "blocks": [section(STALE_NOTE)],
    }


def deny_modal(request: AccessRequest) -> dict[str, Any]:
    """Ask the approver why they deny."""
    return _modal(
        CallbackId.DENY,
        "Deny request",
        [
            section(
                f"Deny `{request.level}` on `{request.database}` for <@{request.requester_id}>?"
            ),
            _input(
                BlockId.REASON,
                "Reason (the requester sees it)",
                {"type": "plain_text_input", "multiline": True, "max_length": MAX_REASON},
            ),
        ],
        submit="Deny",
        metadata=request.id,
    )


def narrow_modal(request: AccessRequest, database: DatabaseSpec) -> dict[str, Any]:
    """Approve with a lower level or a shorter duration."""
    requested = Level(request.level)
    levels = sorted(
        (lv for lv in database.levels if LEVEL_RANK[lv] <= LEVEL_RANK[requested]),
        key=LEVEL_RANK.get,
    )
    durations = [d for d in database.durations if d.total_seconds() <= request.duration_s]
    return _modal(
        CallbackId.NARROW,
        "Approve with changes",
        [
            *([warning_context(database.warning)] if database.warning else []),
            section(
                f"Approve <@{request.requester_id}> on `{request.database}` with less than "
                f"was asked (`{request.level}`, {duration_text(request.duration_s)})."
            ),
            _input(BlockId.LEVEL, "Level to grant", _level_radio(levels)),
            _input(BlockId.DURATION, "Duration to grant", _duration_select(durations)),
        ],
        submit="Approve",
        metadata=request.id,
    )


def extend_modal(grant: Grant, database: DatabaseSpec) -> dict[str, Any]:
    """Pick how much more time to ask for."""
    return _modal(
        CallbackId.EXTEND,
        "Extend access",
        [
            section(
                f"Ask for more time on `{grant.database}` ({grant.level}), grant `{grant.id}`; "
                f"it now ends {when(grant.expires_at)}."
            ),
            _input(BlockId.DURATION, "Extra time", _duration_select(database.durations)),
            _input(
                BlockId.REASON,
                "Reason",
                {"type": "plain_text_input", "max_length": MAX_REASON},
                optional=True,
                hint="Leave empty to reuse the original reason.",
            ),
        ],
        submit="Request",
        metadata=grant.id,
    )
