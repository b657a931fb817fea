"""One request for several databases: one id, one card, each database decided on its own."""

from collections.abc import AsyncIterator

import pytest

from bot.slack.actions import ActionId, BlockId, CallbackId
from tests.e2e import asks
from tests.e2e import helpers as x
from tests.support import catalogs
from tests.support.harness import BotHarness


@pytest.fixture
async def hb(state_url: str) -> AsyncIterator[BotHarness]:
    """A bot whose catalog also has billing-prod (approved by carol only)."""
    async with BotHarness(state_url, catalog=asks.catalog()) as harness:
        yield harness


def bundle_of(h: BotHarness) -> str:
    """The request id the requester was told."""
    reply = x.ephemeral_texts(h, catalogs.DEV)[-1]
    return reply.split("Request `", 1)[1].split("`", 1)[0]


async def test_each_database_is_decided_by_its_own_approvers(hb: BotHarness) -> None:
    h = hb
    ack = await h.command("request orders-prod,billing-prod ro 1h INC-11 reconcile invoices")
    assert ack == {}
    rid = bundle_of(h)
    orders, billing = await asks.parts(h, rid)
    assert (orders.database, billing.database) == ("orders-prod", "billing-prod")
    assert {orders.status, billing.status} == {"pending"}
    assert orders.reason == billing.reason == "INC-11 reconcile invoices"
    [card] = asks.cards(h, rid)  # one card, both databases in the same channel
    assert card.channel == catalogs.ORDERS_CHANNEL
    assert {
        (ActionId.APPROVE, orders.id),
        (ActionId.APPROVE, billing.id),
        (ActionId.DENY, billing.id),
    } <= asks.actions_of(card)
    [filed] = [m for m in h.emu.dms_to(catalogs.DEV) if rid in m.text]
    assert "orders-prod" in filed.text and "billing-prod" in filed.text
    assert (ActionId.WITHDRAW, rid) in asks.actions_of(filed)

    # bob approves orders-prod only: billing-prod is not his to decide.
    await asks.click_part(h, billing, ActionId.APPROVE, catalogs.APPROVER)
    assert "Only approvers of billing-prod" in x.ephemeral_texts(h, catalogs.APPROVER)[-1]
    await asks.click_part(h, orders, ActionId.APPROVE, catalogs.APPROVER)
    [first] = await h.grants()
    assert (first.database, first.status) == ("orders-prod", "active")
    orders, billing = await asks.parts(h, rid)
    assert (orders.status, billing.status) == ("approved", "pending")
    shown = str(asks.card_in(h, rid, catalogs.ORDERS_CHANNEL).blocks)
    assert f"grant `{first.id}`" in shown and "0 of 1 approvals" in shown

    await asks.click_part(h, billing, ActionId.APPROVE, catalogs.APPROVER2)
    grants = {g.database: g for g in await h.grants()}
    assert {g.status for g in grants.values()} == {"active"}
    second = grants["billing-prod"]
    links = [d for d in x.dm_texts(h, catalogs.DEV) if "paste.test" in d]
    assert (
        len(links) == 2 and any(first.id in d for d in links) and any(second.id in d for d in links)
    )
    card = asks.card_in(h, rid, catalogs.ORDERS_CHANNEL)
    assert not any(b["type"] == "actions" for b in card.blocks)

    # Each grant is its own: token, extend and revoke take its id.
    await h.command(f"token {second.id}")
    assert "fresh one-time link" in x.ephemeral_texts(h, catalogs.DEV)[-1]
    await h.command(f"revoke {first.id}")
    assert {g.database: g.status for g in await h.grants()} == {
        "orders-prod": "revoked",
        "billing-prod": "active",
    }

    await h.command("list")
    listing = h.emu.ephemerals_to(catalogs.DEV)[-1]
    assert second.id in listing.text


