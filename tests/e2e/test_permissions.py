"""Who may do what: identity from Slack, self-approval, outsiders, groups, no approver left."""

import copy

from bot.slack.actions import ActionId
from tests.e2e import helpers as x
from tests.support import catalogs
from tests.support.harness import BotHarness

GUEST, ROBOT = "U0GUEST1", "U0ROBOT1"


async def test_identity_maps_email_to_role_and_db_user_with_overrides(state_url: str) -> None:
    data = catalogs.catalog_data(
        identity={
            **catalogs.BASE["identity"],
            "overrides": {"Dave@Example.com": {"handle": "dave_ops"}},
        }
    )
    async with BotHarness(state_url, catalog=catalogs.make_catalog(data)) as h:
        await h.command("request analytics ro 1h report", user_id=catalogs.DEV)
        await h.command("request analytics ro 1h report", user_id=catalogs.DEV2)
        by_user = {g.user_id: g for g in await h.grants()}
        alice, dave = by_user[catalogs.DEV], by_user[catalogs.DEV2]
        assert (alice.handle, alice.email) == ("alice_smith", "alice.smith@example.com")
        assert alice.principal_arn.endswith(":role/DatabasesRole_alice_smith")
        assert (dave.handle, dave.db_user) == ("dave_ops", "dave_ops_ro")
        assert dave.principal_arn == f"arn:aws:iam::{catalogs.ACCOUNT}:role/DatabasesRole_dave_ops"
        # users.info is cached: a second command by the same person asks Slack nothing.
        await h.command("request orders-prod ro 1h INC-1", user_id=catalogs.DEV)
        infos = [c for c in h.emu.calls if c.method == "users.info"]
        assert sorted(c.params["user"] for c in infos) == sorted([catalogs.DEV, catalogs.DEV2])


async def test_users_without_email_and_bots_are_refused_clearly(h: BotHarness) -> None:
    h.emu.add_user(GUEST, "no.mail")  # users.info has no profile.email (a missing scope)
    h.emu.add_user(ROBOT, "robot", email="robot@example.com", is_bot=True)
    ack = await h.command("request orders-prod ro 1h INC-1", user_id=GUEST)
    assert ack == {}
    [refusal] = x.ephemeral_texts(h, GUEST)
    assert "no email address" in refusal and "users:read.email" in refusal
    assert await h.requests() == []

    views_before = len(h.emu.views)
    await h.command("", user_id=GUEST)
    assert len(h.emu.views) == views_before  # no modal for someone who cannot be mapped
    assert "no email address" in x.ephemeral_texts(h, GUEST)[-1]

    await h.command("request orders-prod ro 1h beep", user_id=ROBOT)
    assert "Bots" in x.ephemeral_texts(h, ROBOT)[-1]
    assert await h.requests() == []
    refused = await h.audit("request.refused")
    assert {e.actor for e in refused} == {GUEST, ROBOT}
    assert all(e.details["why"] for e in refused)


async def test_requester_cannot_approve_or_deny_their_own_request(h: BotHarness) -> None:
    await h.command("request orders-prod ro 1h INC-2", user_id=catalogs.APPROVER)
    request = await x.only_request(h)
    for action_id in (ActionId.APPROVE, ActionId.APPROVE_CHANGED, ActionId.DENY):
        await h.click_card(request.id, action_id, catalogs.APPROVER)
    replies = x.ephemeral_texts(h, catalogs.APPROVER)[1:]
    assert len(replies) == 3
    assert "You cannot approve your own request." in replies[0]
    assert "You cannot deny your own request." in replies[2]
    assert [c for c in h.emu.calls if c.method == "views.open"] == []
    assert (await x.only_request(h)).status == "pending"
    refused = await h.audit("decision.refused")
    assert len(refused) == 3
    assert all(e.actor == catalogs.APPROVER and e.request_id == request.id for e in refused)
    # Another approver still can.
    await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER2)
    assert (await x.only_grant(h)).user_id == catalogs.APPROVER


async def test_outsider_click_is_refused_and_audited(h: BotHarness) -> None:
    await h.command("request orders-prod ro 1h INC-3")
    request = await x.only_request(h)
    card_versions = len(h.card_of(request.id).history)
    for action_id in (ActionId.APPROVE, ActionId.DENY):
        ack = await h.click_card(request.id, action_id, catalogs.OUTSIDER)
        assert ack == {}
    replies = x.ephemeral_texts(h, catalogs.OUTSIDER)
    assert replies[0].startswith("Only approvers of orders-prod can approve this request.")
    assert replies[1].startswith("Only approvers of orders-prod can deny this request.")
    [first, second] = await h.audit("decision.refused")
    assert (first.actor, first.request_id, first.database) == (
        catalogs.OUTSIDER,
        request.id,
        "orders-prod",
    )
    assert first.details["attempted"] == "approve" and second.details["attempted"] == "deny"
    assert (await x.only_request(h)).status == "pending"
    assert len(h.card_of(request.id).history) == card_versions
    assert await h.grants() == []


async def test_authorization_comes_from_the_stored_request(state_url: str) -> None:
    data = catalogs.catalog_data()
    data["databases"] = copy.deepcopy(data["databases"])
    del data["databases"]["analytics"]["auto_approve"]
    async with BotHarness(state_url, catalog=catalogs.make_catalog(data)) as h:
        await h.command("request analytics ro 1h report")
        request = await x.only_request(h)
        # APPROVER2 approves orders-prod (through the group), not analytics.
        await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER2)
        assert "Only approvers of analytics" in x.ephemeral_texts(h, catalogs.APPROVER2)[-1]
        # A forged click naming a request that does not exist changes nothing either.
        await h.emu.click(user_id=catalogs.APPROVER, action_id=ActionId.APPROVE, value="<!channel>")
        await h.settle()
        assert "There is no request `&lt;!channel&gt;`" in x.dm_texts(h, catalogs.APPROVER)[-1]
        assert (await x.only_request(h)).status == "pending"
        await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)
        assert (await x.only_grant(h)).database == "analytics"


async def test_no_eligible_approver_is_said_at_once(state_url: str) -> None:
    # The group is empty, so the requester is the only approver of orders-prod.
    async with BotHarness(state_url, group_members=()) as h:
        await h.command("request orders-prod ro 1h INC-4", user_id=catalogs.APPROVER)
        [reply] = x.ephemeral_texts(h, catalogs.APPROVER)
        assert "no approver other than you" in reply
        assert "no approver other than you" in x.dm_texts(h, catalogs.APPROVER)[-1]
        assert h.emu.messages_in(catalogs.ORDERS_CHANNEL) == []
        [request] = await h.requests()
        assert request.status == "denied"
        [submitted] = await h.audit("request.submitted")
        assert submitted.details["outcome"] == "deny"
