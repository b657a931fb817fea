"""Reviewing a break-glass: Acknowledge or Flag; never one's own; re-posted to admins if late."""

import json
from datetime import timedelta

from bot.domain import Review
from bot.slack.actions import VALUE, ActionId, BlockId, CallbackId
from scheduler.jobs import Jobs
from tests.approvals.conftest import BotWith
from tests.e2e import helpers as x
from tests.support import aws_seed, catalogs
from tests.support.harness import BotHarness

BREAKGLASS = {
    "breakglass": {
        "users": [catalogs.DEV, catalogs.APPROVER],
        "levels": ["rw"],
        "max_duration": "1h",
        "review_within": "24h",
    }
}
LINE = "breakglass orders-prod rw 1h primary is down, INC-99"


async def _broken(h: BotHarness, user_id: str = catalogs.DEV) -> str:
    await h.command(LINE, user_id=user_id)
    [request] = await h.requests()
    return request.id


def _card(h: BotHarness, request_id: str) -> str:
    return json.dumps(h.card_of(request_id).blocks)


async def _flag_form(h: BotHarness, request_id: str, user_id: str) -> x.StoredView:
    since = len(h.emu.calls)
    await h.click_card(request_id, ActionId.BREAKGLASS_FLAG, user_id)
    call = await h.emu.wait_for_call("views.open", since=since)
    view = h.emu.views[call.response["view"]["id"]]
    assert view.callback_id == CallbackId.BREAKGLASS_FLAG and view.private_metadata == request_id
    return view


async def test_an_approver_acknowledges_and_the_card_says_so(bot_with: BotWith) -> None:
    async with bot_with(**BREAKGLASS) as h:
        request_id = await _broken(h)
        await h.click_card(request_id, ActionId.BREAKGLASS_ACK, catalogs.APPROVER)
        assert (
            f"Acknowledged break-glass `{request_id}`"
            in x.ephemeral_texts(h, catalogs.APPROVER)[-1]
        )
        card = _card(h, request_id)
        assert f"*Acknowledged* by <@{catalogs.APPROVER}>" in card
        assert ActionId.BREAKGLASS_ACK not in card and ActionId.BREAKGLASS_FLAG in card
        [request] = await h.requests()
        assert (request.review, request.reviewed_by) == (Review.ACKNOWLEDGED, catalogs.APPROVER)
        [audited] = await h.audit("breakglass.acknowledged")
        assert audited.actor == catalogs.APPROVER and audited.request_id == request_id

        # The admin's DM still shows the buttons; a second review changes nothing.
        [alert] = h.emu.dms_to(catalogs.ADMIN)
        await x.click_message(h, alert, ActionId.BREAKGLASS_ACK, catalogs.ADMIN)
        assert (
            f"already acknowledged by <@{catalogs.APPROVER}>"
            in x.ephemeral_texts(h, catalogs.ADMIN)[-1]
        )
        assert len(await h.audit("breakglass.acknowledged")) == 1


async def test_nobody_reviews_their_own_break_glass(bot_with: BotWith) -> None:
    async with bot_with(**BREAKGLASS) as h:
        aws_seed.create_role("DatabasesRole_bob")
        request_id = await _broken(h, catalogs.APPROVER)  # bob approves orders-prod
        await h.click_card(request_id, ActionId.BREAKGLASS_ACK, catalogs.APPROVER)
        await h.click_card(request_id, ActionId.BREAKGLASS_FLAG, catalogs.APPROVER)
        replies = x.ephemeral_texts(h, catalogs.APPROVER)[-2:]
        assert "You cannot acknowledge your own break-glass" in replies[0]
        assert "You cannot flag your own break-glass" in replies[1]
        assert [
            v for v in h.emu.views.values() if v.callback_id == CallbackId.BREAKGLASS_FLAG
        ] == []
        await h.click_card(request_id, ActionId.BREAKGLASS_ACK, catalogs.OUTSIDER)
        assert (
            "Only approvers of orders-prod and admins can acknowledge"
            in x.ephemeral_texts(h, catalogs.OUTSIDER)[-1]
        )
        [request] = await h.requests()
        assert request.review is None
        refused = await h.audit("breakglass.review_refused")
        assert [(e.actor, e.details["attempted"]) for e in refused] == [
            (catalogs.APPROVER, "acknowledge"),
            (catalogs.APPROVER, "flag"),
            (catalogs.OUTSIDER, "acknowledge"),
        ]


