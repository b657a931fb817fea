"""Break-glass: access at once for the people listed, loudly, and refused to everyone else."""

import asyncio
import json

from bot.domain import ApprovalRule, RequestStatus
from bot.slack.actions import VALUE, ActionId, BlockId
from tests.approvals.conftest import BotWith
from tests.approvals.support import db_roles, links_in_dms
from tests.e2e import helpers as x
from tests.support import aws_seed, catalogs
from tests.support.harness import BotHarness
from tests.support.pbin_reader import pbincli_read
from tests.support.postgres_server import PostgresServer

BREAKGLASS = {"breakglass": {"users": [catalogs.DEV], "levels": ["rw"], "max_duration": "1h"}}
LINE = "breakglass orders-prod rw 1h primary is down, INC-99"


def card_text(h: BotHarness, request_id: str) -> str:
    return json.dumps(h.card_of(request_id).blocks)


async def test_breaking_the_glass_grants_at_once_and_tells_everyone(
    bot_with: BotWith, postgres_server: PostgresServer
) -> None:
    async with bot_with(**BREAKGLASS) as h:
        ack = await h.command(LINE)
        assert ack == {}
        [request] = await h.requests()
        assert request.status == RequestStatus.APPROVED and request.rule == ApprovalRule.BREAKGLASS
        assert request.decided_by == catalogs.DEV and request.review is None
        reply = x.ephemeral_texts(h, catalogs.DEV)[-1]
        assert f"Break-glass `{request.id}`: you have `rw` on `orders-prod` for 1h" in reply
        grant = await x.only_grant(h)
        assert grant.status == "active" and grant.level == "rw"
        assert f"db-access-{grant.id}" in aws_seed.inline_policies(h.real.role_arn)
        assert db_roles(postgres_server, h.real.target_db, "alice_smith_rw") == "app_writer,rds_iam"
        [link] = links_in_dms(h, catalogs.DEV)
        assert "user=alice_smith_rw" in await asyncio.to_thread(pbincli_read, link)

        card = h.card_of(request.id)
        assert card.channel == catalogs.ORDERS_CHANNEL
        shown = card_text(h, request.id)
        for words in (
            "BREAK-GLASS",
            f"<@{catalogs.DEV}> took `rw` on `orders-prod` for 1h without approval",
            "primary is down, INC-99",
            "*Ends:*",
            "*Not reviewed yet.*",
            f"Granted as `{grant.id}`",
        ):
            assert words in shown, words
        assert ActionId.BREAKGLASS_ACK in shown and ActionId.BREAKGLASS_FLAG in shown
        assert "BREAK-GLASS" in card.text

        [alert] = h.emu.dms_to(catalogs.ADMIN)
        alerted = json.dumps(alert.blocks)
        assert f"<@{catalogs.DEV}> took `rw` on `orders-prod` for 1h" in alerted
        assert "primary is down, INC-99" in alerted and ActionId.BREAKGLASS_ACK in alerted
        assert any("granted by break-glass" in d for d in x.dm_texts(h, catalogs.DEV))
        [used] = await h.audit("breakglass.used")
        assert used.actor == catalogs.DEV and used.details["admins"] == [catalogs.ADMIN]
        assert h.metrics.breakglass.labels("orders-prod", "rw")._value.get() == 1
        assert "dbab_breakglass_total" in h.metrics.render().decode()
        x.assert_readable_fallbacks(h)


async def test_people_not_on_the_list_are_refused_and_it_is_audited(bot_with: BotWith) -> None:
    async with bot_with(**BREAKGLASS) as h:
        await h.command(LINE, user_id=catalogs.DEV2)
        reply = x.ephemeral_texts(h, catalogs.DEV2)[-1]
        assert "You are not on the break-glass list of orders-prod" in reply
        assert "/db-access request orders-prod rw" in reply
        assert await h.requests() == [] and await h.grants() == []
        assert h.emu.messages_in(catalogs.ORDERS_CHANNEL) == []
        assert h.emu.dms_to(catalogs.ADMIN) == []
        [refused] = await h.audit("breakglass.refused")
        assert refused.actor == catalogs.DEV2 and refused.database == "orders-prod"


