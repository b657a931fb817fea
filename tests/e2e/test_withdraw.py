"""A requester takes back a pending request: from the DM, from `list`, by command; nobody else."""

import asyncio

import pytest
from sqlalchemy import func, select, text

from bot.errors import AlreadyDecided
from bot.slack.actions import ActionId
from tests.e2e import asks
from tests.e2e import helpers as x
from tests.support import catalogs
from tests.support.harness import BotHarness


async def test_withdraw_button_in_the_dm_closes_the_request_and_its_card(h: BotHarness) -> None:
    await h.command("request orders-prod rw 1h INC-8 hotfix")
    request = await x.only_request(h)
    await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)  # 1 of 2
    filed = next(m for m in h.emu.dms_to(catalogs.DEV) if request.id in m.text)
    assert (ActionId.WITHDRAW, request.id) in asks.actions_of(filed)

    await x.click_message(h, filed, ActionId.WITHDRAW, catalogs.DEV)
    withdrawn = await x.only_request(h)
    assert withdrawn.status == "withdrawn" and withdrawn.decided_by == catalogs.DEV
    assert any(f"Withdrew request `{request.id}`" in t for t in x.ephemeral_texts(h, catalogs.DEV))
    card = h.card_of(request.id)
    assert f"*Withdrawn* by <@{catalogs.DEV}>" in str(card.blocks)
    assert not any(b["type"] == "actions" for b in card.blocks)
    [event] = await h.audit("request.withdrawn")
    assert event.actor == catalogs.DEV and event.request_id == request.id

    # A click from a card shown before (a client that has not refreshed) changes nothing.
    with pytest.raises(AlreadyDecided, match="already withdrawn"):
        await h.workflow.approve(request.id, catalogs.APPROVER2)
    assert await h.grants() == []
    # Withdrawn, it no longer blocks asking again for the same database and level.
    await h.command("request orders-prod rw 1h INC-8 hotfix, second try")
    assert len([r for r in await h.requests() if r.status == "pending"]) == 1


async def test_withdraw_by_command_and_from_list(h: BotHarness) -> None:
    await h.command("request orders-prod ro 1h INC-1")
    await h.command("request orders-prod rw 1h INC-2")
    first, second = sorted(await h.requests(), key=lambda r: r.level)
    await h.command(f"withdraw {first.id}")
    assert f"Withdrew request `{first.id}`" in x.ephemeral_texts(h, catalogs.DEV)[-1]

    await h.command("list")
    listing = h.emu.ephemerals_to(catalogs.DEV)[-1]
    assert (ActionId.WITHDRAW, second.id) in asks.actions_of(listing)
    assert first.id not in listing.text
    await x.click_message(h, listing, ActionId.WITHDRAW, catalogs.DEV)
    assert {r.status for r in await h.requests()} == {"withdrawn"}
    assert len(await h.audit("request.withdrawn")) == 2


async def test_nobody_else_withdraws_a_request(h: BotHarness) -> None:
    await h.command("request orders-prod ro 1h INC-1")
    request = await x.only_request(h)
    for someone in (catalogs.DEV2, catalogs.APPROVER, catalogs.ADMIN):
        await h.command(f"withdraw {request.id}", user_id=someone)
        assert "is not yours" in x.ephemeral_texts(h, someone)[-1]
    filed = next(m for m in h.emu.dms_to(catalogs.DEV) if request.id in m.text)
    await h.emu.click(
        user_id=catalogs.DEV2, action_id=ActionId.WITHDRAW, message=(filed.channel, filed.ts)
    )  # a forwarded or replayed button
    await h.settle()
    assert (await x.only_request(h)).status == "pending"
    refused = await h.audit("request.withdraw_refused")
    assert {e.actor for e in refused} == {catalogs.DEV2, catalogs.APPROVER, catalogs.ADMIN}
    await h.command("withdraw rnosuchone")
    assert "There is no request `rnosuchone`" in x.ephemeral_texts(h, catalogs.DEV)[-1]


async def test_withdrawing_a_decided_request_says_what_happened(h: BotHarness) -> None:
    grant = await x.request_and_approve(h)
    await h.command(f"withdraw {grant.request_id}")
    reply = x.ephemeral_texts(h, catalogs.DEV)[-1]
    assert "nothing left to withdraw" in reply and "already approved" in reply
    assert "/db-access revoke" in reply
    assert (await x.only_grant(h)).status == "active"