async def test_flagging_asks_for_a_note_posts_it_and_tells_the_admins(bot_with: BotWith) -> None:
    async with bot_with(**BREAKGLASS) as h:
        request_id = await _broken(h)
        await h.click_card(request_id, ActionId.BREAKGLASS_ACK, catalogs.APPROVER)
        view = await _flag_form(h, request_id, catalogs.APPROVER2)  # a member of the DBA group
        ack = await h.emu.submit_view(
            view.id, user_id=catalogs.APPROVER2, values={BlockId.NOTE: {VALUE: "  "}}
        )
        assert "Say what is wrong" in ack["errors"][BlockId.NOTE]

        note = "No incident INC-99 exists <!channel>"
        ack = await h.emu.submit_view(
            view.id, user_id=catalogs.APPROVER2, values={BlockId.NOTE: {VALUE: note}}
        )
        await h.settle()
        assert ack == {}
        card = _card(h, request_id)
        assert f"*Flagged* by <@{catalogs.APPROVER2}>: No incident INC-99 exists" in card
        assert "the access stays until someone revokes it" in card
        assert ActionId.BREAKGLASS_FLAG not in card
        card_message = h.card_of(request_id)
        [reply] = [
            m for m in h.emu.messages_in(card_message.channel) if m.thread_ts == card_message.ts
        ]
        assert "No incident INC-99 exists" in reply.text
        admin_dms = x.dm_texts(h, catalogs.ADMIN)
        assert any(
            f"<@{catalogs.APPROVER2}> flagged break-glass `{request_id}`" in d
            and "No incident INC-99 exists" in d
            for d in admin_dms
        )
        x.assert_no_raw_markup(h)
        grant = await x.only_grant(h)
        assert grant.status == "active"  # flagging does not revoke
        assert f"db-access-{grant.id}" in aws_seed.inline_policies(h.real.role_arn)
        [flagged] = await h.audit("breakglass.flagged")
        assert flagged.actor == catalogs.APPROVER2 and flagged.details["note"] == note
        assert h.metrics.breakglass_reviews.labels("flagged")._value.get() == 1


async def test_unreviewed_break_glass_is_reposted_to_the_admins_once(bot_with: BotWith) -> None:
    async with bot_with(**BREAKGLASS) as h:
        clock = x.use_clock(h)
        late = await _broken(h)
        jobs = Jobs(h.workflow.d)
        clock.advance(timedelta(hours=23))
        await jobs.breakglass_reviews()
        assert len(h.emu.dms_to(catalogs.ADMIN)) == 1  # only the first alert
        clock.advance(timedelta(hours=1, minutes=1))
        await jobs.breakglass_reviews()
        await jobs.breakglass_reviews()
        dms = x.dm_texts(h, catalogs.ADMIN)
        assert len(dms) == 2 and f"Break-glass `{late}` was not reviewed in time" in dms[1]
        assert ActionId.BREAKGLASS_ACK in dms[1]
        card = h.card_of(late)
        [note] = [m for m in h.emu.messages_in(card.channel) if m.thread_ts == card.ts]
        assert "re-posted to the admins" in note.text
        [overdue] = await h.audit("breakglass.review_overdue")
        assert overdue.request_id == late
        [request] = await h.requests()
        assert request.review_reposted_at == clock.now

        # Reviewed in time: never re-posted.
        await x.click_message(
            h, h.emu.dms_to(catalogs.ADMIN)[-1], ActionId.BREAKGLASS_ACK, catalogs.ADMIN
        )
        assert (await h.requests())[0].review == Review.ACKNOWLEDGED
        clock.advance(timedelta(days=3))
        await jobs.breakglass_reviews()
        assert len(h.emu.dms_to(catalogs.ADMIN)) == 2


async def test_audit_lists_unreviewed_break_glass_first(bot_with: BotWith) -> None:
    async with bot_with(**BREAKGLASS) as h:
        request_id = await _broken(h)
        await h.command("audit", user_id=catalogs.ADMIN)
        [shown] = h.emu.ephemerals_to(catalogs.ADMIN)
        assert "*Unreviewed break-glass*" in shown.blocks[0]["text"]["text"]
        assert request_id in shown.blocks[0]["text"]["text"]
        assert "1 unreviewed break-glass" in shown.text
        await h.command("audit orders-prod", user_id=catalogs.APPROVER)
        assert request_id in h.emu.ephemerals_to(catalogs.APPROVER)[-1].blocks[0]["text"]["text"]

        await h.click_card(request_id, ActionId.BREAKGLASS_ACK, catalogs.APPROVER)
        await h.command("audit", user_id=catalogs.ADMIN)
        latest = h.emu.ephemerals_to(catalogs.ADMIN)[-1]
        assert "Unreviewed break-glass" not in json.dumps(latest.blocks)
        assert "breakglass.acknowledged" in json.dumps(latest.blocks)
