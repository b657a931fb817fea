"""Deciding on a card: quorum, narrowing, denial with a reason, races and stale clicks."""

import asyncio
from datetime import timedelta

from bot.slack.actions import VALUE, ActionId, BlockId, CallbackId
from tests.e2e import helpers as x
from tests.support import catalogs
from tests.support.harness import BotHarness


async def _open_modal_from_card(
    h: BotHarness, request_id: str, action_id: str, user_id: str
) -> x.StoredView:
    since = len(h.emu.calls)
    await h.click_card(request_id, action_id, user_id)
    call = await h.emu.wait_for_call("views.open", since=since)
    assert call.ok, call.response
    return h.emu.views[call.response["view"]["id"]]


async def test_two_of_n_quorum_updates_the_card_in_place(h: BotHarness) -> None:
    await h.command("request orders-prod rw 1h schema fix for INC-9")
    request = await x.only_request(h)
    assert request.approvals_required == 2
    card = h.card_of(request.id)
    assert "0 of 2 approvals" in str(card.blocks)

    await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)
    card = h.card_of(request.id)
    assert f"1 of 2 approvals: <@{catalogs.APPROVER}>" in str(card.blocks)
    assert any(b["type"] == "actions" for b in card.blocks)
    assert await h.grants() == []
    assert any("1 of 2" in t for t in x.ephemeral_texts(h, catalogs.APPROVER))
    [recorded] = await h.audit("request.approval_recorded")
    assert recorded.actor == catalogs.APPROVER and recorded.request_id == request.id

    # The same approver cannot count twice.
    await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)
    assert "already decided" in x.ephemeral_texts(h, catalogs.APPROVER)[-1]
    assert await h.grants() == []

    # APPROVER2 is an approver only through the user group.
    await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER2)
    grant = await x.only_grant(h)
    assert grant.level == "rw" and grant.db_user == "alice_smith_rw"
    card = h.card_of(request.id)
    assert f"*Approved* by <@{catalogs.APPROVER}>, <@{catalogs.APPROVER2}>" in str(card.blocks)
    assert len(card.history) >= 3  # posted once, then updated in place at each step
    assert len([m for m in h.emu.messages_in(catalogs.ORDERS_CHANNEL)]) == 1


async def test_narrowing_grants_ro_for_a_shorter_time(h: BotHarness) -> None:
    clock = x.use_clock(h)
    await h.command("request orders-prod rw 4h data fix for INC-11")
    request = await x.only_request(h)
    view = await _open_modal_from_card(h, request.id, ActionId.APPROVE_CHANGED, catalogs.APPROVER)
    assert view.callback_id == CallbackId.NARROW and view.private_metadata == request.id
    assert x.options(view, BlockId.LEVEL) == ["ro", "rw"]
    assert x.options(view, BlockId.DURATION) == ["15m", "1h", "4h"]

    ack = await h.emu.submit_view(
        view.id,
        user_id=catalogs.APPROVER,
        values={BlockId.LEVEL: {VALUE: "ro"}, BlockId.DURATION: {VALUE: "1h"}},
    )
    await h.settle()
    assert ack == {}
    grant = await x.only_grant(h)
    assert grant.level == "ro" and grant.db_user == "alice_smith_ro"
    assert grant.expires_at == clock.now + timedelta(hours=1)
    assert h.iam.policies[grant.principal_arn][grant.id] == clock.now + timedelta(hours=1)
    [approved] = await h.audit("request.approved")
    assert approved.details == {"granted_level": "ro", "granted_duration_s": 3600}
    card = str(h.card_of(request.id).blocks)
    assert "granted *ro* for *1h* (narrowed)" in card
    dms = x.dm_texts(h, catalogs.DEV)
    assert any("ro for 1h (you asked for rw for 4h)" in d for d in dms), dms
    assert "`ro`" in dms[-1] and "https://paste.test/" in dms[-1]


async def test_narrowing_only_the_duration_keeps_the_quorum(h: BotHarness) -> None:
    await h.command("request orders-prod rw 8h migration INC-12")
    request = await x.only_request(h)
    view = await _open_modal_from_card(h, request.id, ActionId.APPROVE_CHANGED, catalogs.APPROVER)
    await h.emu.submit_view(
        view.id,
        user_id=catalogs.APPROVER,
        values={BlockId.LEVEL: {VALUE: "rw"}, BlockId.DURATION: {VALUE: "4h"}},
    )
    await h.settle()
    assert await h.grants() == []
    assert "1 of 2 approvals" in str(h.card_of(request.id).blocks)
    await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER2)
    grant = await x.only_grant(h)
    assert grant.level == "rw"
    assert grant.expires_at is not None and grant.granted_at is not None
    assert grant.expires_at - grant.granted_at <= timedelta(hours=4)
    assert "granted *rw* for *4h* (narrowed)" in str(h.card_of(request.id).blocks)


