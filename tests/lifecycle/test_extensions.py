"""Extensions against revocation: the grant row decides, IAM follows, nobody is misled."""

from datetime import timedelta
from typing import Any

from bot.domain import GrantStatus
from bot.slack.actions import ActionId
from scheduler.sweeps import Sweeper
from tests.e2e import helpers as x
from tests.scheduler.support import MovableClock
from tests.support import catalogs
from tests.support.harness import BotHarness


async def test_an_extension_of_a_grant_already_being_revoked_becomes_a_new_grant(
    h: BotHarness, clock: MovableClock
) -> None:
    old = await x.request_and_approve(h)
    await h.command(f"extend {old.id} 1h")
    [extension] = [r for r in await h.requests() if r.status == "pending"]
    assert old.expires_at is not None
    clock.move_to(old.expires_at + timedelta(seconds=1))
    h.iam.fail_detach = 1
    await Sweeper(h.workflow.d).run()  # claimed and REVOKING; its detach will be retried
    assert [g.status for g in await h.grants()] == [GrantStatus.REVOKING]

    await h.click_card(extension.id, ActionId.APPROVE, catalogs.APPROVER)
    clock.advance(timedelta(seconds=10))
    await Sweeper(h.workflow.d).run()

    (first,) = [g for g in await h.grants() if g.id == old.id]
    (new,) = [g for g in await h.grants() if g.id != old.id]
    assert first.status == GrantStatus.REVOKED and not h.iam.has(old.principal_arn, old.id)
    assert new.status == GrantStatus.ACTIVE and new.request_id == extension.id
    assert new.expires_at == new.created_at + timedelta(hours=1)
    assert h.iam.policies[new.principal_arn][new.id] == new.expires_at
    told = x.dm_texts(h, catalogs.DEV)
    assert any("already ended" in d and "new grant" in d for d in told), told
    assert not any("now lasts until" in d for d in told)


async def test_revoking_during_an_extension_waits_for_it_and_wins(
    h: BotHarness, clock: MovableClock
) -> None:
    grant = await x.request_and_approve(h)
    await h.command(f"extend {grant.id} 1h")
    [extension] = [r for r in await h.requests() if r.status == "pending"]
    replies: list[str] = []

    async def revoke_meanwhile(_: Any) -> None:
        replies.append((await h.ops.revoke(catalogs.DEV, grant.id)).summary())

    h.iam.before_attach = revoke_meanwhile
    await h.click_card(extension.id, ActionId.APPROVE, catalogs.APPROVER)

    [row] = await h.grants()
    assert row.status == GrantStatus.REVOKED and not h.iam.has(row.principal_arn, row.id)
    assert "is being revoked" in replies[0]
    told = x.dm_texts(h, catalogs.DEV)
    assert not any("now lasts until" in d for d in told)
    assert any(f"Access `{grant.id}`" in d and "ended" in d for d in told)
