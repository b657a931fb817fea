"""identity.provision through the lifecycle: the role is made in the PROVISION step, cleaned up
by the scheduler after unused_after, and never under a grant that is about to use it."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.domain import RoleStatus, StepStatus
from bot.lifecycle import Lifecycle
from bot.store.models import ProvisionedRole, Step
from scheduler.role_cleanup import RoleCleanup
from scheduler.sweeps import Sweeper
from tests.e2e import helpers as x
from tests.scheduler.support import MovableClock
from tests.support import catalogs
from tests.support.harness import BotHarness

ROLE = f"arn:aws:iam::{catalogs.ACCOUNT}:role/db-access/DatabasesRole_alice_smith"


def provisioning_data() -> dict:
    data = catalogs.catalog_data(unused_after="30d")
    data["identity"]["principal"] = (
        "arn:aws:iam::{account_id}:role/db-access/DatabasesRole_{handle}"
    )
    data["identity"]["provision"] = {
        "permissions_boundary": "arn:aws:iam::{account_id}:policy/db-access-boundary"
    }
    return data


@pytest.fixture
async def h(state_url: str, clock: MovableClock) -> AsyncIterator[BotHarness]:
    async with BotHarness(state_url, catalog=catalogs.make_catalog(provisioning_data())) as bot:
        bot.workflow.d.clock = clock
        yield bot


async def role_rows(h: BotHarness) -> list[ProvisionedRole]:
    return await h.rows(ProvisionedRole)


async def test_the_first_grant_makes_the_role_before_its_policy(h: BotHarness) -> None:
    seen: list[bool] = []

    async def at_attach(target: object) -> None:
        seen.append(ROLE in h.roles.roles)

    h.iam.before_attach = at_attach
    grant = await x.request_and_approve(h)
    assert grant.principal_arn == ROLE
    assert h.roles.created == [ROLE] and seen == [True]
    assert h.iam.has(ROLE, grant.id)
    [row] = await role_rows(h)
    assert (row.arn, row.status, row.user_id) == (ROLE, RoleStatus.PRESENT, catalogs.DEV)
    [made] = await h.audit("role.created")
    assert made.grant_id == grant.id and made.details["role"] == ROLE
    assert made.details["boundary"] == f"arn:aws:iam::{catalogs.ACCOUNT}:policy/db-access-boundary"
    assert any("paste.test" in dm for dm in x.dm_texts(h, catalogs.DEV))


async def test_later_grants_reuse_the_role(h: BotHarness) -> None:
    first = await x.request_and_approve(h)
    await h.command(f"revoke {first.id}")
    await x.request_and_approve(h, "orders-prod ro 4h INC-43")
    assert h.roles.created == [ROLE]
    assert len(await h.audit("role.created")) == 1
    assert len(await role_rows(h)) == 1


async def test_someone_elses_role_is_refused_at_request_time(h: BotHarness) -> None:
    h.roles.foreign.add(ROLE)
    await h.command("request orders-prod ro 1h INC-42")
    assert await h.requests() == []
    [refusal] = x.ephemeral_texts(h, catalogs.DEV)
    assert "was not created by db-access-bot" in refusal
    assert "identity.overrides" in refusal
    assert h.roles.created == [] and await role_rows(h) == []


async def test_a_role_that_cannot_be_made_yet_is_retried(
    h: BotHarness, clock: MovableClock
) -> None:
    h.roles.fail_ensure = 1
    await h.command("request orders-prod ro 1h INC-42")
    [request] = await h.requests()
    await h.click_card(request.id, "dab_approve", catalogs.APPROVER)
    [grant] = await h.grants()
    assert grant.status == "granting" and h.roles.created == []
    clock.advance(timedelta(seconds=10))
    await Lifecycle(h.workflow.d).steps.run_due()
    [grant] = await h.grants()
    assert grant.status == "active" and h.roles.created == [ROLE]
    assert h.iam.has(ROLE, grant.id)


async def idle_role(h: BotHarness, clock: MovableClock) -> None:
    """A role whose only grant ended, then unused_after (30 days) passed."""
    grant = await x.request_and_approve(h)
    await h.command(f"revoke {grant.id}")
    clock.advance(timedelta(days=30, minutes=1))


async def test_a_role_unused_for_unused_after_is_deleted_once(
    h: BotHarness, clock: MovableClock
) -> None:
    grant = await x.request_and_approve(h)
    await h.command(f"revoke {grant.id}")
    cleanup = RoleCleanup(h.workflow.d)
    clock.advance(timedelta(days=29))
    assert await cleanup.run() == 0 and h.roles.deleted == []
    clock.advance(timedelta(days=1, minutes=1))
    assert await cleanup.run() == 1
    assert h.roles.deleted == [ROLE]
    [row] = await role_rows(h)
    assert row.status == RoleStatus.DELETED and row.deleted_at is not None
    assert row.claimed_by is None
    [deleted] = await h.audit("role.deleted")
    assert deleted.details["role"] == ROLE
    assert await cleanup.run() == 0  # idempotent: nothing left to do


async def test_a_role_with_a_live_grant_is_never_deleted(
    h: BotHarness, clock: MovableClock
) -> None:
    data = provisioning_data()
    data["databases"]["orders-prod"]["levels"]["ro"]["standing"] = True
    h.workflow.d.catalog = catalogs.make_catalog(data)
    await x.request_and_approve(h, "orders-prod ro 1h INC-42")
    clock.advance(timedelta(days=31))
    assert await RoleCleanup(h.workflow.d).run() == 0
    assert h.roles.deleted == []


async def test_a_role_that_is_no_longer_the_bots_is_kept_and_noted(
    h: BotHarness, clock: MovableClock
) -> None:
    await idle_role(h, clock)
    h.roles.foreign.add(ROLE)  # someone removed the managed-by tag meanwhile
    assert await RoleCleanup(h.workflow.d).run() == 0
    [row] = await role_rows(h)
    assert row.status == RoleStatus.KEPT and "managed-by" in (row.note or "")
    [kept] = await h.audit("role.kept")
    assert kept.details["role"] == ROLE
    clock.advance(timedelta(days=60))
    assert await RoleCleanup(h.workflow.d).run() == 0  # never tried again


async def test_a_failed_delete_is_retried_later(h: BotHarness, clock: MovableClock) -> None:
    await idle_role(h, clock)
    roles = h.roles
    original = roles.delete
    failures = [1]

    async def flaky(**kwargs: str):  # type: ignore[no-untyped-def]
        if failures:
            failures.pop()
            from bot.errors import AwsError

            raise AwsError("IAM DeleteRole throttled (test)")
        return await original(**kwargs)

    roles.delete = flaky  # type: ignore[method-assign]
    cleanup = RoleCleanup(h.workflow.d)
    assert await cleanup.run() == 0
    [row] = await role_rows(h)
    assert row.status == RoleStatus.PRESENT and row.attempts == 1 and row.last_error
    assert await cleanup.run() == 0  # backing off
    clock.advance(timedelta(seconds=6))
    assert await cleanup.run() == 1 and roles.deleted == [ROLE]


async def test_two_replicas_delete_each_role_once(h: BotHarness, clock: MovableClock) -> None:
    for user, line in (
        (catalogs.DEV, "orders-prod ro 1h a"),
        (catalogs.DEV2, "orders-prod ro 1h b"),
    ):
        grant = await x.request_and_approve(h, line, user_id=user)
        await h.command(f"revoke {grant.id}", user_id=user)
    clock.advance(timedelta(days=31))
    deps = h.workflow.d
    other = type(deps)(**{**deps.__dict__, "owner": "replica-2"})
    done = await asyncio.gather(RoleCleanup(deps).run(), RoleCleanup(other).run())
    assert sum(done) == 2
    assert sorted(h.roles.deleted) == sorted(r.arn for r in await role_rows(h))
    assert len(h.roles.deleted) == 2


async def test_a_grant_waits_while_its_role_is_being_deleted_then_makes_it_again(
    h: BotHarness, clock: MovableClock
) -> None:
    await idle_role(h, clock)
    roles, original = h.roles, h.roles.delete
    requested: list[str] = []

    async def slow_delete(**kwargs: str):  # type: ignore[no-untyped-def]
        # While the cleanup holds the role, Alice asks again and is approved.
        await h.command("request orders-prod ro 1h INC-44")
        pending = [r for r in await h.requests() if r.status == "pending"]
        await h.click_card(pending[0].id, "dab_approve", catalogs.APPROVER)
        requested.append(pending[0].id)
        return await original(**kwargs)

    roles.delete = slow_delete  # type: ignore[method-assign]
    assert await RoleCleanup(h.workflow.d).run() == 1
    [waiting] = [g for g in await h.grants() if g.request_id == requested[0]]
    assert waiting.status == "granting"
    [step] = await h.rows(Step, Step.grant_id == waiting.id)
    assert step.status == StepStatus.PENDING and "being deleted" in (step.last_error or "")
    clock.advance(timedelta(seconds=6))
    await Lifecycle(h.workflow.d).steps.run_due()
    await Sweeper(h.workflow.d).run()
    [made] = [g for g in await h.grants() if g.request_id == requested[0]]
    assert made.status == "active"
    assert h.roles.created == [ROLE, ROLE] and h.iam.has(ROLE, made.id)
    [row] = await role_rows(h)
    assert row.status == RoleStatus.PRESENT and row.deleted_at is None
