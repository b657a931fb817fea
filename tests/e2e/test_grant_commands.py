"""list, token, extend, revoke and audit: what the holder, others, approvers and admins may do."""

from datetime import timedelta

from bot.slack.actions import VALUE, ActionId, BlockId, CallbackId
from tests.e2e import helpers as x
from tests.support import catalogs
from tests.support.harness import BotHarness


async def test_list_shows_grants_with_buttons_and_pending_requests(h: BotHarness) -> None:
    grant = await x.request_and_approve(h)
    await h.command("request orders-prod rw 1h INC-20")
    pending = next(r for r in await h.requests() if r.status == "pending")
    await h.command("list")
    listing = h.emu.ephemerals_to(catalogs.DEV)[-1]
    assert grant.id in listing.text and pending.id in listing.text  # fallback text alone
    assert "left" in listing.text
    buttons = {
        (e["action_id"], e["value"])
        for b in listing.blocks
        if b["type"] == "actions"
        for e in b["elements"]
    }
    assert buttons == {
        (ActionId.NEW_TOKEN, grant.id),
        (ActionId.EXTEND, grant.id),
        (ActionId.REVOKE, grant.id),
    }
    await h.command("list", user_id=catalogs.DEV2)
    assert "none" in h.emu.ephemerals_to(catalogs.DEV2)[-1].text
    assert len(await h.audit("command.list")) == 2


async def test_token_is_for_the_holder_only(h: BotHarness) -> None:
    grant = await x.request_and_approve(h)
    await h.command(f"token {grant.id}")
    assert "fresh one-time link is in your DMs" in x.ephemeral_texts(h, catalogs.DEV)[-1]
    assert len(h.share.shared) == 2 and len(await h.token_issues()) == 2
    assert "https://paste.test/" in x.dm_texts(h, catalogs.DEV)[-1]

    # The New token button in the DM does the same.
    await x.click_message(h, x.last_dm(h, catalogs.DEV), ActionId.NEW_TOKEN, catalogs.DEV)
    assert len(h.share.shared) == 3

    for other in (catalogs.DEV2, catalogs.APPROVER, catalogs.ADMIN):
        await h.command(f"token {grant.id}", user_id=other)
        assert "is not yours" in x.ephemeral_texts(h, other)[-1]
    assert len(h.share.shared) == 3
    refused = await h.audit("token.refused")
    assert [e.actor for e in refused] == [catalogs.DEV2, catalogs.APPROVER, catalogs.ADMIN]
    assert all(e.grant_id == grant.id for e in refused)


async def test_extend_goes_through_approval_then_pushes_the_expiry(h: BotHarness) -> None:
    clock = x.use_clock(h)
    grant = await x.request_and_approve(h)
    assert grant.expires_at == clock.now + timedelta(hours=1)

    for other in (catalogs.DEV2, catalogs.APPROVER, catalogs.ADMIN):
        await h.command(f"extend {grant.id} 1h", user_id=other)
        assert "is not yours" in x.ephemeral_texts(h, other)[-1]
    assert len(await h.audit("extend.refused")) == 3
    await h.command(f"extend {grant.id} 2h")
    assert "Allowed: 15m, 1h, 4h, 8h" in x.ephemeral_texts(h, catalogs.DEV)[-1]
    assert len(await h.requests()) == 1

    await h.command(f"extend {grant.id} 4h")
    extension = next(r for r in await h.requests() if r.status == "pending")
    assert extension.kind == "extension" and extension.extends_grant_id == grant.id
    assert extension.reason == "INC-42"  # the original reason, for the approvers
    assert "extension request" in x.ephemeral_texts(h, catalogs.DEV)[-1]
    await h.command(f"extend {grant.id} 1h")
    assert "already waiting for approval" in x.ephemeral_texts(h, catalogs.DEV)[-1]

    clock.advance(timedelta(minutes=30))
    await h.click_card(extension.id, ActionId.APPROVE, catalogs.APPROVER)
    [extended] = await h.grants()
    assert extended.expires_at == grant.expires_at + timedelta(hours=4)
    assert h.iam.policies[grant.principal_arn][grant.id] == extended.expires_at
    assert "now lasts until" in x.dm_texts(h, catalogs.DEV)[-1]
    assert "Extended grant" in str(h.card_of(extension.id).blocks)


async def test_extend_button_opens_a_modal_that_files_the_extension(h: BotHarness) -> None:
    grant = await x.request_and_approve(h)
    since = len(h.emu.calls)
    link_dm = next(m for m in h.emu.dms_to(catalogs.DEV) if "paste.test" in str(m.blocks))
    await x.click_message(h, link_dm, ActionId.EXTEND, catalogs.DEV)
    opened = await h.emu.wait_for_call("views.open", since=since)
    view = h.emu.views[opened.response["view"]["id"]]
    assert view.callback_id == CallbackId.EXTEND and view.private_metadata == grant.id
    await h.emu.submit_view(
        view.id,
        user_id=catalogs.DEV,
        values={BlockId.DURATION: {VALUE: "1h"}, BlockId.REASON: {VALUE: "INC-42 runs long"}},
    )
    await h.settle()
    extension = next(r for r in await h.requests() if r.status == "pending")
    assert extension.extends_grant_id == grant.id and extension.reason == "INC-42 runs long"
    assert "waiting for 1 approval" in x.dm_texts(h, catalogs.DEV)[-1]


