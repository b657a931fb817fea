"""Requests from start to grant: by modal, by one line, auto-approved, extension, the clock."""

from datetime import timedelta

from bot.slack.actions import ActionId, BlockId
from tests.e2e import helpers as x
from tests.support import catalogs
from tests.support.harness import BotHarness


async def test_modal_switch_database_then_submit_and_approve(h: BotHarness) -> None:
    view = await x.open_form(h)
    assert x.options(view, BlockId.DATABASE) == ["orders-prod", "analytics"]
    db_block = next(b for b in view.blocks if b["block_id"] == BlockId.DATABASE)
    described = {
        o["value"]: o.get("description", {}).get("text") for o in db_block["element"]["options"]
    }
    assert described["orders-prod"] == "Orders service, production"
    assert x.options(view, BlockId.LEVEL) == ["ro", "rw"]
    assert x.options(view, BlockId.DURATION) == ["15m", "1h", "4h", "8h"]

    since = len(h.emu.calls)
    await h.emu.click(
        user_id=catalogs.DEV,
        action_id=ActionId.PICK_DATABASE,
        view_id=view.id,
        selected_option="analytics",
    )
    update = await h.emu.wait_for_call("views.update", since=since)
    assert update.ok and update.params["view_id"] == view.id
    assert x.options(view, BlockId.LEVEL) == ["ro"]
    assert x.options(view, BlockId.DURATION) == ["1h", "8h"]
    assert view.private_metadata == "analytics"

    since = len(h.emu.calls)
    await h.emu.click(
        user_id=catalogs.DEV,
        action_id=ActionId.PICK_DATABASE,
        view_id=view.id,
        selected_option="orders-prod",
    )
    await h.emu.wait_for_call("views.update", since=since)
    assert x.options(view, BlockId.DURATION) == ["15m", "1h", "4h", "8h"]

    ack = await x.submit_form(
        h,
        view,
        database="orders-prod",
        level="ro",
        duration="4h",
        reason="checking INC-7 refunds",
        ticket="https://jira.example.com/browse/INC-7",
    )
    assert ack == {}
    assert view.closed
    request = await x.only_request(h)
    assert (request.database, request.level, request.duration_s) == ("orders-prod", "ro", 14400)
    assert request.status == "pending" and request.kind == "new"
    card = h.card_of(request.id)
    assert card.channel == catalogs.ORDERS_CHANNEL
    shown = str(card.blocks)
    for fact in (
        f"<@{catalogs.DEV}>",
        "orders-prod",
        "`ro`",
        "4h",
        "checking INC-7 refunds",
        "https://jira.example.com/browse/INC-7",
        request.id,
        "0 of 1 approvals",
    ):
        assert fact in shown, fact
    buttons = [e["action_id"] for b in card.blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons == [ActionId.APPROVE, ActionId.APPROVE_CHANGED, ActionId.DENY]
    assert "waiting for 1 approval" in x.last_dm(h, catalogs.DEV).text

    await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)
    grant = await x.only_grant(h)
    assert grant.status == "active" and grant.level == "ro"
    assert grant.db_user == "alice_smith_ro"
    assert grant.principal_arn == f"arn:aws:iam::{catalogs.ACCOUNT}:role/DatabasesRole_alice_smith"
    assert h.iam.policies[grant.principal_arn][grant.id] == grant.expires_at
    assert h.dbadmin.users[("orders-prod", "alice_smith_ro")] == ("pg_read_all_data",)
    card = h.card_of(request.id)
    assert f"*Approved* by <@{catalogs.APPROVER}>" in str(card.blocks)
    assert f"Granted as `{grant.id}`" in str(card.blocks)
    assert not any(b["type"] == "actions" for b in card.blocks)
    dms = x.dm_texts(h, catalogs.DEV)
    assert any("was approved" in d for d in dms)
    assert "https://paste.test/" in dms[-1] and grant.id in dms[-1]
    x.assert_readable_fallbacks(h)


