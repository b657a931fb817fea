"""Bad input, typed or picked: each gets a message naming the problem, and nothing is filed."""

import pytest

from bot.slack.actions import BlockId
from tests.e2e import helpers as x
from tests.support import catalogs
from tests.support.harness import BotHarness

KNOWN = "Known databases: analytics, orders-prod."


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("request nope ro 1h why", ["Unknown database `nope`", KNOWN]),
        ("request analytics rw 1h why", ["Level `rw` is not offered on analytics", "offered: ro"]),
        (
            "request orders-prod ro 2h why",
            ["Duration `2h` is not allowed on orders-prod", "Allowed: 15m, 1h, 4h, 8h"],
        ),
        ("request analytics ro 15m why", ["not allowed on analytics", "Allowed: 1h, 8h"]),
        ("request orders-prod ro soon why", ["`soon` is not a duration", "15m, 1h, 4h, 8h"]),
        ("request orders-prod ro 1h", ["<reason…> is missing", "Usage:"]),
        ("request orders-prod ro 1h " + "x" * 501, ["501 characters", "under 500"]),
        ("request orders-prod", ["<ro|rw> is missing"]),
        ("frobnicate now", ["Unknown command `frobnicate`", "/db-access request"]),
        ("extend g123", ["Usage: `/db-access extend <grant> <duration>`"]),
        ("audit a b c", ["Usage: `/db-access audit [db] [since]`"]),
    ],
)
async def test_bad_one_line_input_is_named_and_files_nothing(
    h: BotHarness, line: str, expected: list[str]
) -> None:
    ack = await h.command(line)
    for part in expected:
        assert part in ack.get("text", ""), ack
    assert await h.requests() == []
    assert h.emu.messages_in(catalogs.ORDERS_CHANNEL) == []
    [rejected] = await h.audit("command.rejected")
    assert rejected.actor == catalogs.DEV and rejected.details["problem"] == ack["text"]


async def test_modal_errors_sit_next_to_the_fields(h: BotHarness) -> None:
    view = await x.open_form(h)
    ack = await h.emu.submit_view(
        view.id,
        user_id=catalogs.DEV,
        values=x.form_values(
            database="orders-prod", level="ro", duration="1h", reason=None, ticket="ftp://tickets/1"
        ),
    )
    assert ack["response_action"] == "errors"
    assert set(ack["errors"]) == {BlockId.REASON, BlockId.TICKET}
    assert "reason is required" in ack["errors"][BlockId.REASON]
    assert "http(s) link" in ack["errors"][BlockId.TICKET]
    assert not view.closed

    ack = await h.emu.submit_view(
        view.id,
        user_id=catalogs.DEV,
        values=x.form_values(database="orders-prod", level="ro", duration="1h", reason="y" * 600),
    )
    assert "600 characters" in ack["errors"][BlockId.REASON]

    # The database was switched but the form was not rebuilt (a lost views.update):
    # level and duration were picked from the old database's lists.
    ack = await h.emu.submit_view(
        view.id,
        user_id=catalogs.DEV,
        values=x.form_values(database="analytics", level="rw", duration="15m", reason="report"),
    )
    assert "Level `rw` is not offered on analytics" in ack["errors"][BlockId.LEVEL]
    assert "Allowed: 1h, 8h" in ack["errors"][BlockId.DURATION]

    gone = {"text": {"type": "plain_text", "text": "old-db"}, "value": "old-db"}
    ack = await h.emu.submit_view(
        view.id,
        user_id=catalogs.DEV,
        values=x.form_values(database=gone, level="ro", duration="1h", reason="report"),
    )
    assert "Unknown database `old-db`" in ack["errors"][BlockId.DATABASE]
    assert KNOWN in ack["errors"][BlockId.DATABASE]

    await h.settle()
    assert await h.requests() == []
    assert len(await h.audit("request.rejected")) == 4


async def test_pending_duplicate_and_unknown_grant_are_explained(h: BotHarness) -> None:
    await h.command("request orders-prod ro 1h INC-5")
    await h.command("request orders-prod ro 4h INC-5 again")
    assert "already have a pending request" in x.ephemeral_texts(h, catalogs.DEV)[-1]
    assert len(await h.requests()) == 1
    for line in ("token gnope", "revoke gnope", "extend gnope 1h"):
        await h.command(line)
        assert "There is no grant `gnope`" in x.ephemeral_texts(h, catalogs.DEV)[-1]
    await h.command("audit nope 7d", user_id=catalogs.ADMIN)
    assert KNOWN in x.ephemeral_texts(h, catalogs.ADMIN)[-1]


async def test_help_lists_every_command(h: BotHarness) -> None:
    ack = await h.command("help")
    for form in (
        "request <db> <ro|rw> <duration> <reason…>",
        "list",
        "token <grant>",
        "extend <grant> <duration>",
        "revoke <grant>",
        "audit [db] [since]",
    ):
        assert form in ack["text"]
    [received] = await h.audit("command.received")
    assert received.details["verb"] == "help"
