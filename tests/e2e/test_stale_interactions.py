"""Stale buttons and forms from older versions, and forged payloads: acked, explained, no trace.

Real Slack shows the user an error when an interaction is not acked within 3 s, which is what
bolt does when no listener matches; and a traceback in the log for a malformed payload is noise
an operator cannot act on.
"""

import json
import logging
from typing import Any

import pytest

from bot.slack.actions import ActionId, BlockId, CallbackId
from tests.support import catalogs
from tests.support.harness import BotHarness
from tests.support.slack_emulator import APP_ID, TEAM_ID

HOSTILE = "<!channel> " * 300


@pytest.fixture(autouse=True)
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


def assert_no_traceback(logs: pytest.LogCaptureFixture) -> None:
    noisy = [r for r in logs.records if r.exc_info or r.levelno >= logging.ERROR]
    assert noisy == [], [f"{r.name}: {r.getMessage()}" for r in noisy]


def stale_message(h: BotHarness, action_id: str, value: str) -> tuple[str, str]:
    """A message the bot posted long ago, with one button."""
    message = h.emu.workspace.post(
        catalogs.ORDERS_CHANNEL,
        "from an older version",
        [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": action_id,
                        "value": value,
                        "text": {"type": "plain_text", "text": "Press"},
                    }
                ],
            }
        ],
    )
    return message.channel, message.ts


def stale_form(h: BotHarness, user_id: str, callback_id: str, metadata: str = "") -> str:
    """A modal the bot opened long ago (its callback id may be one this version lacks)."""
    view = h.emu.workspace.store_view(
        {
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": metadata,
            "title": {"type": "plain_text", "text": "Old form"},
            "submit": {"type": "plain_text", "text": "Send"},
            "blocks": [
                {
                    "type": "input",
                    "block_id": block,
                    "optional": True,
                    "label": {"type": "plain_text", "text": block},
                    "element": {"type": "plain_text_input", "action_id": "value"},
                }
                for block in (BlockId.REASON, BlockId.LEVEL, BlockId.DURATION)
            ],
        },
        user_id,
    )
    h.emu.workspace.view_stacks[user_id] = [view.id]
    return view.id


async def test_a_button_no_listener_knows_is_acked_and_explained(
    h: BotHarness, logs: pytest.LogCaptureFixture
) -> None:
    where = stale_message(h, "approve_request", "r123")
    ack = await h.emu.click(user_id=catalogs.APPROVER, action_id="approve_request", message=where)
    await h.settle()
    assert ack.within_deadline
    [note] = h.emu.ephemerals_to(catalogs.APPROVER)
    assert "older version of db-access-bot" in note.text and "/db-access" in note.text
    [audited] = await h.audit("interaction.unknown")
    assert audited.actor == catalogs.APPROVER
    assert audited.details == {"kind": "block_actions", "id": "approve_request"}
    assert_no_traceback(logs)


@pytest.mark.parametrize(
    "action_id",
    [
        ActionId.APPROVE,
        ActionId.APPROVE_CHANGED,
        ActionId.DENY,
        ActionId.NEW_TOKEN,
        ActionId.EXTEND,
        ActionId.REVOKE,
    ],
)
async def test_a_known_button_with_a_bad_value_gets_a_short_note(
    h: BotHarness, logs: pytest.LogCaptureFixture, action_id: str
) -> None:
    for value in ("", "r-does-not-exist", HOSTILE, "g" + "9" * 3000):
        where = stale_message(h, action_id, value)
        ack = await h.emu.click(user_id=catalogs.APPROVER, action_id=action_id, message=where)
        await h.settle()
        assert ack.within_deadline
        note = h.emu.ephemerals_to(catalogs.APPROVER)[-1].text
        assert len(note) < 300 and "<!channel>" not in note, note
    assert len(h.emu.ephemerals_to(catalogs.APPROVER)) == 4
    assert await h.requests() == [] and await h.grants() == []
    assert h.emu.open_views_of(catalogs.APPROVER) == []
    assert_no_traceback(logs)