async def test_one_line_request_approved_end_to_end(h: BotHarness) -> None:
    ack = await h.command("request orders-prod ro 1h investigating INC-42")
    assert ack == {}
    request = await x.only_request(h)
    [reply] = x.ephemeral_texts(h, catalogs.DEV)
    assert request.id in reply and f"<#{catalogs.ORDERS_CHANNEL}>" in reply
    assert request.reason == "investigating INC-42"

    approve_ack = await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)
    assert approve_ack == {}
    grant = await x.only_grant(h)
    assert grant.status == "active"
    assert any(f"Approved `{request.id}`" in t for t in x.ephemeral_texts(h, catalogs.APPROVER))
    # The paste holds the token; the DM only the link.
    [secret] = h.share.shared
    assert "X-Amz-Signature" in secret and "alice_smith_ro" in secret
    assert all("X-Amz-Signature" not in str(c.params) for c in h.emu.calls)
    actions = [e.action for e in await h.audit()]
    for expected in (
        "command.received",
        "request.submitted",
        "request.approved",
        "grant.started",
        "grant.active",
        "token.issued",
    ):
        assert expected in actions, actions
    [approved] = await h.audit("request.approved")
    assert approved.actor == catalogs.APPROVER and approved.request_id == request.id
    assert approved.details["granted_level"] == "ro"
    x.assert_readable_fallbacks(h)


async def test_auto_approved_level_is_granted_at_once(h: BotHarness) -> None:
    await h.command("request analytics ro 1h monthly report")
    request = await x.only_request(h)
    assert request.status == "approved" and request.decided_by == "auto"
    grant = await x.only_grant(h)
    assert grant.status == "active" and grant.db_user == "alice_smith_ro"
    assert any("auto-approved" in t for t in x.ephemeral_texts(h, catalogs.DEV))
    card = h.card_of(request.id)
    assert card.channel == catalogs.CHANNEL
    assert "Auto-approved" in str(card.blocks)
    dms = x.dm_texts(h, catalogs.DEV)
    assert any("auto-approved" in d for d in dms)
    assert "https://paste.test/" in dms[-1]
    assert len(await h.audit("request.auto_approved")) == 1


async def test_request_for_a_held_grant_becomes_an_extension(h: BotHarness) -> None:
    grant = await x.request_and_approve(h)
    first_end = grant.expires_at
    assert first_end is not None
    await h.command("request orders-prod ro 1h still on INC-42")
    extension = next(r for r in await h.requests() if r.status == "pending")
    assert extension.kind == "extension" and extension.extends_grant_id == grant.id
    assert "extension" in x.ephemeral_texts(h, catalogs.DEV)[-1]
    assert "extension request" in str(h.card_of(extension.id).blocks)

    await h.click_card(extension.id, ActionId.APPROVE, catalogs.APPROVER)
    [extended] = await h.grants()
    assert extended.id == grant.id and extended.expires_at is not None
    assert extended.expires_at - first_end >= timedelta(minutes=59)
    assert h.iam.policies[grant.principal_arn][grant.id] == extended.expires_at
    assert "now lasts until" in x.dm_texts(h, catalogs.DEV)[-1]
    assert len(await h.audit("grant.extended")) == 1


async def test_grant_clock_starts_at_approval_not_at_request(h: BotHarness) -> None:
    clock = x.use_clock(h)
    asked_at = clock.now
    await h.command("request orders-prod ro 1h INC-42")
    request = await x.only_request(h)
    clock.advance(timedelta(minutes=20))
    approved_at = clock.now
    await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)
    grant = await x.only_grant(h)
    assert grant.granted_at == approved_at
    assert grant.expires_at == approved_at + timedelta(hours=1)
    assert grant.expires_at != asked_at + timedelta(hours=1)
    assert h.iam.policies[grant.principal_arn][grant.id] == approved_at + timedelta(hours=1)
