"""Requests that start later: approved ahead, made ahead, active (and linked) at their start."""

from datetime import timedelta

import pytest

from bot.lifecycle import Lifecycle
from bot.slack.actions import ActionId, BlockId
from scheduler.pending import PendingRequests
from tests.e2e import asks
from tests.e2e import helpers as x
from tests.support import catalogs
from tests.support.harness import BotHarness


async def run_due(h: BotHarness) -> None:
    """What the scheduler's steps job does on its next run."""
    await Lifecycle(h.workflow.d).steps.run_due()
    await h.settle()


async def test_approved_ahead_it_is_made_ahead_and_starts_at_its_time(h: BotHarness) -> None:
    clock = x.use_clock(h)
    start = (clock.now + timedelta(hours=2)).replace(second=0, microsecond=0)
    await h.command(f"request orders-prod ro 1h --at {asks.iso(start)} night migration")
    request = await x.only_request(h)
    assert request.starts_at == start and request.reason == "night migration"
    assert request.expires_at == start + timedelta(minutes=30)  # may be approved until then
    assert "*Starts:*" in str(h.card_of(request.id).blocks)
    assert "It starts" in x.last_dm(h, catalogs.DEV).text

    await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)
    grant = await x.only_grant(h)
    assert grant.status == "scheduled"
    assert (grant.starts_at, grant.expires_at) == (start, start + timedelta(hours=1))
    assert h.iam.starts[grant.id] == start  # the policy allows nothing before the start
    assert h.iam.policies[grant.principal_arn][grant.id] == start + timedelta(hours=1)
    assert h.dbadmin.users[("orders-prod", "alice_smith_ro")] == ("pg_read_all_data",)
    assert h.share.shared == []  # no token, no link before the start
    assert "starts" in x.last_dm(h, catalogs.DEV).text
    assert f"Prepared as `{grant.id}`" in str(h.card_of(request.id).blocks)

    await h.command(f"token {grant.id}")
    assert "its login link comes then" in x.ephemeral_texts(h, catalogs.DEV)[-1]
    await h.command("list")
    listing = h.emu.ephemerals_to(catalogs.DEV)[-1]
    assert "starts" in listing.text and (ActionId.REVOKE, grant.id) in asks.actions_of(listing)
    assert (ActionId.NEW_TOKEN, grant.id) not in asks.actions_of(listing)

    clock.now = start - timedelta(seconds=1)
    await run_due(h)
    assert (await x.only_grant(h)).status == "scheduled"
    clock.now = start + timedelta(seconds=2)
    await run_due(h)
    active = await x.only_grant(h)
    assert active.status == "active" and active.expires_at == start + timedelta(hours=1)
    assert "https://paste.test/" in x.dm_texts(h, catalogs.DEV)[-1]
    assert "Started" in str(h.card_of(request.id).blocks)
    assert [e.action for e in await h.audit() if e.grant_id == grant.id][-3:] == [
        "grant.scheduled",
        "grant.active",
        "token.issued",
    ]


async def test_still_pending_at_its_start_it_gets_the_time_left(h: BotHarness) -> None:
    clock = x.use_clock(h)
    start = (clock.now + timedelta(minutes=10)).replace(second=0, microsecond=0)
    await h.command(f"request orders-prod ro 1h --at {asks.iso(start)} INC-21")
    request = await x.only_request(h)
    clock.now = start + timedelta(minutes=20)
    await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)
    grant = await x.only_grant(h)
    assert grant.status == "active" and grant.starts_at is None
    assert grant.expires_at == start + timedelta(hours=1)  # the clock ran from the start
    assert "runs for the time left" in "\n".join(x.dm_texts(h, catalogs.DEV))
    assert "https://paste.test/" in x.dm_texts(h, catalogs.DEV)[-1]


async def test_still_pending_past_its_start_it_expires_as_usual(h: BotHarness) -> None:
    clock = x.use_clock(h)
    start = (clock.now + timedelta(hours=3)).replace(second=0, microsecond=0)
    await h.command(f"request orders-prod ro 1h --at {asks.iso(start)} INC-22")
    clock.now = start + timedelta(minutes=29)
    assert (await PendingRequests(h.workflow.d).run())[1] == 0
    clock.now = start + timedelta(minutes=30)
    assert (await PendingRequests(h.workflow.d).run())[1] == 1
    assert (await x.only_request(h)).status == "expired"
    assert await h.grants() == []


async def test_revoked_before_its_start_it_never_starts(h: BotHarness) -> None:
    clock = x.use_clock(h)
    start = clock.now + timedelta(hours=1)
    await h.command(f"request orders-prod ro 1h --at {asks.iso(start)} INC-23")
    await h.click_card((await x.only_request(h)).id, ActionId.APPROVE, catalogs.APPROVER)
    grant = await x.only_grant(h)
    await h.command(f"revoke {grant.id}")
    assert (await x.only_grant(h)).status == "revoked"
    assert not h.iam.has(grant.principal_arn, grant.id)
    clock.now = start + timedelta(minutes=1)
    await run_due(h)
    assert (await x.only_grant(h)).status == "revoked" and h.share.shared == []


