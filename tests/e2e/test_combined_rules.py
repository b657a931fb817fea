"""No approval rule gives way when features combine: several databases, on-behalf, later starts."""

from datetime import timedelta

from bot.lifecycle import Lifecycle
from bot.slack.actions import ActionId
from tests.e2e import asks
from tests.e2e import helpers as x
from tests.support import catalogs
from tests.support.harness import BotHarness


async def test_approvals_never_carry_over_between_databases(state_url: str) -> None:
    # Both approvers approve both databases; rw needs two approvals on each.
    billing = {"approvers": [catalogs.APPROVER, catalogs.APPROVER2]}
    async with BotHarness(state_url, catalog=asks.catalog(billing)) as h:
        await h.command("request orders-prod,billing-prod rw 1h INC-31")
        orders, billing_part = [r for r in await h.requests() if r.bundle_id]
        orders, billing_part = sorted((orders, billing_part), key=lambda r: r.id)
        await asks.click_part(h, orders, ActionId.APPROVE, catalogs.APPROVER)
        await asks.click_part(h, billing_part, ActionId.APPROVE, catalogs.APPROVER2)
        # One approval on each: neither database has its quorum, so nothing is granted.
        assert await h.grants() == []
        assert {r.status for r in await h.requests()} == {"pending"}
        card = str(asks.card_in(h, orders.bundle_id, catalogs.ORDERS_CHANNEL).blocks)
        assert card.count("1 of 2 approvals") == 2
        # The same approver twice on one database is still one approval.
        await asks.click_part(h, orders, ActionId.APPROVE, catalogs.APPROVER)
        assert "already decided" in x.ephemeral_texts(h, catalogs.APPROVER)[-1]
        await asks.click_part(h, orders, ActionId.APPROVE, catalogs.APPROVER2)
        assert [(g.database, g.level) for g in await h.grants()] == [("orders-prod", "rw")]


async def test_on_behalf_later_start_several_databases_each_rule_holds(state_url: str) -> None:
    carol = catalogs.APPROVER2  # approves orders-prod (through the group) and billing-prod
    data = asks.catalog_data({"approvers": [carol, catalogs.DEV2]})
    data["databases"]["orders-prod"]["approvers"].append(catalogs.ADMIN)
    async with BotHarness(state_url, catalog=catalogs.make_catalog(data)) as h:
        clock = x.use_clock(h)
        start = (clock.now + timedelta(hours=2)).replace(second=0, microsecond=0)
        await h.command(
            f"request {asks.mention(carol)} orders-prod,billing-prod ro 1h "
            f"--at {asks.iso(start)} audit prep",
            user_id=catalogs.ADMIN,
        )
        orders, billing = sorted(await h.requests(), key=lambda r: r.id)
        assert {(r.requester_id, r.filed_by, r.starts_at) for r in (orders, billing)} == {
            (carol, catalogs.ADMIN, start)
        }
        [told] = [m for m in h.emu.dms_to(carol) if str(orders.bundle_id) in m.text]
        assert f"<@{catalogs.ADMIN}>" in told.text

        # carol is the requester: she approves neither; the admin filed it: nor does he.
        await asks.click_part(h, billing, ActionId.APPROVE, carol)
        await asks.click_part(h, orders, ActionId.APPROVE, catalogs.ADMIN)
        assert await h.grants() == [] and {r.status for r in await h.requests()} == {"pending"}
        await asks.click_part(h, orders, ActionId.APPROVE, catalogs.APPROVER)
        await asks.click_part(h, billing, ActionId.APPROVE, catalogs.DEV2)
        grants = await h.grants()
        assert {(g.database, g.user_id, g.status, g.starts_at) for g in grants} == {
            ("orders-prod", carol, "scheduled", start),
            ("billing-prod", carol, "scheduled", start),
        }

        clock.now = start + timedelta(seconds=1)
        await Lifecycle(h.workflow.d).steps.run_due()
        await h.settle()
        assert {(g.status, g.expires_at) for g in await h.grants()} == {
            ("active", start + timedelta(hours=1))
        }
        assert len([d for d in x.dm_texts(h, carol) if "paste.test" in d]) == 2


async def test_a_scheduled_grant_cannot_be_stretched_before_it_starts(h: BotHarness) -> None:
    clock = x.use_clock(h)
    start = clock.now + timedelta(hours=1)
    await h.command(f"request orders-prod ro 1h --at {asks.iso(start)} INC-32")
    await h.click_card((await x.only_request(h)).id, ActionId.APPROVE, catalogs.APPROVER)
    grant = await x.only_grant(h)
    await h.command(f"extend {grant.id} 8h")
    assert "its login link comes then" in x.ephemeral_texts(h, catalogs.DEV)[-1]
    assert [r.kind for r in await h.requests()] == ["new"]
    # Asking again for the same database and level is a new request with its own approval.
    await h.command("request orders-prod ro 8h INC-32 more")
    again = next(r for r in await h.requests() if r.status == "pending")
    assert again.kind == "new" and again.extends_grant_id is None