async def test_what_the_rule_does_not_cover_is_refused_at_once(bot_with: BotWith) -> None:
    async with bot_with(**BREAKGLASS) as h:
        for line, words in (
            ("breakglass orders-prod ro 1h x", "covers rw only, not ro"),
            ("breakglass orders-prod rw 4h x", "lasts at most 1h"),
            ("breakglass orders-prod rw soon x", "is not a duration"),
            ("breakglass analytics ro 1h x", "analytics has no break-glass"),
            ("breakglass orders-prod rw", "<duration> is missing"),
        ):
            ack = await h.command(line)
            assert words in ack["text"], (line, ack)
        assert await h.requests() == []
        assert len(await h.audit("command.rejected")) == 5


async def test_access_already_held_is_not_broken_into_again(bot_with: BotWith) -> None:
    async with bot_with(**BREAKGLASS) as h:
        await h.command(LINE)
        grant = await x.only_grant(h)
        await h.command("breakglass orders-prod rw 30m again")
        reply = x.ephemeral_texts(h, catalogs.DEV)[-1]
        assert f"You already hold rw on orders-prod (grant `{grant.id}`" in reply
        assert f"/db-access extend {grant.id}" in reply
        assert len(await h.requests()) == 1
        [refused] = await h.audit("breakglass.refused")
        assert "already hold" in refused.details["why"]


async def test_the_request_form_offers_break_glass_where_the_database_has_it(
    bot_with: BotWith,
) -> None:
    async with bot_with(**BREAKGLASS) as h:
        view = await x.open_form(h)
        assert x.options(view, BlockId.BREAKGLASS) == ["breakglass"]
        values = x.form_values("orders-prod", "rw", "4h", "primary down")
        values[BlockId.BREAKGLASS] = {VALUE: ["breakglass"]}
        ack = await h.emu.submit_view(view.id, user_id=catalogs.DEV, values=values)
        assert ack["response_action"] == "errors"
        assert "lasts at most 1h" in ack["errors"][BlockId.DURATION]

        values = x.form_values("orders-prod", "rw", "1h", "primary down")
        values[BlockId.BREAKGLASS] = {VALUE: ["breakglass"]}
        outsider = await x.open_form(h, catalogs.DEV2)
        ack = await h.emu.submit_view(outsider.id, user_id=catalogs.DEV2, values=values)
        assert "not on the break-glass list" in ack["errors"][BlockId.BREAKGLASS]
        assert await h.requests() == []

        ack = await h.emu.submit_view(view.id, user_id=catalogs.DEV, values=values)
        await h.settle()
        assert ack == {}
        [request] = await h.requests()
        assert request.rule == ApprovalRule.BREAKGLASS
        assert (await x.only_grant(h)).status == "active"

        other = await x.open_form(h)
        await h.emu.click(
            user_id=catalogs.DEV,
            action_id="dab_pick_database",
            view_id=other.id,
            selected_option="analytics",
        )
        await h.settle()
        assert all(b.get("block_id") != BlockId.BREAKGLASS for b in h.emu.views[other.id].blocks)


async def test_help_names_break_glass(bot_with: BotWith) -> None:
    async with bot_with() as h:
        ack = await h.command("help")
        assert "/db-access breakglass <db> <level> <duration> <reason…>" in ack["text"]


async def test_when_slack_cannot_say_who_is_on_the_list_the_answer_is_no(
    bot_with: BotWith,
) -> None:
    rule = {"users": [catalogs.DBA_GROUP], "levels": ["rw"], "max_duration": "1h"}
    async with bot_with(breakglass=rule) as h:
        h.emu.fail_next("usergroups.users.list", "internal_error")
        await h.command(LINE, user_id=catalogs.APPROVER2)  # a member of the group
        reply = x.ephemeral_texts(h, catalogs.APPROVER2)[-1]
        assert "could not check your user-group membership" in reply
        assert "did not break the glass" in reply
        assert await h.requests() == [] and await h.grants() == []
        [refused] = await h.audit("breakglass.refused")
        assert refused.actor == catalogs.APPROVER2