async def test_on_behalf_request_withdrawn_by_either_side_tells_the_other(h: BotHarness) -> None:
    await h.command(
        f"request {asks.mention(catalogs.DEV)} orders-prod ro 1h INC-6", user_id=catalogs.ADMIN
    )
    await h.command(
        f"request {asks.mention(catalogs.DEV)} orders-prod rw 1h INC-6", user_id=catalogs.ADMIN
    )
    ro, rw = sorted(await h.requests(), key=lambda r: r.level)
    await h.command(f"withdraw {ro.id}", user_id=catalogs.DEV)  # the target
    assert any(
        f"<@{catalogs.DEV}> withdrew request `{ro.id}`" in d for d in x.dm_texts(h, catalogs.ADMIN)
    )
    await h.command(f"withdraw {rw.id}", user_id=catalogs.ADMIN)  # the admin who filed it
    assert any(
        f"<@{catalogs.ADMIN}> withdrew request `{rw.id}`" in d and "for you" in d
        for d in x.dm_texts(h, catalogs.DEV)
    )
    assert {r.status for r in await h.requests()} == {"withdrawn"}


async def _waiting_on_locks(h: BotHarness) -> int:
    async with h.sessions() as session:
        return (
            await session.scalar(
                select(func.count()).select_from(text("pg_locks")).where(text("NOT granted"))
            )
            or 0
        )


async def test_withdraw_and_the_deciding_approval_at_once_give_one_outcome(h: BotHarness) -> None:
    for round_ in range(4):
        await h.command(f"request orders-prod ro 1h INC-7 round {round_}")
        [request] = [r for r in await h.requests() if r.status == "pending"]
        # Both read the pending row, then both write it: the row's lock makes them meet.
        async with h.sessions() as blocker, blocker.begin():
            await blocker.execute(
                text("SELECT 1 FROM access_requests WHERE id = :id FOR NO KEY UPDATE"),
                {"id": request.id},
            )
            approve = asyncio.create_task(h.workflow.approve(request.id, catalogs.APPROVER))
            withdraw = asyncio.create_task(
                h.workflow.withdrawals.withdraw(catalogs.DEV, request.id)
            )
            while await _waiting_on_locks(h) < 2:
                await asyncio.sleep(0.02)
        approved, withdrew = await asyncio.gather(approve, withdraw, return_exceptions=True)
        await h.settle()
        [final] = [r for r in await h.requests() if r.id == request.id]
        grants = [g for g in await h.grants() if g.request_id == request.id]
        if final.status == "approved":  # the approval won; the withdrawal says so
            assert [g.status for g in grants] == ["active"]
            assert approved == f"Approved `{request.id}`."
            assert "already approved" in str(withdrew)
        else:  # the withdrawal won; the approval found nothing left to decide
            assert final.status == "withdrawn" and grants == []
            assert isinstance(approved, AlreadyDecided) and "withdrawn" in str(approved)
            assert f"Withdrew request `{request.id}`" in str(withdrew)
        for grant in grants:
            await h.command(f"revoke {grant.id}")


@pytest.mark.parametrize(
    ("meanwhile", "outcome"),
    [
        ("version = version + 1", "withdrawn"),  # a first approval of two: still pending
        ("version = version + 1, status = 'approved'", "approved"),  # the deciding approval
    ],
)
async def test_a_change_between_reading_and_withdrawing_is_seen(
    h: BotHarness, meanwhile: str, outcome: str
) -> None:
    await h.command("request orders-prod rw 1h INC-7")
    request = await x.only_request(h)
    async with h.sessions() as other, other.begin():
        await other.execute(
            text(f"UPDATE access_requests SET {meanwhile} WHERE id = :id"), {"id": request.id}
        )
        withdraw = asyncio.create_task(h.workflow.withdrawals.withdraw(catalogs.DEV, request.id))
        while await _waiting_on_locks(h) < 1:  # it read the old version and waits to write
            await asyncio.sleep(0.02)
    reply = await withdraw
    assert (await x.only_request(h)).status == outcome
    if outcome == "withdrawn":  # its compare-and-set failed, it read again, then withdrew
        assert f"Withdrew request `{request.id}`" in reply
    else:
        assert "nothing left to withdraw" in reply and await h.audit("request.withdrawn") == []
