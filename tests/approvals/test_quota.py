"""Auto-approval with a quota: granted at once within it, sent to approvers past it, no race."""

import asyncio
from datetime import timedelta

from sqlalchemy import func, select, text

from bot.domain import ApprovalRule, RequestKind, RequestStatus
from bot.ids import new_id
from bot.policy import decide, validate
from bot.quota import apply_quota
from bot.slack.actions import ActionId
from bot.store.models import AccessRequest
from tests.approvals.conftest import BotWith
from tests.e2e import helpers as x
from tests.support import aws_seed, catalogs
from tests.support.harness import BotHarness

QUOTA = {"auto_approve": {"ro": {"max": 2, "per": "7d"}}}


async def _pending(h: BotHarness) -> list[AccessRequest]:
    return [r for r in await h.requests() if r.status == RequestStatus.PENDING]


async def test_within_the_quota_it_is_granted_at_once_and_says_how_much_is_left(
    bot_with: BotWith,
) -> None:
    async with bot_with(**QUOTA) as h:
        await h.command("request orders-prod ro 1h nightly check")
        [request] = await h.requests()
        assert request.status == RequestStatus.APPROVED and request.rule == ApprovalRule.AUTO
        assert "auto-approved (1 of 2 in 7d)" in x.ephemeral_texts(h, catalogs.DEV)[-1]
        grant = await x.only_grant(h)
        assert grant.status == "active"
        assert f"db-access-{grant.id}" in aws_seed.inline_policies(h.real.role_arn)
        card = str(h.card_of(request.id).blocks)
        assert "*Auto-approved* by the catalog rule (1 of 2 in 7d)" in card
        assert any(
            "auto-approved by the catalog rule (1 of 2 in 7d)" in d
            for d in x.dm_texts(h, catalogs.DEV)
        )
        [audited] = await h.audit("request.auto_approved")
        assert audited.details == {"rule": "auto", "note": "1 of 2 in 7d"}


async def test_extensions_and_revoked_grants_count_and_past_the_quota_approvers_decide(
    bot_with: BotWith,
) -> None:
    async with bot_with(**QUOTA) as h:
        await h.command("request orders-prod ro 1h nightly check")
        grant = await x.only_grant(h)
        await h.command(f"extend {grant.id} 1h")
        assert "auto-approved (2 of 2 in 7d)" in x.ephemeral_texts(h, catalogs.DEV)[-1]
        [extended] = await h.grants()
        assert extended.expires_at is not None and grant.expires_at is not None
        assert extended.expires_at - grant.expires_at >= timedelta(minutes=59)
        await h.command(f"revoke {grant.id}")
        assert (await x.only_grant(h)).status == "revoked"

        await h.command("request orders-prod ro 1h one more look")
        [pending] = await _pending(h)
        assert pending.rule is None and pending.kind == RequestKind.NEW
        reply = x.ephemeral_texts(h, catalogs.DEV)[-1]
        assert f"`{pending.id}` was sent to <#{catalogs.ORDERS_CHANNEL}> for 1 approval(s)" in reply
        assert "your 2 auto-approval(s) of ro on orders-prod in 7d are used up" in reply
        assert "Approve" in str(h.card_of(pending.id).blocks)
        await h.click_card(pending.id, ActionId.APPROVE, catalogs.APPROVER)
        assert len([g for g in await h.grants() if g.status == "active"]) == 1


async def test_the_window_slides_and_other_levels_do_not_count(bot_with: BotWith) -> None:
    async with bot_with(auto_approve={"ro": {"max": 1, "per": "1d"}}) as h:
        clock = x.use_clock(h)
        await h.command("request orders-prod ro 15m first")
        await h.command(f"revoke {(await x.only_grant(h)).id}")
        clock.advance(timedelta(hours=23))
        await h.command("request orders-prod ro 15m too soon")
        [waiting] = await _pending(h)
        await h.workflow.deny(waiting.id, catalogs.APPROVER, reason="wait a little")
        await h.command("request orders-prod rw 15m rw has no quota")
        assert [r.level for r in await _pending(h)] == ["rw"]
        clock.advance(timedelta(hours=1, minutes=1))
        await h.command("request orders-prod ro 15m a day later")
        assert "auto-approved (1 of 1 in 1d)" in x.ephemeral_texts(h, catalogs.DEV)[-1]
        assert len(await h.audit("request.auto_approved")) == 2


async def test_two_requests_at_once_do_not_both_slip_under_the_quota(bot_with: BotWith) -> None:
    async with bot_with(auto_approve={"ro": {"max": 1, "per": "7d"}}) as h:
        acks = await asyncio.gather(
            h.emu.slash_command("request orders-prod ro 1h first", user_id=catalogs.DEV),
            h.emu.slash_command("request orders-prod ro 1h second", user_id=catalogs.DEV),
        )
        assert acks == [{}, {}]
        await h.settle()
        requests = await h.requests()
        assert sorted(r.status for r in requests) == ["approved", "pending"], requests
        assert len(await h.audit("request.auto_approved")) == 1
        assert len(await h.grants()) == 1


async def test_a_filing_waits_for_the_one_that_holds_the_quota(bot_with: BotWith) -> None:
    """The count and the approval it allows are one transaction, locked across replicas."""
    async with bot_with(auto_approve={"ro": {"max": 1, "per": "7d"}}) as h:
        valid = validate(
            h.catalog, database="orders-prod", level="ro", duration="1h", reason="first"
        )
        verdict = decide(valid, may_request=True, eligible_approvers=frozenset())
        now = h.workflow.d.clock()
        second: asyncio.Task[object] | None = None
        async with h.sessions() as session, session.begin():
            held = await apply_quota(
                session, user_id=catalogs.DEV, request=valid, verdict=verdict, now=now
            )
            assert held.note == "1 of 1 in 7d"
            session.add(_auto_approved(now))
            await session.flush()
            # Another replica files the same person's request while this one is uncommitted.
            second = asyncio.create_task(h.workflow.submit(catalogs.DEV, valid))
            await _blocked_or_done(h, second)
        result = await second
        assert "was sent to" in result.message, result.message  # type: ignore[attr-defined]
        assert "used up" in result.message  # type: ignore[attr-defined]


def _auto_approved(now: object) -> AccessRequest:
    return AccessRequest(
        id=new_id("r"),
        kind=RequestKind.NEW,
        status=RequestStatus.APPROVED,
        requester_id=catalogs.DEV,
        requester_email="alice.smith@example.com",
        handle="alice_smith",
        database="orders-prod",
        level="ro",
        duration_s=3600,
        reason="first",
        approvals_required=1,
        approvals_channel=catalogs.ORDERS_CHANNEL,
        version=0,
        created_at=now,
        expires_at=now,
        decided_at=now,
        decided_by="auto",
        granted_level="ro",
        granted_duration_s=3600,
        rule=ApprovalRule.AUTO,
    )


async def _blocked_or_done(h: BotHarness, task: asyncio.Task[object]) -> None:
    """Until the task waits for a lock in PostgreSQL, or finished without waiting."""
    for _ in range(1000):
        if task.done():
            return
        async with h.sessions() as session:
            waiting = await session.scalar(
                select(func.count())
                .select_from(text("pg_locks"))
                .where(text("locktype = 'advisory' AND NOT granted"))
            )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the second filing neither finished nor waited for the lock")