async def test_revoke_by_holder_approver_and_admin_but_not_others(h: BotHarness) -> None:
    mine = await x.request_and_approve(h, "orders-prod ro 1h a", catalogs.DEV)
    davids = await x.request_and_approve(h, "orders-prod ro 1h b", catalogs.DEV2)
    await h.command("request analytics ro 1h c", user_id=catalogs.OUTSIDER)  # auto-approved
    outsiders = next(g for g in await h.grants() if g.user_id == catalogs.OUTSIDER)

    await h.command(f"revoke {mine.id}", user_id=catalogs.DEV2)
    assert "Only the grant's holder" in x.ephemeral_texts(h, catalogs.DEV2)[-1]
    assert h.iam.has(mine.principal_arn, mine.id)
    [refused] = await h.audit("revoke.refused")
    assert (refused.actor, refused.grant_id) == (catalogs.DEV2, mine.id)

    await h.command(f"revoke {mine.id}")  # the holder
    assert f"Revoked grant `{mine.id}`" in x.ephemeral_texts(h, catalogs.DEV)[-1]
    await h.command(f"revoke {davids.id}", user_id=catalogs.APPROVER2)  # approver, via group
    assert f"Revoked grant `{davids.id}`" in x.ephemeral_texts(h, catalogs.APPROVER2)[-1]
    await h.command(f"revoke {outsiders.id}", user_id=catalogs.ADMIN)  # an admin
    assert f"Revoked grant `{outsiders.id}`" in x.ephemeral_texts(h, catalogs.ADMIN)[-1]

    for grant in await h.grants():
        assert grant.status == "revoked"
        assert not h.iam.has(grant.principal_arn, grant.id)
    assert ("orders-prod", "alice_smith_ro") in h.dbadmin.terminated
    assert any("ended" in d and mine.id in d for d in x.dm_texts(h, catalogs.DEV))
    assert "ended" in str(h.card_of(mine.request_id).blocks)
    revoked = {e.grant_id: e.actor for e in await h.audit("grant.revoked")}
    assert revoked == {
        mine.id: catalogs.DEV,
        davids.id: catalogs.APPROVER2,
        outsiders.id: catalogs.ADMIN,
    }

    await h.command(f"revoke {mine.id}")
    assert "already revoked" in x.ephemeral_texts(h, catalogs.DEV)[-1]
    await h.command(f"token {mine.id}")
    assert "is revoked, not active" in x.ephemeral_texts(h, catalogs.DEV)[-1]


async def test_revoke_button_in_the_dm(h: BotHarness) -> None:
    grant = await x.request_and_approve(h)
    link_dm = next(m for m in h.emu.dms_to(catalogs.DEV) if "paste.test" in str(m.blocks))
    await x.click_message(h, link_dm, ActionId.REVOKE, catalogs.DEV)
    [revoked] = await h.grants()
    assert revoked.status == "revoked" and not h.iam.has(grant.principal_arn, grant.id)
    assert f"Revoked grant `{grant.id}`" in x.ephemeral_texts(h, catalogs.DEV)[-1]


async def test_audit_is_for_approvers_and_admins(h: BotHarness) -> None:
    grant = await x.request_and_approve(h)
    await h.command("request analytics ro 1h report", user_id=catalogs.DEV2)

    await h.command("audit")
    assert "Only approvers" in x.ephemeral_texts(h, catalogs.DEV)[-1]
    await h.command("audit orders-prod 1d", user_id=catalogs.OUTSIDER)
    assert "Only approvers" in x.ephemeral_texts(h, catalogs.OUTSIDER)[-1]
    refused = await h.audit("audit.refused")
    assert [e.actor for e in refused] == [catalogs.DEV, catalogs.OUTSIDER]

    await h.command("audit orders-prod 1d", user_id=catalogs.APPROVER2)
    shown = h.emu.ephemerals_to(catalogs.APPROVER2)[-1]
    assert "for orders-prod, last 1d" in shown.text
    assert "request.approved" in str(shown.blocks) and grant.id in str(shown.blocks)
    # APPROVER2 approves orders-prod only: its history, without analytics'.
    await h.command("audit", user_id=catalogs.APPROVER2)
    shown = h.emu.ephemerals_to(catalogs.APPROVER2)[-1]
    assert "orders-prod" in str(shown.blocks) and "analytics" not in str(shown.blocks)
    await h.command("audit analytics", user_id=catalogs.APPROVER2)
    assert "Only approvers" in x.ephemeral_texts(h, catalogs.APPROVER2)[-1]

    await h.command("audit 7d", user_id=catalogs.ADMIN)
    shown = h.emu.ephemerals_to(catalogs.ADMIN)[-1]
    assert "for all databases, last 7d" in shown.text
    assert "analytics" in str(shown.blocks) and "orders-prod" in str(shown.blocks)
    assert len(await h.audit("command.audit")) == 3
