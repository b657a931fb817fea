"""Decisions ask Slack who is in a user group at the moment they are made; no answer, no."""

from bot.slack.actions import ActionId
from tests.e2e import helpers as x
from tests.support import catalogs
from tests.support.harness import BotHarness
from tests.support.slack_emulator_people import set_group_members

# APPROVER2 approves orders-prod only through the DBA user group.
ONE_LINE = "request orders-prod ro 1h INC-{n}"


async def pending(h: BotHarness, n: int, user_id: str = catalogs.DEV) -> str:
    await h.command(ONE_LINE.format(n=n), user_id=user_id)
    [request] = [r for r in await h.requests() if r.status == "pending"]
    return request.id


async def test_an_approver_removed_from_the_group_cannot_decide_any_more(h: BotHarness) -> None:
    first = await pending(h, 1)
    await h.click_card(first, ActionId.APPROVE, catalogs.APPROVER2)
    assert len(await h.grants()) == 1
    second = await pending(h, 2, user_id=catalogs.DEV2)
    set_group_members(h.emu, catalogs.DBA_GROUP, [])  # APPROVER2 leaves the DBA team

    for action_id in (ActionId.APPROVE, ActionId.DENY):
        await h.click_card(second, action_id, catalogs.APPROVER2)
    replies = x.ephemeral_texts(h, catalogs.APPROVER2)
    assert replies[-2].startswith("Only approvers of orders-prod can approve this request.")
    assert replies[-1].startswith("Only approvers of orders-prod can deny this request.")
    assert [r.status for r in await h.requests() if r.id == second] == ["pending"]
    assert len(await h.grants()) == 1
    assert len(await h.audit("decision.refused")) == 2


async def test_a_group_lookup_that_fails_refuses(h: BotHarness) -> None:
    request_id = await pending(h, 3)
    h.emu.fail_next("usergroups.users.list", "http_500")  # Slack fails; no retry helps
    await h.click_card(request_id, ActionId.APPROVE, catalogs.APPROVER2)
    reply = x.ephemeral_texts(h, catalogs.APPROVER2)[-1]
    assert "could not check your user-group membership with Slack" in reply
    assert "nothing was changed" in reply
    assert (await x.only_request(h)).status == "pending"
    [refused] = await h.audit("decision.refused")
    assert "could not check" in refused.details["why"]
    await h.click_card(request_id, ActionId.APPROVE, catalogs.APPROVER2)  # Slack is back
    assert (await x.only_grant(h)).status == "active"


async def test_revoke_and_audit_ask_slack_at_the_moment_too(h: BotHarness) -> None:
    grant = await x.request_and_approve(h, approver=catalogs.APPROVER2)
    await h.command("audit orders-prod", user_id=catalogs.APPROVER2)
    assert "Audit trail" in h.emu.ephemerals_to(catalogs.APPROVER2)[-1].text
    set_group_members(h.emu, catalogs.DBA_GROUP, [])

    await h.command(f"revoke {grant.id}", user_id=catalogs.APPROVER2)
    assert "Only the grant's holder" in x.ephemeral_texts(h, catalogs.APPROVER2)[-1]
    assert (await x.only_grant(h)).status == "active"
    await h.command("audit orders-prod", user_id=catalogs.APPROVER2)
    assert "Only approvers" in x.ephemeral_texts(h, catalogs.APPROVER2)[-1]
    assert [e.actor for e in await h.audit("revoke.refused")] == [catalogs.APPROVER2]
    assert [e.actor for e in await h.audit("audit.refused")] == [catalogs.APPROVER2]


async def test_every_decision_asks_slack_but_the_home_tab_uses_the_cache(h: BotHarness) -> None:
    for n, user_id in enumerate((catalogs.DEV, catalogs.DEV2)):
        request_id = await pending(h, 10 + n, user_id=user_id)
        await h.click_card(request_id, ActionId.APPROVE, catalogs.APPROVER2)
    assert len(await h.grants()) == 2
    lookups = [c for c in h.emu.calls if c.method == "usergroups.users.list"]
    # Filing each request counts the eligible approvers (cached); each approval asks afresh.
    assert len(lookups) == 3
    await h.emu.app_home_opened(catalogs.APPROVER2)
    await h.settle()
    assert len([c for c in h.emu.calls if c.method == "usergroups.users.list"]) == 3