async def test_list_and_home_keep_a_request_together(hb: BotHarness) -> None:
    h = hb
    await h.command("request orders-prod,billing-prod ro 1h INC-12")
    rid = bundle_of(h)
    orders, _ = await asks.parts(h, rid)
    await h.command("list")
    listing = h.emu.ephemerals_to(catalogs.DEV)[-1]
    pending = [b for b in listing.blocks if rid in str(b) and "accessory" in b]
    assert len(pending) == 1  # one line for the request, naming both databases
    assert "orders-prod" in str(pending[0]) and "billing-prod" in str(pending[0])
    assert (ActionId.WITHDRAW, rid) in asks.actions_of(listing)
    assert f"{rid} (ro on orders-prod, billing-prod, 1h)" in listing.text

    await asks.click_part(h, orders, ActionId.APPROVE, catalogs.APPROVER)
    await asks.click_part(h, (await asks.parts(h, rid))[1], ActionId.APPROVE, catalogs.APPROVER2)
    await h.emu.app_home_opened(catalogs.DEV)
    await h.emu.wait_for_call("views.publish")
    home = str(h.emu.home_of(catalogs.DEV).blocks)
    assert home.count(f"of request `{rid}`") == 2
    assert all(g.id in home for g in await h.grants())


async def test_databases_approved_in_different_channels_show_the_same_card(state_url: str) -> None:
    catalog = asks.catalog({"approvals_channel": asks.BILLING_CHANNEL})
    async with BotHarness(state_url, catalog=catalog) as h:
        await h.command("request orders-prod,billing-prod ro 1h INC-13")
        rid = bundle_of(h)
        assert {c.channel for c in asks.cards(h, rid)} == {
            catalogs.ORDERS_CHANNEL,
            asks.BILLING_CHANNEL,
        }
        orders, billing = await asks.parts(h, rid)
        await asks.click_part(h, billing, ActionId.APPROVE, catalogs.APPROVER2)
        for card in asks.cards(h, rid):  # both copies show billing-prod decided
            assert "Approved* by <@U0APPROVER2>" in str(card.blocks)
            assert (ActionId.APPROVE, orders.id) in asks.actions_of(card)
            assert (ActionId.APPROVE, billing.id) not in asks.actions_of(card)


async def test_one_card_each_own_rule_auto_approval_denial_and_extension(hb: BotHarness) -> None:
    h = hb
    held = await x.request_and_approve(h, "orders-prod ro 1h INC-1")
    # analytics ro is auto-approved; billing-prod rw needs 2 approvals but has one approver;
    # orders-prod ro is held already, so that part extends it.
    await h.command("request orders-prod,analytics,billing-prod ro 1h INC-14")
    rid = bundle_of(h)
    orders, analytics, billing = await asks.parts(h, rid)
    assert orders.kind == "extension" and orders.extends_grant_id == held.id
    assert analytics.status == "approved" and analytics.decided_by == "auto"
    assert billing.status == "pending"
    reply = x.ephemeral_texts(h, catalogs.DEV)[-1]
    assert "`analytics` auto-approved" in reply and "`billing-prod` waiting" in reply
    shown = str(asks.card_in(h, rid, catalogs.ORDERS_CHANNEL).blocks)
    assert f"extends `{held.id}`" in shown and "Auto-approved" in shown

    await h.command("request billing-prod,orders-prod rw 1h INC-15")
    rw = bundle_of(h)
    billing_rw, orders_rw = await asks.parts(h, rw)
    assert billing_rw.status == "denied" and "needs 2 approval(s)" in billing_rw.deny_reason
    assert orders_rw.status == "pending" and orders_rw.approvals_required == 2
    # Narrowed to ro by one approver: ro's own quorum (1) applies, on that database only.
    await h.workflow.approve(orders_rw.id, catalogs.APPROVER, level="ro")
    await h.settle()
    assert {(r.database, r.status, r.granted_level) for r in await asks.parts(h, rw)} == {
        ("billing-prod", "denied", None),
        ("orders-prod", "approved", "ro"),
    }


