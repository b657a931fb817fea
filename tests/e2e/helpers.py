"""Shortcuts for the e2e tests: the request modal, clicks on DMs, fake clocks, recorded text."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.slack.actions import VALUE, ActionId, BlockId, CallbackId
from bot.store.models import AccessRequest, Grant
from tests.support import catalogs
from tests.support.harness import BotHarness
from tests.support.slack_emulator import RecordedCall, StoredMessage, StoredView

# Methods through which the bot shows something to people.
SHOWING = (
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "views.open",
    "views.update",
    "views.publish",
    "views.push",
    "response_url",
)
HOSTILE = "<!channel> <@U123> <https://evil.example|click> & <#C999>"
RAW_MARKUP = ("<!channel>", "<@U123>", "<https://evil", "<#C999>")


async def open_form(h: BotHarness, user_id: str = catalogs.DEV) -> StoredView:
    """Type `/db-access` and return the request modal it opened."""
    since = len(h.emu.calls)
    ack = await h.command("", user_id=user_id)
    assert ack == {}, ack
    call = await h.emu.wait_for_call("views.open", since=since)
    assert call.ok, call.response
    view = h.emu.views[call.response["view"]["id"]]
    assert view.callback_id == CallbackId.REQUEST
    return view


def form_values(
    database: str | list[str] | dict[str, Any] | None,
    level: str,
    duration: str,
    reason: str | None,
    ticket: str | None = None,
    start: datetime | None = None,
) -> dict[str, dict[str, Any]]:
    """state.values for the request modal."""
    values: dict[str, dict[str, Any]] = {
        BlockId.LEVEL: {VALUE: level},
        BlockId.DURATION: {VALUE: duration},
        BlockId.REASON: {VALUE: reason},
        BlockId.TICKET: {VALUE: ticket},
    }
    if database is not None:
        picked = [database] if isinstance(database, str | dict) else database
        values[BlockId.DATABASE] = {ActionId.PICK_DATABASE: picked}
    if start is not None:
        values[BlockId.START] = {VALUE: int(start.timestamp())}
    return values


async def submit_form(
    h: BotHarness, view: StoredView, user_id: str = catalogs.DEV, **fields: Any
) -> dict[str, Any]:
    """Submit the request modal (fields as for form_values) and wait for the work it started."""
    ack = await h.emu.submit_view(view.id, user_id=user_id, values=form_values(**fields))
    await h.settle()
    return ack


def options(view: StoredView, block_id: str) -> list[str]:
    """The option values offered by the input block block_id of a view."""
    for block in view.blocks:
        if block.get("block_id") == block_id:
            return [o["value"] for o in block["element"].get("options", [])]
    raise LookupError(block_id)


async def only_request(h: BotHarness) -> AccessRequest:
    """The one request row there is."""
    [request] = await h.requests()
    return request


async def only_grant(h: BotHarness) -> Grant:
    """The one grant row there is."""
    [grant] = await h.grants()
    return grant


async def request_and_approve(
    h: BotHarness,
    line: str = "orders-prod ro 1h INC-42",
    user_id: str = catalogs.DEV,
    approver: str = catalogs.APPROVER,
) -> Grant:
    """A one-line request approved by one approver; returns the active grant."""
    await h.command(f"request {line}", user_id=user_id)
    pending = [r for r in await h.requests() if r.status == "pending"]
    assert len(pending) == 1, h.emu.transcript()
    await h.click_card(pending[0].id, ActionId.APPROVE, approver)
    [grant] = [g for g in await h.grants() if g.request_id == pending[0].id]
    assert grant.status == "active", h.emu.transcript()
    return grant


async def click_message(
    h: BotHarness, message: StoredMessage, action_id: str, user_id: str
) -> dict[str, Any]:
    """Click a button in a stored (DM or ephemeral) message and wait for the work."""
    ack = await h.emu.click(
        user_id=user_id, action_id=action_id, message=(message.channel, message.ts)
    )
    await h.settle()
    return ack


def last_dm(h: BotHarness, user_id: str) -> StoredMessage:
    """The newest DM the bot sent to user_id."""
    dms = h.emu.dms_to(user_id)
    assert dms, h.emu.transcript()
    return dms[-1]


def dm_texts(h: BotHarness, user_id: str) -> list[str]:
    """Fallback text plus rendered blocks of every DM to user_id, oldest first."""
    return [f"{m.text}\n{json.dumps(m.blocks)}" for m in h.emu.dms_to(user_id)]


def ephemeral_texts(h: BotHarness, user_id: str) -> list[str]:
    """Text plus blocks of every ephemeral shown to user_id, oldest first."""
    return [f"{m.text}\n{json.dumps(m.blocks)}" for m in h.emu.ephemerals_to(user_id)]


def showing_calls(h: BotHarness) -> list[RecordedCall]:
    """Every call by which the bot showed something to someone."""
    return [c for c in h.emu.calls if c.method in SHOWING]


def assert_readable_fallbacks(h: BotHarness) -> None:
    """Every message the bot sent has fallback text a person can follow without blocks."""
    for call in showing_calls(h):
        if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"):
            text = str(call.params.get("text") or "")
            assert len(text) >= 15, f"{call.method} with poor fallback text {text!r}"


def assert_no_raw_markup(h: BotHarness, *acks: dict[str, Any]) -> None:
    """No hostile mention, broadcast or link from user text survives in anything shown."""
    shown = [json.dumps(c.params) for c in showing_calls(h)] + [json.dumps(a) for a in acks]
    for text in shown:
        for raw in RAW_MARKUP:
            assert raw not in text, f"{raw!r} survived in {text[:400]}"


class FakeClock:
    """A settable clock for the workflow (Deps.clock), starting at the real now."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        """Move time forward."""
        self.now += delta


def use_clock(h: BotHarness) -> FakeClock:
    """Give the bot a fake clock and return it."""
    clock = FakeClock()
    h.workflow.d.clock = clock
    return clock