async def test_a_form_no_listener_knows_is_answered_in_place(
    h: BotHarness, logs: pytest.LogCaptureFixture
) -> None:
    view_id = stale_form(h, catalogs.DEV, "dab_request_v0")
    ack = await h.emu.submit_view(
        view_id, user_id=catalogs.DEV, values={BlockId.REASON: {"value": "old"}}
    )
    await h.settle()
    assert ack.within_deadline and ack["response_action"] == "update"
    assert "older version of db-access-bot" in json.dumps(ack["view"])
    [audited] = await h.audit("interaction.unknown")
    assert audited.details == {"kind": "view_submission", "id": "dab_request_v0"}
    assert_no_traceback(logs)


@pytest.mark.parametrize("callback_id", [CallbackId.DENY, CallbackId.NARROW, CallbackId.EXTEND])
async def test_a_known_form_with_bad_contents_gets_a_short_note(
    h: BotHarness, logs: pytest.LogCaptureFixture, callback_id: str
) -> None:
    view_id = stale_form(h, catalogs.APPROVER, callback_id, metadata=HOSTILE)
    ack = await h.emu.submit_view(
        view_id,
        user_id=catalogs.APPROVER,
        values={
            BlockId.REASON: {"value": "because"},
            BlockId.LEVEL: {"value": "zz"},
            BlockId.DURATION: {"value": "forever"},
        },
    )
    await h.settle()
    assert ack.within_deadline
    [note] = h.emu.dms_to(catalogs.APPROVER)
    assert len(note.text) < 300 and "<!channel>" not in note.text, note.text
    assert await h.requests() == [] and await h.grants() == []
    assert_no_traceback(logs)


def forged(kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "user": {"id": catalogs.DEV, "team_id": TEAM_ID},
        "team": {"id": TEAM_ID},
        "api_app_id": APP_ID,
        "trigger_id": "1.2.abc",
        **fields,
    }


@pytest.mark.parametrize(
    "payload",
    [
        forged("block_actions"),
        forged("block_actions", actions=[]),
        forged("block_actions", actions=["not an object"]),
        forged("block_actions", actions=[{"type": "button"}]),
        forged("view_submission"),
        forged("view_submission", view={"id": "V1", "state": {}}),
        forged("view_closed", view={"id": "V1", "callback_id": CallbackId.REQUEST}),
        forged("block_suggestion", action_id="dab_old_select", value="x"),
        forged("shortcut", callback_id="old_shortcut"),
        {"type": "block_actions", "actions": [{"action_id": ActionId.APPROVE, "value": "r1"}]},
    ],
    ids=[
        "no actions",
        "empty actions",
        "action not an object",
        "action without id",
        "submission without view",
        "view without callback_id",
        "closed view",
        "options for an unknown select",
        "unknown shortcut",
        "no user",
    ],
)
async def test_a_forged_or_malformed_payload_is_acked_without_a_traceback(
    h: BotHarness, logs: pytest.LogCaptureFixture, payload: dict[str, Any]
) -> None:
    ack = await h.emu.send_interactive(payload)
    await h.settle()
    assert ack.within_deadline
    if payload["type"] == "block_suggestion":
        assert ack == {"options": []}
    assert await h.requests() == []
    assert_no_traceback(logs)


async def test_picking_a_database_outside_the_form_is_acked_without_a_traceback(
    h: BotHarness, logs: pytest.LogCaptureFixture
) -> None:
    message = h.emu.workspace.post(
        catalogs.ORDERS_CHANNEL,
        "old",
        [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "static_select",
                        "action_id": ActionId.PICK_DATABASE,
                        "options": [
                            {"text": {"type": "plain_text", "text": "gone"}, "value": "gone"}
                        ],
                    }
                ],
            }
        ],
    )
    ack = await h.emu.click(
        user_id=catalogs.DEV,
        action_id=ActionId.PICK_DATABASE,
        message=(message.channel, message.ts),
        value="gone",
    )
    await h.settle()
    assert ack.within_deadline
    assert "older version of db-access-bot" in h.emu.ephemerals_to(catalogs.DEV)[-1].text
    assert_no_traceback(logs)
