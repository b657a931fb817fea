"""What the cards, lists and forms say: every fact, escaped, capped, counted."""

import json

import pytest

from bot.slack import blocks as b
from bot.slack import views as v
from bot.slack import views_elements as ve
from bot.slack import views_home as vh
from bot.slack.bundle_blocks import bundle_card
from tests.support import catalogs
from tests.support.block_samples import (
    BIG,
    CATALOG,
    LONG,
    NOW,
    ORDERS,
    approvals,
    decisions,
    many_grants,
    many_requests,
    sample_grant,
    sample_parts,
    sample_request,
)
from tests.support.slack_emulator_validation import (
    options_problems,
)


@pytest.mark.parametrize("typed", ["", "db-1", "service", "no such database", "ORDERS"])
def test_database_search_offers_at_most_100_valid_options(typed: str) -> None:
    assert options_problems(ve.database_options(BIG, typed)) == []


def test_long_lists_say_how_many_they_leave_out() -> None:
    listed = json.dumps(vh.my_access(many_grants(300), many_requests(300), NOW), ensure_ascii=False)
    assert "…and 285 more active grants" in listed and "…and 290 more pending" in listed
    card = json.dumps(
        b.approval_card(sample_request(approvals_required=400), approvals(300)), ensure_ascii=False
    )
    assert "300 of 400 approvals" in card and "and 280 more" in card
    assert json.dumps(ve.database_options(BIG, "")["option_groups"][0]["label"]["text"]) == (
        '"First 100 of 152 matches; type more to narrow"'
    )


def test_escape_caps_after_escaping() -> None:
    shown = b.escape(LONG, 500)
    assert len(shown) <= 500 and shown.endswith("…")
    assert "<" not in shown and ">" not in shown
    assert b.escape("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    assert b.quoted("`<!here>`") == "`'&lt;!here&gt;'`"


def test_card_shows_every_fact_of_the_request() -> None:
    request = sample_request(reason="INC-42", ticket_url="https://jira.example.com/INC-42")
    text = json.dumps(b.approval_card(request, decisions()[:1]))
    for fact in (
        f"<@{catalogs.DEV}>",
        "alice.smith@example.com",
        "orders-prod",
        "`rw`",
        "4h",
        "INC-42",
        "https://jira.example.com/INC-42",
        "rabcdefgh",
        f"1 of 2 approvals: <@{catalogs.APPROVER}>",
    ):
        assert fact in text, fact
    actions = [
        e["action_id"]
        for blk in b.approval_card(request, [])
        if blk["type"] == "actions"
        for e in blk["elements"]
    ]
    assert actions == ["dab_approve", "dab_approve_changed", "dab_deny"]


def test_fallback_text_of_list_names_grants_and_requests() -> None:
    text = vh.my_access_text([sample_grant()], [sample_request()], NOW)
    assert "gabcdefgh (ro on orders-prod, 1h left)" in text
    assert "rabcdefgh (rw on orders-prod, 4h)" in text
    assert vh.my_access_text([], [], NOW) == (
        "Your active grants: none. Your pending requests: none."
    )


def test_bundle_card_shows_each_database_with_its_own_state_and_buttons() -> None:
    parts = sample_parts(3, status="pending")
    parts[1].status, parts[1].decided_by = "approved", catalogs.APPROVER2
    grants = {"rbundle-2": sample_grant(request_id="rbundle-2", status="active")}
    blocks = bundle_card("rbundle", parts, {}, grants)
    text = json.dumps(blocks)
    assert "Request `rbundle`" in text and f"*Filed by:* <@{catalogs.ADMIN}>" in text
    assert "*Starts:*" in text and "grant `gabcdefgh` until" in text
    decide = [
        (blk["block_id"], [e["value"] for e in blk["elements"]])
        for blk in blocks
        if blk["type"] == "actions"
    ]
    assert decide == [
        ("decide_rbundle-1", ["rbundle-1"] * 3),
        ("decide_rbundle-3", ["rbundle-3"] * 3),
    ]


def test_a_form_for_several_databases_offers_what_they_share() -> None:
    form = v.request_modal(CATALOG, [ORDERS, CATALOG.databases["analytics"]])
    by_block = {blk["block_id"]: blk for blk in form["blocks"] if "block_id" in blk}
    assert [o["value"] for o in by_block["level"]["element"]["options"]] == ["ro"]
    assert [o["value"] for o in by_block["duration"]["element"]["options"]] == ["1h", "8h"]
    assert [o["value"] for o in by_block["database"]["element"]["initial_options"]] == [
        "orders-prod",
        "analytics",
    ]
    assert by_block["start"]["element"]["type"] == "datetimepicker"
    assert form["private_metadata"] == "orders-prod,analytics"
