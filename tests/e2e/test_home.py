"""The App Home tab: my grants with time left, my pending requests, and what waits for me."""

from datetime import timedelta

from bot.slack.actions import ActionId, CallbackId
from tests.e2e import helpers as x
from tests.support import catalogs
from tests.support.harness import BotHarness


async def _home(h: BotHarness, user_id: str) -> str:
    since = len(h.emu.calls)
    await h.emu.app_home_opened(user_id)
    call = await h.emu.wait_for_call("views.publish", since=since)
    assert call.ok, call.response
    await h.settle()
    home = h.emu.home_of(user_id)
    assert home is not None and home.type == "home"
    return str(home.blocks)


async def test_home_shows_grants_pending_and_waiting(h: BotHarness) -> None:
    clock = x.use_clock(h)
    grant = await x.request_and_approve(h)
    clock.advance(timedelta(minutes=15))
    await h.command("request orders-prod rw 4h INC-30 hotfix")
    pending = next(r for r in await h.requests() if r.status == "pending")

    mine = await _home(h, catalogs.DEV)
    assert grant.id in mine and "45m left" in mine
    assert pending.id in mine and "INC-30 hotfix" in mine
    assert ActionId.NEW_TOKEN in mine and ActionId.REVOKE in mine
    assert "Waiting for your approval" not in mine

    theirs = await _home(h, catalogs.APPROVER)
    assert "Waiting for your approval" in theirs
    assert f"<@{catalogs.DEV}>" in theirs and pending.id in theirs
    assert pending.id in await _home(h, catalogs.APPROVER2)  # an approver through the group

    # Approved by one of two: it waits for the other approver only.
    await h.click_card(pending.id, ActionId.APPROVE, catalogs.APPROVER)
    assert pending.id not in await _home(h, catalogs.APPROVER)
    assert pending.id in await _home(h, catalogs.APPROVER2)
    await h.click_card(pending.id, ActionId.APPROVE, catalogs.APPROVER2)
    theirs = await _home(h, catalogs.APPROVER)
    assert pending.id not in theirs and "Nothing waiting" in theirs
    mine = await _home(h, catalogs.DEV)
    assert len([g for g in await h.grants() if g.id in mine]) == 2


async def test_home_request_button_opens_the_form(h: BotHarness) -> None:
    await _home(h, catalogs.DEV)
    home = h.emu.home_of(catalogs.DEV)
    assert home is not None
    since = len(h.emu.calls)
    await h.emu.click(user_id=catalogs.DEV, action_id=ActionId.OPEN_FORM, view_id=home.id)
    call = await h.emu.wait_for_call("views.open", since=since)
    assert call.ok and call.params["view"]["callback_id"] == CallbackId.REQUEST
