"""Sensitive databases: the warning on the form, on the card, and in Approve's confirm dialog."""

import json

from bot.slack.actions import ActionId, BlockId, CallbackId
from tests.approvals.conftest import BotWith
from tests.e2e import helpers as x
from tests.support import catalogs

WARNING = "Holds card data (PCI scope): every query is logged and reviewed."


async def test_the_request_form_shows_the_warning_first(bot_with: BotWith) -> None:
    async with bot_with(warning=WARNING) as h:
        view = await x.open_form(h)
        shown = [json.dumps(b) for b in view.blocks]
        assert "Sensitive database" in shown[1] and WARNING in shown[1]
        assert view.blocks[1]["type"] == "context"
        await h.emu.click(
            user_id=catalogs.DEV,
            action_id=ActionId.PICK_DATABASE,
            view_id=view.id,
            selected_option="analytics",
        )
        await h.settle()
        assert WARNING not in json.dumps(h.emu.views[view.id].blocks)


async def test_approve_asks_to_confirm_and_acts_only_when_confirmed(bot_with: BotWith) -> None:
    async with bot_with(warning=WARNING) as h:
        await h.command("request orders-prod rw 1h fix the refund job INC-5")
        [request] = await h.requests()
        card = h.card_of(request.id)
        assert card.blocks[1]["type"] == "context" and WARNING in json.dumps(card.blocks[1])
        [approve] = [
            e
            for b in card.blocks
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == ActionId.APPROVE
        ]
        dialog = approve["confirm"]
        assert dialog["title"]["text"] == "Approve rw on orders-prod for alice_smith?"
        assert dialog["text"]["text"] == WARNING
        assert (dialog["confirm"]["text"], dialog["deny"]["text"]) == ("Approve", "Cancel")

        await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER, confirm=False)
        assert "0 of 2 approvals" in json.dumps(h.card_of(request.id).blocks)
        assert await h.audit("request.approval_recorded") == []

        await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER, confirm=True)
        await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER2, confirm=True)
        assert (await x.only_grant(h)).status == "active"
        assert len(h.emu.confirm_dialogs) == 3
        decided = json.dumps(h.card_of(request.id).blocks)
        assert WARNING in decided and ActionId.APPROVE not in decided


async def test_approve_with_changes_shows_the_warning_too(bot_with: BotWith) -> None:
    async with bot_with(warning=WARNING) as h:
        await h.command("request orders-prod rw 1h fix the refund job INC-5")
        [request] = await h.requests()
        since = len(h.emu.calls)
        await h.click_card(request.id, ActionId.APPROVE_CHANGED, catalogs.APPROVER)
        call = await h.emu.wait_for_call("views.open", since=since)
        view = h.emu.views[call.response["view"]["id"]]
        assert view.callback_id == CallbackId.NARROW and WARNING in json.dumps(view.blocks[0])
        assert view.blocks[1]["type"] == "section"
        assert any(b.get("block_id") == BlockId.LEVEL for b in view.blocks)


async def test_databases_without_a_warning_approve_in_one_click(bot_with: BotWith) -> None:
    async with bot_with() as h:
        await h.command("request orders-prod ro 1h INC-6")
        [request] = await h.requests()
        assert "confirm" not in json.dumps(h.card_of(request.id).blocks)
        await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)
        assert (await x.only_grant(h)).status == "active"
