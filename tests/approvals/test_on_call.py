"""On-call approval: who PagerDuty says is on call gets the covered levels at once; nobody else."""

from bot.domain import ApprovalRule, RequestStatus
from tests.approvals.conftest import BotWith
from tests.approvals.support import SCHEDULE, db_roles, links_in_dms
from tests.e2e import helpers as x
from tests.support import aws_seed, catalogs
from tests.support.harness import BotHarness
from tests.support.pagerduty_emulator import PagerDutyEmulator
from tests.support.postgres_server import PostgresServer

ON_CALL = {"on_call": {"pagerduty_schedule": SCHEDULE, "levels": ["rw"], "max_duration": "4h"}}
ALICE = "alice.smith@example.com"


async def _sent_to_approvers(h: BotHarness, needed: int = 2) -> None:
    [request] = await h.requests()
    assert request.status == RequestStatus.PENDING and request.rule is None
    assert f"for {needed} approval(s)" in x.ephemeral_texts(h, catalogs.DEV)[-1]
    assert await h.grants() == []


async def test_the_person_on_call_gets_read_write_at_once(
    bot_with: BotWith, pagerduty: PagerDutyEmulator, postgres_server: PostgresServer
) -> None:
    pagerduty.put_on_call(SCHEDULE, "Alice.Smith@Example.com")
    async with bot_with(pagerduty, **ON_CALL) as h:
        await h.command("request orders-prod rw 1h INC-77 paged for disk full")
        [request] = await h.requests()
        assert request.status == RequestStatus.APPROVED and request.rule == ApprovalRule.ON_CALL
        reply = x.ephemeral_texts(h, catalogs.DEV)[-1]
        assert "auto-approved (on call in PagerDuty schedule PDBAS01)" in reply
        grant = await x.only_grant(h)
        assert grant.status == "active" and grant.level == "rw"
        assert f"db-access-{grant.id}" in aws_seed.inline_policies(h.real.role_arn)
        assert db_roles(postgres_server, h.real.target_db, "alice_smith_rw") == "app_writer,rds_iam"
        assert len(links_in_dms(h, catalogs.DEV)) == 1
        card = str(h.card_of(request.id).blocks)
        assert (
            f"*Auto-approved*: <@{catalogs.DEV}> is on call in PagerDuty schedule {SCHEDULE}"
        ) in card
        assert any(
            "auto-approved because you are on call in PagerDuty schedule PDBAS01" in d
            for d in x.dm_texts(h, catalogs.DEV)
        )
        [asked] = pagerduty.oncall_requests()
        assert ("schedule_ids[]", SCHEDULE) in asked.params and asked.authorized
        assert h.metrics.on_call_lookups.labels("on_call")._value.get() == 1


async def test_someone_not_on_call_goes_to_the_approvers(
    bot_with: BotWith, pagerduty: PagerDutyEmulator
) -> None:
    pagerduty.put_on_call(SCHEDULE, "dave@example.com")
    async with bot_with(pagerduty, **ON_CALL) as h:
        await h.command("request orders-prod rw 1h INC-78")
        await _sent_to_approvers(h)
        assert len(pagerduty.oncall_requests()) == 1


async def test_pagerduty_down_means_not_on_call(
    bot_with: BotWith, pagerduty: PagerDutyEmulator
) -> None:
    pagerduty.put_on_call(SCHEDULE, ALICE)
    pagerduty.fail_next(500)
    async with bot_with(pagerduty, **ON_CALL) as h:
        await h.command("request orders-prod rw 1h INC-79")
        await _sent_to_approvers(h)
        [audited] = await h.audit("oncall.unavailable")
        assert audited.database == "orders-prod" and "HTTP 500" in audited.details["error"]
        assert h.metrics.on_call_lookups.labels("failed")._value.get() == 1


async def test_pagerduty_slow_means_not_on_call(
    bot_with: BotWith, pagerduty: PagerDutyEmulator
) -> None:
    pagerduty.put_on_call(SCHEDULE, ALICE)
    pagerduty.delay = 2.0
    async with bot_with(pagerduty, **ON_CALL) as h:
        await h.command("request orders-prod rw 1h INC-80")
        await _sent_to_approvers(h)
        [audited] = await h.audit("oncall.unavailable")
        assert "did not answer within 0.5 s" in audited.details["error"]


async def test_a_refused_token_means_not_on_call_and_is_never_shown(
    bot_with: BotWith, pagerduty: PagerDutyEmulator
) -> None:
    pagerduty.put_on_call(SCHEDULE, ALICE)
    pagerduty.fail_next(401)
    async with bot_with(pagerduty, **ON_CALL) as h:
        await h.command("request orders-prod rw 1h INC-81")
        await _sent_to_approvers(h)
        [audited] = await h.audit("oncall.unavailable")
        assert "check PAGERDUTY_TOKEN" in audited.details["error"]
        assert pagerduty.token not in str([c.params for c in h.emu.calls])
        assert pagerduty.token not in str([e.details for e in await h.audit()])


async def test_levels_and_durations_it_does_not_cover_do_not_ask_pagerduty(
    bot_with: BotWith, pagerduty: PagerDutyEmulator
) -> None:
    pagerduty.put_on_call(SCHEDULE, ALICE)
    async with bot_with(pagerduty, **ON_CALL) as h:
        await h.command("request orders-prod rw 8h longer than on-call covers")
        await _sent_to_approvers(h)
        await h.command("request orders-prod ro 1h ro is not covered")
        assert "for 1 approval(s)" in x.ephemeral_texts(h, catalogs.DEV)[-1]
        assert pagerduty.oncall_requests() == []


async def test_without_a_token_nobody_is_on_call(bot_with: BotWith) -> None:
    async with bot_with(**ON_CALL) as h:
        await h.command("request orders-prod rw 1h INC-82")
        await _sent_to_approvers(h)
        [audited] = await h.audit("oncall.unavailable")
        assert "PAGERDUTY_TOKEN is not set" in audited.details["error"]
