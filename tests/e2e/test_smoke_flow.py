"""The shortest real path: one-line request, approval click, DM with a one-time link."""

from bot.slack.actions import ActionId
from tests.support import catalogs
from tests.support.harness import BotHarness


async def test_one_line_request_approved_delivers_link(state_url: str) -> None:
    async with BotHarness(state_url) as h:
        ack = await h.command("request orders-prod ro 1h investigating INC-42")
        assert ack == {}
        [request] = await h.requests()
        card = h.card_of(request.id)
        assert card.channel == catalogs.ORDERS_CHANNEL
        await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)
        [grant] = await h.grants()
        assert grant.status == "active"
        assert h.iam.has(grant.principal_arn, grant.id)
        dms = h.emu.dms_to(catalogs.DEV)
        assert any("https://paste.test/" in str(m.blocks) for m in dms), h.emu.transcript()