async def test_a_window_that_passed_while_nothing_ran_ends_unstarted(h: BotHarness) -> None:
    clock = x.use_clock(h)
    start = clock.now + timedelta(hours=1)
    await h.command(f"request orders-prod ro 15m --at {asks.iso(start)} INC-24")
    await h.click_card((await x.only_request(h)).id, ActionId.APPROVE, catalogs.APPROVER)
    grant = await x.only_grant(h)
    clock.now = start + timedelta(hours=1)  # every replica was down for the whole window
    await run_due(h)
    ended = await x.only_grant(h)
    assert (ended.status, ended.revoke_reason, ended.granted_at) == ("revoked", "expired", None)
    assert not h.iam.has(grant.principal_arn, grant.id) and h.share.shared == []
    assert len(await h.audit("grant.start_missed")) == 1


async def test_the_start_waits_in_the_state_store_across_a_restart(state_url: str) -> None:
    async with BotHarness(state_url) as first:
        clock = x.use_clock(first)
        start = clock.now + timedelta(hours=1)
        await first.command(f"request orders-prod ro 1h --at {asks.iso(start)} INC-25")
        await first.click_card(
            (await x.only_request(first)).id, ActionId.APPROVE, catalogs.APPROVER
        )
        [grant] = await first.grants()
        assert grant.status == "scheduled"
    async with BotHarness(state_url) as second:  # a new process: nothing in memory
        later = x.use_clock(second)
        later.now = start + timedelta(seconds=1)
        await run_due(second)
        [started] = await second.grants()
        assert started.status == "active"
        assert "https://paste.test/" in x.dm_texts(second, catalogs.DEV)[-1]


@pytest.mark.parametrize(
    ("at", "problem"),
    [
        ("2020-01-01T00:00Z", "is in the past"),
        ("tomorrow", "`tomorrow` is not an ISO 8601 time"),
        ("2026-12-02T02:00", "has no time zone: add `Z`"),
        ("2026-13-02T02:00Z", "is not an ISO 8601 time"),
    ],
)
async def test_bad_starts_are_refused_with_the_fix(h: BotHarness, at: str, problem: str) -> None:
    ack = await h.command(f"request orders-prod ro 1h --at {at} x")
    assert problem in ack["text"], ack
    assert await h.requests() == []
    [rejected] = await h.audit("command.rejected")
    assert problem in rejected.details["problem"]


async def test_a_start_too_far_ahead_names_the_limit(state_url: str) -> None:
    catalog = catalogs.make_catalog(catalogs.catalog_data(max_start_ahead="36h"))
    async with BotHarness(state_url, catalog=catalog) as h:
        clock = x.use_clock(h)
        ack = await h.command(
            f"request orders-prod ro 1h --at {asks.iso(clock.now + timedelta(hours=37))} x"
        )
        assert "at most 1d 12h ahead" in ack["text"] and "max_start_ahead" in ack["text"]
        await h.command(
            f"request orders-prod ro 1h --at {asks.iso(clock.now + timedelta(hours=35))} x"
        )
        assert (await x.only_request(h)).status == "pending"
    async with BotHarness(state_url) as h:  # the default: 7 days
        ack = await h.command(
            f"request orders-prod ro 1h --at {asks.iso(x.use_clock(h).now + timedelta(days=8))} x"
        )
        assert "at most 7d ahead" in ack["text"]


async def test_the_form_has_a_start_picker(h: BotHarness) -> None:
    clock = x.use_clock(h)
    view = await x.open_form(h)
    start_block = next(b for b in view.blocks if b["block_id"] == BlockId.START)
    assert start_block["element"]["type"] == "datetimepicker" and start_block["optional"]
    ack = await h.emu.submit_view(
        view.id,
        user_id=catalogs.DEV,
        values=x.form_values(
            database="orders-prod",
            level="ro",
            duration="1h",
            reason="x",
            start=clock.now - timedelta(hours=1),
        ),
    )
    assert "is in the past" in ack["errors"][BlockId.START]
    start = (clock.now + timedelta(days=1)).replace(microsecond=0)
    ack = await x.submit_form(
        h, view, database="orders-prod", level="ro", duration="1h", reason="x", start=start
    )
    assert ack == {}
    assert (await x.only_request(h)).starts_at == start


async def test_several_databases_start_together(state_url: str) -> None:
    async with BotHarness(state_url, catalog=asks.catalog()) as h:
        clock = x.use_clock(h)
        start = (clock.now + timedelta(hours=1)).replace(second=0, microsecond=0)
        held = await x.request_and_approve(h, "orders-prod ro 4h INC-26")
        # Held now, but a later start is a grant of its own, never an extension of this one.
        await h.command(f"request orders-prod,billing-prod ro 1h --at {asks.iso(start)} INC-27")
        parts = [r for r in await h.requests() if r.bundle_id]
        assert {p.kind for p in parts} == {"new"}
        for part in parts:
            approver = catalogs.APPROVER if part.database == "orders-prod" else catalogs.APPROVER2
            await asks.click_part(h, part, ActionId.APPROVE, approver)
        later = [g for g in await h.grants() if g.id != held.id]
        assert {g.status for g in later} == {"scheduled"} and len(later) == 2
        clock.now = start + timedelta(seconds=1)
        await run_due(h)
        assert {g.status for g in await h.grants()} == {"active"}
