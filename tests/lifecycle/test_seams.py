"""The nine seams of issue 9: each once lost a grant, bypassed a rule or misled a user."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from bot.domain import GrantStatus, RequestKind, RequestStatus
from bot.ids import new_id
from bot.slack.actions import VALUE, ActionId, BlockId
from bot.store.models import AccessRequest, Grant
from bot.store.transactions import transaction
from scheduler.sweeps import Sweeper
from tests.e2e import helpers as x
from tests.scheduler.support import MovableClock, catalog_with, running_scheduler, wait_for
from tests.support import catalogs
from tests.support.harness import BotHarness

RW_TWO = "orders-prod rw 1h schema fix INC-1"


async def _scheduler_until(
    h: BotHarness, clock: MovableClock, done: Callable[[], Awaitable[Any]]
) -> Any:
    """Let time pass (leases lapse, backoffs end) with the scheduler running, until done."""
    async with running_scheduler(h.workflow.d, sweep=0.1):
        for _ in range(40):
            found = await done()
            if found:
                return found
            clock.advance(timedelta(minutes=1))
            await asyncio.sleep(0.15)
        return await wait_for(done, timeout=3)


def _links(h: BotHarness, user_id: str = catalogs.DEV) -> list[Any]:
    return [m for m in h.emu.dms_to(user_id) if "paste.test" in str(m.blocks)]


async def _grant_rw(h: BotHarness) -> Grant:
    await h.command(f"request {RW_TWO}")
    [request] = [r for r in await h.requests() if r.status == "pending"]
    await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)
    await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER2)
    [grant] = [g for g in await h.grants() if g.request_id == request.id]
    assert grant.status == GrantStatus.ACTIVE, h.emu.transcript()
    return grant


async def test_1_a_narrowed_extension_never_extends_the_higher_level(
    h: BotHarness, clock: MovableClock
) -> None:
    rw = await _grant_rw(h)
    await h.command(f"extend {rw.id} 8h")
    [extension] = [r for r in await h.requests() if r.status == "pending"]
    assert extension.kind == RequestKind.EXTENSION and extension.approvals_required == 2

    since = len(h.emu.calls)
    await h.click_card(extension.id, ActionId.APPROVE_CHANGED, catalogs.APPROVER)
    opened = await h.emu.wait_for_call("views.open", since=since)
    await h.emu.submit_view(
        opened.response["view"]["id"],
        user_id=catalogs.APPROVER,
        values={BlockId.LEVEL: {VALUE: "ro"}, BlockId.DURATION: {VALUE: "8h"}},
    )
    await h.settle()

    # One approver met ro's quorum, not rw's: the rw grant ends when it always did.
    [after] = [g for g in await h.grants() if g.id == rw.id]
    assert after.expires_at == rw.expires_at
    assert h.iam.policies[rw.principal_arn][rw.id] == rw.expires_at
    told = x.dm_texts(h, catalogs.DEV)
    assert not any(f"`{rw.id}`" in d and "now lasts until" in d for d in told)
    # What was approved is ro for 8h: a grant of its own.
    [ro] = [g for g in await h.grants() if g.level == "ro"]
    assert ro.status == GrantStatus.ACTIVE
    assert ro.expires_at is not None and ro.expires_at - ro.created_at == timedelta(hours=8)
    assert ro.request_id == extension.id


@pytest.mark.parametrize("error", ["ratelimited", "internal_error"])
async def test_2_a_slack_error_right_after_approve_does_not_lose_the_grant(
    h: BotHarness, clock: MovableClock, error: str
) -> None:
    await h.command("request orders-prod ro 1h INC-2")
    [request] = await h.requests()
    h.emu.fail_next("chat.postMessage", error)  # the first message after the decision
    await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)

    async def delivered() -> list[Any]:
        grants = [g for g in await h.grants() if g.status == GrantStatus.ACTIVE]
        return grants if grants and _links(h) else []

    [grant] = await _scheduler_until(h, clock, delivered)
    assert grant.request_id == request.id
    assert len(_links(h)) == 1
    assert len(await h.grants()) == 1


async def test_3_a_card_that_could_not_be_posted_is_posted_later(
    h: BotHarness, clock: MovableClock
) -> None:
    h.emu.fail_next("chat.postMessage", "internal_error")  # the card
    await h.command("request orders-prod ro 1h INC-3")
    [request] = await h.requests()
    assert request.status == RequestStatus.PENDING

    async def posted() -> bool:
        return bool(h.emu.messages_in(catalogs.ORDERS_CHANNEL))

    await _scheduler_until(h, clock, posted)
    assert len(h.emu.messages_in(catalogs.ORDERS_CHANNEL)) == 1
    await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)
    assert len(_links(h)) == 1


async def test_3_a_channel_the_bot_is_not_in_frees_the_requester_and_tells_everyone(
    h: BotHarness,
) -> None:
    h.emu.fail_next("chat.postMessage", "not_in_channel")
    await h.command("request orders-prod ro 1h INC-3b")
    told = " ".join(x.ephemeral_texts(h, catalogs.DEV) + x.dm_texts(h, catalogs.DEV))
    assert "approvers" in told and "/invite @db-access-bot" in told, told
    assert any("/invite @db-access-bot" in d for d in x.dm_texts(h, catalogs.ADMIN))
    [first] = await h.requests()
    assert first.status != RequestStatus.PENDING

    await h.command("request orders-prod ro 1h INC-3b again")  # not blocked as a duplicate
    second = [r for r in await h.requests() if r.status == RequestStatus.PENDING]
    assert len(second) == 1 and h.card_of(second[0].id)


async def test_4_an_extension_approved_as_the_sweep_revokes_stays_consistent(
    h: BotHarness, clock: MovableClock
) -> None:
    grant = await x.request_and_approve(h)
    await h.command(f"extend {grant.id} 1h")
    [extension] = [r for r in await h.requests() if r.status == "pending"]
    assert grant.expires_at is not None
    clock.move_to(grant.expires_at - timedelta(seconds=1))

    async def sweep_meanwhile(_: Any) -> None:
        clock.advance(timedelta(seconds=2))  # the grant's old end passes during the IAM call
        await Sweeper(h.workflow.d).run()

    h.iam.before_attach = sweep_meanwhile
    await h.click_card(extension.id, ActionId.APPROVE, catalogs.APPROVER)
    await Sweeper(h.workflow.d).run()

    grants = await h.grants()
    told = x.dm_texts(h, catalogs.DEV)
    for row in grants:
        has_policy = h.iam.has(row.principal_arn, row.id)
        assert has_policy == (row.status == GrantStatus.ACTIVE), (row.id, row.status)
        if row.status == GrantStatus.ACTIVE:
            assert h.iam.policies[row.principal_arn][row.id] == row.expires_at
    extended = [d for d in told if f"`{grant.id}`" in d and "now lasts until" in d]
    [first] = [g for g in grants if g.id == grant.id]
    if extended:
        assert first.status == GrantStatus.ACTIVE and first.expires_at > clock()
    assert any(g.status == GrantStatus.ACTIVE for g in grants)  # the extension was not lost


async def test_5_revoking_a_grant_being_set_up_wins_over_the_setup(
    h: BotHarness, clock: MovableClock
) -> None:
    await h.command("request orders-prod ro 1h INC-5")
    [request] = await h.requests()

    async def revoke_meanwhile(target: Any) -> None:
        await h.ops.revoke(catalogs.DEV, target.grant_id)

    h.iam.before_attach = revoke_meanwhile
    await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)
    await Sweeper(h.workflow.d).run()  # the sweep, not reconciliation

    [grant] = await h.grants()
    assert grant.status == GrantStatus.REVOKED
    assert not h.iam.has(grant.principal_arn, grant.id)
    assert _links(h) == []
    # A link may have been made in advance, beside the IAM call; it never reaches anyone.
    assert all("paste.test" not in str(c.params) for c in h.emu.calls)


async def test_6_two_submits_at_once_make_one_pending_request(h: BotHarness) -> None:
    await asyncio.gather(
        *(
            h.emu.slash_command("request orders-prod ro 1h INC-6", user_id=catalogs.DEV)
            for _ in range(3)
        )
    )
    await h.settle()
    pending = [r for r in await h.requests() if r.status == RequestStatus.PENDING]
    assert len(pending) == 1
    refused = [t for t in x.ephemeral_texts(h, catalogs.DEV) if "already have a pending" in t]
    assert len(refused) == 2, x.ephemeral_texts(h, catalogs.DEV)


async def test_6_the_store_refuses_a_second_pending_request(h: BotHarness) -> None:
    now = h.workflow.d.clock()

    def row() -> AccessRequest:
        return AccessRequest(
            id=new_id("r"),
            kind=RequestKind.NEW,
            status=RequestStatus.PENDING,
            requester_id=catalogs.DEV,
            requester_email="alice.smith@example.com",
            handle="alice_smith",
            database="orders-prod",
            level="ro",
            duration_s=3600,
            reason="dup",
            approvals_required=1,
            approvals_channel=catalogs.ORDERS_CHANNEL,
            version=0,
            created_at=now,
            expires_at=now + timedelta(minutes=30),
        )

    async with transaction(h.sessions) as session:
        session.add(row())
    with pytest.raises(IntegrityError):
        async with transaction(h.sessions) as session:
            session.add(row())


async def test_7_extending_a_standing_grant_keeps_it_standing(
    state_url: str, clock: MovableClock
) -> None:
    standing = {
        "ro": {"grants": ["pg_read_all_data"], "standing": True},
        "rw": {"grants": ["app_writer"], "approvals": 2},
    }
    catalog = catalogs.make_catalog(catalog_with({"orders-prod": {"levels": standing}}))
    async with BotHarness(state_url, catalog=catalog) as h:
        h.workflow.d.clock = clock
        grant = await x.request_and_approve(h)
        assert grant.expires_at is None
        await h.command(f"extend {grant.id} 1h")
        for request in [r for r in await h.requests() if r.status == "pending"]:
            await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)
        [after] = await h.grants()
        assert after.expires_at is None and after.standing
        assert h.iam.policies[after.principal_arn][after.id] is None
        assert "standing" in x.ephemeral_texts(h, catalogs.DEV)[-1]


async def test_8_no_token_for_a_grant_past_its_end(h: BotHarness, clock: MovableClock) -> None:
    grant = await x.request_and_approve(h)
    assert grant.expires_at is not None
    clock.move_to(grant.expires_at + timedelta(seconds=30))  # the sweep has not run yet
    minted = len(h.providers.minter.minted)  # type: ignore[attr-defined]

    await h.command(f"token {grant.id}")
    link_dm = _links(h)[-1]
    await x.click_message(h, link_dm, ActionId.NEW_TOKEN, catalogs.DEV)

    assert len(h.providers.minter.minted) == minted  # type: ignore[attr-defined]
    assert len(_links(h)) == 1
    assert all("ended" in t for t in x.ephemeral_texts(h, catalogs.DEV)[-2:])


async def test_9_a_missing_role_is_refused_before_any_card(h: BotHarness) -> None:
    role = "arn:aws:iam::123456789012:role/DatabasesRole_alice_smith"
    h.iam.missing.add(role)
    await h.command("request orders-prod ro 1h INC-9")
    assert h.emu.messages_in(catalogs.ORDERS_CHANNEL) == []
    assert all(r.status != RequestStatus.PENDING for r in await h.requests())
    told = x.ephemeral_texts(h, catalogs.DEV)[-1]
    assert role in told and "does not exist" in told
    assert h.dbadmin.users == {}


async def test_9_a_grant_that_fails_midway_drops_the_database_user_it_created(
    h: BotHarness, clock: MovableClock
) -> None:
    await h.command("request orders-prod ro 1h INC-9b")
    [request] = await h.requests()
    h.iam.fail_attach = 10  # IAM keeps refusing, past every retry
    await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)

    async def failed() -> bool:
        return any("could not be set up" in d for d in x.dm_texts(h, catalogs.DEV))

    await _scheduler_until(h, clock, failed)
    [grant] = await h.grants()
    assert grant.status == GrantStatus.REVOKED
    assert ("orders-prod", "alice_smith_ro") not in h.dbadmin.users
    assert _links(h) == []