async def test_deny_asks_for_a_reason_and_tells_everyone(h: BotHarness) -> None:
    await h.command("request orders-prod ro 1h curious")
    request = await x.only_request(h)
    view = await _open_modal_from_card(h, request.id, ActionId.DENY, catalogs.APPROVER)
    assert view.callback_id == CallbackId.DENY

    ack = await h.emu.submit_view(
        view.id, user_id=catalogs.APPROVER, values={BlockId.REASON: {VALUE: "  "}}
    )
    assert ack["response_action"] == "errors"
    assert "reason is required" in ack["errors"][BlockId.REASON]
    assert (await x.only_request(h)).status == "pending"

    ack = await h.emu.submit_view(
        view.id,
        user_id=catalogs.APPROVER,
        values={BlockId.REASON: {VALUE: "Use the replica instead"}},
    )
    await h.settle()
    assert ack == {}
    request = await x.only_request(h)
    assert request.status == "denied" and request.deny_reason == "Use the replica instead"
    card = str(h.card_of(request.id).blocks)
    assert f"*Denied* by <@{catalogs.APPROVER}>: Use the replica instead" in card
    assert "dab_approve" not in card
    denial = x.dm_texts(h, catalogs.DEV)[-1]
    assert "denied" in denial and "Use the replica instead" in denial
    assert await h.grants() == []
    [denied] = await h.audit("request.denied")
    assert denied.actor == catalogs.APPROVER
    assert denied.details["deny_reason"] == "Use the replica instead"


async def test_two_simultaneous_approvals_make_exactly_one_grant(h: BotHarness) -> None:
    await h.command("request orders-prod ro 1h INC-13")
    request = await x.only_request(h)
    card = h.card_of(request.id)
    acks = await asyncio.gather(
        *(
            h.emu.click(
                user_id=user,
                action_id=ActionId.APPROVE,
                value=request.id,
                message=(card.channel, card.ts),
            )
            for user in (catalogs.APPROVER, catalogs.APPROVER2)
        )
    )
    assert all(a == {} for a in acks)
    await h.emu.wait_until(
        lambda: (
            len(h.emu.ephemerals_to(catalogs.APPROVER))
            + len(h.emu.ephemerals_to(catalogs.APPROVER2))
            >= 2
        )
    )
    await h.settle()
    grant = await x.only_grant(h)
    assert grant.status == "active"
    assert len(await h.audit("request.approved")) == 1
    assert len(await h.audit("grant.started")) == 1
    assert len(h.iam.attached) == 1
    replies = x.ephemeral_texts(h, catalogs.APPROVER) + x.ephemeral_texts(h, catalogs.APPROVER2)
    assert sum("Approved `" in r for r in replies) == 1
    assert sum("already approved" in r for r in replies) == 1, replies


async def test_click_on_a_decided_card_is_a_polite_no_op(h: BotHarness) -> None:
    grant = await x.request_and_approve(h)
    request = await x.only_request(h)
    card = h.card_of(request.id)
    decided = card.blocks
    # A client that has not refreshed yet still shows the buttons: click them there.
    card.blocks = card.history[0]["blocks"]
    audit_before = len(await h.audit())
    since = len(h.emu.calls)
    for action_id in (ActionId.APPROVE, ActionId.DENY, ActionId.APPROVE_CHANGED):
        ack = await h.click_card(request.id, action_id, catalogs.APPROVER2)
        assert ack == {}
    replies = x.ephemeral_texts(h, catalogs.APPROVER2)
    assert len(replies) == 3, h.emu.transcript()
    assert all("is already approved; nothing was changed" in r for r in replies), replies
    assert {c.method for c in h.emu.calls[since:]} == {"response_url"}
    card.blocks = decided
    assert [g.id for g in await h.grants()] == [grant.id]
    assert len(await h.audit()) == audit_before
    assert (await x.only_request(h)).decided_by == catalogs.APPROVER
