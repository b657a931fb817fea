"""Admins file requests for someone else: the target is the requester, both are told."""

from collections.abc import AsyncIterator

import pytest

from bot.catalog.model import Catalog
from bot.slack.actions import ActionId
from tests.e2e import asks
from tests.e2e import helpers as x
from tests.support import catalogs
from tests.support.harness import BotHarness

TARGET = catalogs.APPROVER2  # carol: an approver of orders-prod (through the DBA group)


def admin_approves(data: dict | None = None) -> Catalog:
    """The base catalog where the admin is also an approver of orders-prod."""
    data = data or catalogs.catalog_data()
    data["databases"]["orders-prod"]["approvers"].append(catalogs.ADMIN)
    return catalogs.make_catalog(data)


@pytest.fixture
async def ha(state_url: str) -> AsyncIterator[BotHarness]:
    """A bot whose admin approves orders-prod too."""
    async with BotHarness(state_url, catalog=admin_approves()) as harness:
        yield harness


async def test_admin_files_for_an_approver_who_cannot_approve_it(h: BotHarness) -> None:
    ack = await h.command(
        f"request {asks.mention(TARGET)} orders-prod ro 1h covering INC-9 &amp; friends",
        user_id=catalogs.ADMIN,
    )
    assert ack == {}
    request = await x.only_request(h)
    assert (request.requester_id, request.filed_by) == (TARGET, catalogs.ADMIN)
    assert (request.requester_email, request.handle) == ("carol@example.com", "carol")
    assert request.reason == "covering INC-9 & friends"
    [reply] = x.ephemeral_texts(h, catalogs.ADMIN)
    assert request.id in reply and f"for <@{TARGET}>" in reply and "were told" in reply

    [told] = h.emu.dms_to(TARGET)
    assert request.id in told.text and f"<@{catalogs.ADMIN}>" in told.text
    assert (ActionId.WITHDRAW, request.id) in asks.actions_of(told)
    shown = str(h.card_of(request.id).blocks)
    assert f"*Requester:* <@{TARGET}>" in shown and f"*Filed by:* <@{catalogs.ADMIN}>" in shown
    [filed] = await h.audit("request.submitted")
    assert filed.actor == catalogs.ADMIN
    assert (filed.details["requester"], filed.details["filed_by"]) == (TARGET, catalogs.ADMIN)

    # The target is the requester: an approver of the database, still not of their own request.
    await h.click_card(request.id, ActionId.APPROVE, TARGET)
    assert "cannot approve your own request" in x.ephemeral_texts(h, TARGET)[-1]
    assert (await x.only_request(h)).status == "pending"

    await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)
    grant = await x.only_grant(h)
    assert grant.status == "active" and grant.user_id == TARGET
    assert grant.principal_arn.endswith(":role/DatabasesRole_carol")
    assert grant.db_user == "carol_ro"
    assert "https://paste.test/" in x.dm_texts(h, TARGET)[-1]  # the link goes to the target
    assert not any("paste.test" in d for d in x.dm_texts(h, catalogs.ADMIN))
    assert any(request.id in d and "was approved" in d for d in x.dm_texts(h, catalogs.ADMIN))


async def test_the_admin_who_filed_it_cannot_approve_it(ha: BotHarness) -> None:
    await ha.command(
        f"request <@{catalogs.DEV}> orders-prod ro 1h INC-3", user_id=catalogs.ADMIN
    )  # the mention without a name, as Slack also sends
    request = await x.only_request(ha)
    assert request.requester_id == catalogs.DEV
    await ha.click_card(request.id, ActionId.APPROVE, catalogs.ADMIN)
    assert "You filed this request" in x.ephemeral_texts(ha, catalogs.ADMIN)[-1]
    assert (await x.only_request(ha)).status == "pending" and await ha.grants() == []
    [refused] = await ha.audit("decision.refused")
    assert refused.actor == catalogs.ADMIN and refused.request_id == request.id


async def test_filing_for_someone_does_not_lower_the_quorum(state_url: str) -> None:
    # rw needs 2 approvals; besides the admin who files it, only bob approves: that is too few.
    data = catalogs.catalog_data()
    data["databases"]["orders-prod"]["approvers"] = [catalogs.APPROVER]
    async with BotHarness(state_url, catalog=admin_approves(data)) as h:
        await h.command(
            f"request {asks.mention(catalogs.DEV)} orders-prod rw 1h INC-4", user_id=catalogs.ADMIN
        )
        request = await x.only_request(h)
        assert request.status == "denied" and "needs 2 approval(s)" in request.deny_reason
        assert await h.grants() == []
        assert "refused" in x.ephemeral_texts(h, catalogs.ADMIN)[-1]


async def test_only_admins_file_for_someone_else(h: BotHarness) -> None:
    ack = await h.command(f"request {asks.mention(catalogs.DEV2)} orders-prod ro 1h x")
    assert ack == {}
    assert (
        "Only admins can request access for someone else" in x.ephemeral_texts(h, catalogs.DEV)[-1]
    )
    assert await h.requests() == []
    assert h.emu.dms_to(catalogs.DEV2) == []
    [refused] = await h.audit("request.refused")
    assert refused.actor == catalogs.DEV and refused.details["for_user"] == catalogs.DEV2


async def test_a_name_that_did_not_become_a_mention_is_explained(h: BotHarness) -> None:
    ack = await h.command("request @dave orders-prod ro 1h x", user_id=catalogs.ADMIN)
    assert "`@dave` is not a mention of a Slack user" in ack["text"]
    assert await h.requests() == []


async def test_someone_who_cannot_have_access_is_refused(h: BotHarness) -> None:
    h.emu.add_user("U0ROBOT", "robot", email="robot@example.com", is_bot=True)
    await h.command("request <@U0ROBOT|robot> orders-prod ro 1h x", user_id=catalogs.ADMIN)
    assert "<@U0ROBOT> cannot be given database access" in x.ephemeral_texts(h, catalogs.ADMIN)[-1]
    assert await h.requests() == []
    [refused] = await h.audit("request.refused")
    assert refused.actor == catalogs.ADMIN and refused.details["for_user"] == "U0ROBOT"


async def test_denial_reaches_the_target_and_the_admin(h: BotHarness) -> None:
    await h.command(
        f"request {asks.mention(catalogs.DEV)} orders-prod ro 1h INC-5", user_id=catalogs.ADMIN
    )
    request = await x.only_request(h)
    await h.workflow.deny(request.id, catalogs.APPROVER, reason="not during the freeze")
    await h.settle()
    assert any("denied" in d and "freeze" in d for d in x.dm_texts(h, catalogs.DEV))
    assert any("you filed" in d and "freeze" in d for d in x.dm_texts(h, catalogs.ADMIN))