async def test_one_pending_request_per_database_and_level_still_holds(hb: BotHarness) -> None:
    h = hb
    await h.command("request orders-prod ro 1h INC-16")
    await h.command("request billing-prod,orders-prod ro 1h INC-17")
    assert "already have a pending request" in x.ephemeral_texts(h, catalogs.DEV)[-1]
    assert [r.database for r in await h.requests()] == ["orders-prod"]  # billing not filed


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("orders-prod,nope ro 1h x", "Unknown database `nope`"),
        ("orders-prod,analytics rw 1h x", "Level `rw` is not offered on analytics"),
        ("orders-prod,billing-prod ro 8h x", "Duration `8h` is not allowed on billing-prod"),
        ("orders-prod,orders-prod ro 1h x", "`orders-prod` is listed twice"),
        ("orders-prod,,billing-prod ro 1h x", "separated by commas"),
        (",".join(["orders-prod"] + [f"db{i}" for i in range(10)]) + " ro 1h x", "at most 10"),
    ],
)
async def test_bad_database_lists_file_nothing(hb: BotHarness, line: str, problem: str) -> None:
    ack = await hb.command(f"request {line}")
    assert problem in ack["text"], ack
    assert await hb.requests() == []


async def test_withdrawing_takes_back_what_is_still_pending(hb: BotHarness) -> None:
    h = hb
    await h.command("request orders-prod,billing-prod ro 1h INC-18")
    rid = bundle_of(h)
    orders, _ = await asks.parts(h, rid)
    await asks.click_part(h, orders, ActionId.APPROVE, catalogs.APPROVER)
    await h.command(f"withdraw {rid}")
    reply = x.ephemeral_texts(h, catalogs.DEV)[-1]
    assert "billing-prod" in reply and "orders-prod was already approved" in reply
    assert [(r.database, r.status) for r in await asks.parts(h, rid)] == [
        ("orders-prod", "approved"),
        ("billing-prod", "withdrawn"),
    ]
    assert "Withdrawn* by" in str(asks.card_in(h, rid, catalogs.ORDERS_CHANNEL).blocks)
    assert [g.status for g in await h.grants()] == ["active"]


async def test_the_form_takes_several_databases(hb: BotHarness) -> None:
    h = hb
    view = await x.open_form(h)
    db_block = next(b for b in view.blocks if b["block_id"] == BlockId.DATABASE)
    assert db_block["element"]["type"] == "multi_static_select"
    since = len(h.emu.calls)
    await h.emu.click(
        user_id=catalogs.DEV,
        action_id=ActionId.PICK_DATABASE,
        view_id=view.id,
        selected_option=["orders-prod", "billing-prod"],
    )
    await h.emu.wait_for_call("views.update", since=since)
    assert x.options(view, BlockId.DURATION) == ["15m", "1h", "4h"]  # what both allow
    assert view.callback_id == CallbackId.REQUEST
    ack = await x.submit_form(
        h,
        view,
        database=["orders-prod", "billing-prod"],
        level="ro",
        duration="4h",
        reason="month end",
    )
    assert ack == {}
    requests = await h.requests()
    assert {r.database for r in requests} == {"orders-prod", "billing-prod"}
    assert len({r.bundle_id for r in requests}) == 1 and requests[0].bundle_id
    assert len(asks.cards(h, requests[0].bundle_id)) == 1

    view = await x.open_form(h, catalogs.DEV2)
    ack = await h.emu.submit_view(
        view.id,
        user_id=catalogs.DEV2,
        values=x.form_values(
            database=["orders-prod", "analytics"], level="rw", duration="1h", reason="x"
        ),
    )
    assert "Level `rw` is not offered on analytics" in ack["errors"][BlockId.LEVEL]
    ack = await h.emu.submit_view(
        view.id,
        user_id=catalogs.DEV2,
        values=x.form_values(database=[], level="ro", duration="1h", reason="x"),
    )
    assert "Pick at least one database" in ack["errors"][BlockId.DATABASE]
