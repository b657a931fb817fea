"""`requesters`: the form offers only what someone may request; others are told who may."""

import pytest

from bot.slack.actions import BlockId
from tests.e2e import helpers as x
from tests.support import catalogs
from tests.support.harness import BotHarness

ORDERS_DEVS = "S0ORDERSDEVS"


@pytest.fixture
async def h(state_url: str):  # type: ignore[no-untyped-def]
    """The test catalog with orders-prod open only to the orders developers' group (DEV)."""
    data = catalogs.catalog_data()
    data["databases"]["orders-prod"]["requesters"] = [ORDERS_DEVS, catalogs.APPROVER]
    async with BotHarness(state_url, catalog=catalogs.make_catalog(data)) as harness:
        harness.emu.add_usergroup(ORDERS_DEVS, [catalogs.DEV])
        yield harness


async def test_the_form_offers_only_the_databases_someone_may_request(h: BotHarness) -> None:
    mine = await x.open_form(h, catalogs.DEV)
    assert x.options(mine, BlockId.DATABASE) == ["orders-prod", "analytics"]
    theirs = await x.open_form(h, catalogs.DEV2)
    assert x.options(theirs, BlockId.DATABASE) == ["analytics"]
    assert theirs.private_metadata == "analytics"


async def test_a_one_line_request_from_outside_names_who_may_request(h: BotHarness) -> None:
    await h.command("request orders-prod ro 1h INC-30", user_id=catalogs.DEV2)
    reply = x.ephemeral_texts(h, catalogs.DEV2)[-1]
    assert (
        f"Only <!subteam^{ORDERS_DEVS}>, <@{catalogs.APPROVER}> may request access to "
        "orders-prod" in reply
    )
    assert f"approvers (<@{catalogs.APPROVER}>, <!subteam^{catalogs.DBA_GROUP}>)" in reply
    assert h.emu.messages_in(catalogs.ORDERS_CHANNEL) == []
    [request] = await h.requests()
    assert request.status == "denied" and "may request access" in (request.deny_reason or "")
    [submitted] = await h.audit("request.submitted")
    assert (submitted.actor, submitted.details["outcome"]) == (catalogs.DEV2, "deny")

    await h.command("request orders-prod ro 1h INC-31", user_id=catalogs.DEV)
    assert len(h.emu.messages_in(catalogs.ORDERS_CHANNEL)) == 1  # a requester gets a card


async def test_someone_who_may_request_nothing_is_told_so(state_url: str) -> None:
    data = catalogs.catalog_data()
    for database in data["databases"].values():
        database["requesters"] = [ORDERS_DEVS]
    async with BotHarness(state_url, catalog=catalogs.make_catalog(data)) as h:
        h.emu.add_usergroup(ORDERS_DEVS, [catalogs.DEV])
        views = len(h.emu.views)
        await h.command("", user_id=catalogs.DEV2)
        assert len(h.emu.views) == views
        reply = x.ephemeral_texts(h, catalogs.DEV2)[-1]
        assert "not among the people who may request access to any database here" in reply
        assert f"<@{catalogs.ADMIN}>" in reply
