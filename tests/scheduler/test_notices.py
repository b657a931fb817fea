"""Time-driven messages: expiry warnings, approver reminders, request expiry, unused access."""

from datetime import timedelta

from bot.domain import GrantStatus, RequestStatus
from bot.slack.actions import ActionId
from scheduler.expiry_warnings import ExpiryWarnings
from scheduler.pending import PendingRequests
from scheduler.unused import UnusedAccess
from tests.scheduler.support import MovableClock, audit, catalog_with, grant, make_grant
from tests.support import catalogs
from tests.support.harness import BotHarness


def buttons(blocks: list[dict]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


async def test_expiry_warning_with_extend_ten_minutes_before_the_end_once(
    h: BotHarness, clock: MovableClock
) -> None:
    deps, warnings = h.workflow.d, ExpiryWarnings(h.workflow.d)
    made = await make_grant(deps, duration=timedelta(hours=1))
    short = await make_grant(deps, user_id=catalogs.DEV2, duration=timedelta(minutes=5))
    clock.advance(timedelta(minutes=49))
    assert await warnings.run() == 0  # 11 minutes left; the 5-minute grant never gets one
    clock.advance(timedelta(minutes=2))
    assert await warnings.run() == 1
    assert await warnings.run() == 0
    [warning] = [m for m in h.emu.dms_to(catalogs.DEV) if "ends in" in m.text]
    assert "ends in 8m" in str(warning.blocks) and made.id in str(warning.blocks)
    assert ActionId.EXTEND in buttons(warning.blocks)
    assert not [m for m in h.emu.dms_to(catalogs.DEV2) if "ends in" in m.text]
    assert (await grant(deps, made.id)).warned_at is not None
    assert (await grant(deps, short.id)).claimed_by is None
    [event] = await audit(deps, "grant.expiry_warned", made.id)
    assert event.details["expires_at"] == str(made.expires_at)


async def test_approvers_are_reminded_at_half_the_timeout_and_the_request_expires(
    h: BotHarness, clock: MovableClock
) -> None:
    pending = PendingRequests(h.workflow.d)
    await h.command("request orders-prod ro 1h looking at INC-9")
    [request] = await h.requests()

    def reminders() -> list[str]:
        return [
            m.text
            for m in h.emu.messages_in(catalogs.ORDERS_CHANNEL)
            if m.text.startswith(":bell:")
        ]

    clock.advance(timedelta(minutes=14))
    assert await pending.run() == (0, 0)
    clock.advance(timedelta(minutes=2))
    assert await pending.run() == (1, 0)
    assert await pending.run() == (0, 0)
    [reminder] = reminders()
    [threaded] = [m for m in h.emu.messages_in(catalogs.ORDERS_CHANNEL) if m.text == reminder]
    assert threaded.thread_ts == h.card_of(request.id).ts  # a reply under the card
    assert f"<@{catalogs.APPROVER}>" in reminder and f"<!subteam^{catalogs.DBA_GROUP}>" in reminder
    assert request.id in reminder and "still needs 1 approval(s)" in reminder

    clock.advance(timedelta(minutes=15))
    assert await pending.run() == (0, 1)
    assert await pending.run() == (0, 0)
    [row] = await h.requests()
    assert row.status == RequestStatus.EXPIRED and row.claimed_by is None
    card = h.card_of(request.id)
    assert "*Expired*" in str(card.blocks) and ActionId.APPROVE not in buttons(card.blocks)
    told = [m.text for m in h.emu.dms_to(catalogs.DEV) if "expired" in m.text]
    assert told and request.id in told[-1] and "30m" in told[-1]
    assert len(await h.audit("request.expired")) == 1
    assert len(await h.audit("request.reminded")) == 1
    assert len(reminders()) == 1


async def test_a_request_approved_at_the_last_moment_does_not_expire(
    h: BotHarness, clock: MovableClock
) -> None:
    await h.command("request orders-prod ro 1h looking at INC-10")
    [request] = await h.requests()
    await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)
    clock.advance(timedelta(minutes=31))
    assert await PendingRequests(h.workflow.d).run() == (0, 0)
    [row] = await h.requests()
    assert row.status == RequestStatus.APPROVED


async def test_unused_standing_grant_gets_a_notice_then_is_revoked(
    state_url: str, clock: MovableClock
) -> None:
    standing = {
        "ro": {"grants": ["pg_read_all_data"], "standing": True},
        "rw": {"grants": ["app_writer"], "approvals": 2},
    }
    catalog = catalogs.make_catalog(catalog_with({"orders-prod": {"levels": standing}}))
    async with BotHarness(state_url, catalog=catalog) as h:
        deps = h.workflow.d
        deps.clock = clock
        unused = UnusedAccess(deps)
        idle = await make_grant(deps)
        used = await make_grant(deps, user_id=catalogs.DEV2)
        assert idle.standing and idle.expires_at is None
        clock.advance(timedelta(days=82))
        assert await unused.run() == (0, 0)
        clock.advance(timedelta(days=2))  # 84 days idle: 6 days before the 90-day limit
        assert await unused.run() == (2, 0)
        assert await unused.run() == (0, 0)
        [notice] = [m for m in h.emu.dms_to(catalogs.DEV) if ":zzz:" in m.text]
        assert idle.id in notice.text and ActionId.NEW_TOKEN in buttons(notice.blocks)
        await h.ops.new_token(catalogs.DEV2, used.id)  # a token resets the clock
        clock.advance(timedelta(days=7))
        assert await unused.run() == (0, 1)
        row = await grant(deps, idle.id)
        assert (row.status, row.revoke_reason) == (GrantStatus.REVOKED, "unused")
        assert not h.iam.has(idle.principal_arn, idle.id)
        assert (await grant(deps, used.id)).status == GrantStatus.ACTIVE
        ended = [m.text for m in h.emu.dms_to(catalogs.DEV) if f"Access `{idle.id}`" in m.text]
        assert ended and "not used for too long" in ended[-1]
        assert len(await audit(deps, "grant.unused_notice")) == 2
