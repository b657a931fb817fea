"""Reconciliation: orphan policies deleted and missing ones restored, with a report."""

import logging
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from providers.aws_iam import AwsIamGrants
from providers.aws_policy import grant_policy
from scheduler.reconcile import FIRST_PAGE_GAP, Reconciler
from tests.scheduler.support import audit, catalog_with, grant, make_grant
from tests.support import aws_seed, catalogs
from tests.support.bulk import seed_grants
from tests.support.fakes import FakeDbAdmin, FakeMinter, FakeShare
from tests.support.harness import BotHarness, Providers
from tests.support.moto_server import MotoServer
from tests.support.relay import Relay

ORPHAN = "gzzzzzzzz"


def summaries(h: BotHarness) -> list[str]:
    return [m.text for m in h.emu.messages_in(catalogs.CHANNEL) if "Reconciliation" in m.text]


async def test_orphans_are_deleted_and_missing_policies_restored_with_a_report(
    h: BotHarness,
) -> None:
    deps = h.workflow.d
    live = await make_grant(deps)
    gone = await make_grant(deps, user_id=catalogs.DEV2)
    await h.workflow.revoker.revoke(gone.id, reason="revoked", actor=catalogs.ADMIN)
    arn = live.principal_arn
    del h.iam.policies[arn][live.id]  # someone deleted it by hand
    h.iam.policies[arn][ORPHAN] = None  # a policy no grant explains
    h.iam.policies[gone.principal_arn][gone.id] = None  # came back after its revocation

    fixes = await Reconciler(deps).run()
    assert sorted(f.kind for f in fixes) == ["orphan_deleted", "orphan_deleted", "policy_restored"]
    assert h.iam.policies[arn] == {live.id: live.expires_at}  # restored with the same end
    assert h.iam.policies[gone.principal_arn] == {}
    [summary] = summaries(h)
    assert "3 difference(s)" in summary and ORPHAN in summary and live.id in summary
    assert len(await audit(deps, "reconcile.orphan_deleted")) == 2
    [restored] = await audit(deps, "reconcile.policy_restored", live.id)
    assert restored.details["principal"] == arn
    assert (
        h.metrics.registry.get_sample_value("dbab_drift_fixed_total", {"kind": "orphan_deleted"})
        == 2
    )
    assert (await grant(deps, live.id)).claimed_by is None

    assert await Reconciler(deps).run() == []
    assert len(summaries(h)) == 1  # nothing fixed, nothing posted


async def test_principals_derived_for_recent_holders_are_checked(state_url: str) -> None:
    identity = {
        "principal": "arn:aws:iam::{account_id}:role/Db_{handle}_{level}",
        "db_user": "{handle}_{level}",
    }
    catalog = catalogs.make_catalog(catalog_with({}, identity=identity))
    async with BotHarness(state_url, catalog=catalog) as h:
        made = await make_grant(h.workflow.d)
        assert made.principal_arn.endswith("role/Db_alice_smith_ro")
        # No grant ever used the rw role, but the catalog derives it for this holder.
        rw_arn = made.principal_arn.replace("_ro", "_rw")
        h.iam.policies[rw_arn][ORPHAN] = None
        fixes = await Reconciler(h.workflow.d).run()
        assert [f.kind for f in fixes] == ["orphan_deleted"]
        assert h.iam.policies[rw_arn] == {}


async def test_policies_on_principals_no_template_names_are_left_alone(h: BotHarness) -> None:
    theirs = f"arn:aws:iam::{catalogs.ACCOUNT}:role/OtherTeamRole"
    h.iam.policies[theirs][ORPHAN] = None  # someone else's db-access-* policy: not ours
    assert await Reconciler(h.workflow.d).run() == []
    assert h.iam.policies[theirs] == {ORPHAN: None}


async def test_a_deleted_principal_is_reported_in_the_log_not_written_to(
    h: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    made = await make_grant(h.workflow.d)
    del h.iam.policies[made.principal_arn]  # the role itself was deleted
    h.iam.missing.add(made.principal_arn)
    attached = len(h.iam.attached)
    with caplog.at_level(logging.WARNING, logger="scheduler.reconcile"):
        assert await Reconciler(h.workflow.d).run() == []
    assert len(h.iam.attached) == attached  # no restore into a principal that is not there
    [warning] = [r for r in caplog.records if "does not exist" in r.getMessage()]
    assert warning.principal == made.principal_arn  # type: ignore[attr-defined]


async def test_pages_are_compared_one_at_a_time(h: BotHarness) -> None:
    deps = h.workflow.d
    h.iam.page_size = 1
    live = await make_grant(deps)
    other = await make_grant(deps, user_id=catalogs.DEV2)
    del h.iam.policies[other.principal_arn][other.id]
    h.iam.policies[live.principal_arn][ORPHAN] = None
    fixes = await Reconciler(deps).run()
    assert sorted(f.kind for f in fixes) == ["orphan_deleted", "policy_restored"]
    assert h.iam.pages_read == 2
    assert h.iam.policies[live.principal_arn] == {live.id: live.expires_at}
    assert h.iam.policies[other.principal_arn] == {other.id: other.expires_at}


async def test_pages_are_spread_over_half_the_interval_once_their_number_is_known(
    h: BotHarness,
) -> None:
    h.iam.page_size = 1
    for user_id in (catalogs.DEV, catalogs.DEV2, catalogs.OUTSIDER):
        await make_grant(h.workflow.d, user_id=user_id)
    reconciler = Reconciler(h.workflow.d, spread=0.3)  # a 0.6 s RECONCILE_INTERVAL
    await reconciler.run()
    assert h.iam.pauses == [0.0, FIRST_PAGE_GAP, FIRST_PAGE_GAP]  # how many pages: unknown
    h.iam.pauses.clear()
    await reconciler.run()
    assert h.iam.pauses == [0.0, 0.15, 0.15]  # 3 pages: two gaps share the 0.3 s


async def test_reconcile_on_moto_deletes_orphans_and_restores_policies(
    aws_env: object, state_url: str
) -> None:
    role = aws_seed.create_role("DatabasesRole_alice_smith")
    catalog = catalogs.make_catalog()
    providers = Providers(
        iam=AwsIamGrants(catalog), minter=FakeMinter(), dbadmin=FakeDbAdmin(), share=FakeShare()
    )
    async with BotHarness(state_url, catalog=catalog, providers=providers) as h:
        deps = h.workflow.d
        live = await make_grant(deps)
        assert set(aws_seed.inline_policies(role)) == {f"db-access-{live.id}"}
        aws_seed.client("iam").delete_role_policy(
            RoleName="DatabasesRole_alice_smith", PolicyName=f"db-access-{live.id}"
        )
        aws_seed.put_inline_policy(
            role,
            f"db-access-{ORPHAN}",
            grant_policy(
                grant_id=ORPHAN,
                region="eu-west-1",
                account_id=catalogs.ACCOUNT,
                resource_id="db-ORDERSPROD",
                db_user="alice_smith_ro",
                expires_at=None,
            ),
        )
        aws_seed.put_inline_policy(role, "unrelated", aws_seed.filler_policy(200))

        fixes = await Reconciler(deps).run()
        assert sorted(f.kind for f in fixes) == ["orphan_deleted", "policy_restored"]
        policies = aws_seed.inline_policies(role)
        assert set(policies) == {f"db-access-{live.id}", "unrelated"}
        assert policies[f"db-access-{live.id}"] == grant_policy(
            grant_id=live.id,
            region="eu-west-1",
            account_id=catalogs.ACCOUNT,
            resource_id="db-ORDERSPROD",
            db_user="alice_smith_ro",
            expires_at=live.expires_at,
        )
        assert len(summaries(h)) == 1
        assert await Reconciler(deps).run() == []


async def test_reconciling_500_principals_reads_iam_in_one_page_not_500_calls(
    aws_env: MotoServer, state_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    made = await seed_grants(
        state_url,
        ends=[now + timedelta(hours=1)] * 500,
        now=now,
        resource_id="db-ORDERSPROD",
        with_policies=True,
        per_role=1,
    )
    (missing, missing_role), (_, orphan_role) = made[0], made[1]
    role_name = missing_role.rsplit("/", 1)[1]
    aws_seed.client("iam").delete_role_policy(RoleName=role_name, PolicyName=f"db-access-{missing}")
    aws_seed.put_inline_policy(orphan_role, f"db-access-{ORPHAN}", aws_seed.filler_policy(100))
    async with Relay(aws_env.url) as relay:
        # Everything the bot says to AWS from here on goes through the counting relay.
        monkeypatch.setenv("AWS_ENDPOINT_URL", relay.url)
        catalog = catalogs.make_catalog()
        providers = Providers(
            iam=AwsIamGrants(catalog), minter=FakeMinter(), dbadmin=FakeDbAdmin(), share=FakeShare()
        )
        async with BotHarness(state_url, catalog=catalog, providers=providers) as h:
            fixes = await Reconciler(h.workflow.d).run()
        # One page of roles, the orphan's delete, and the restore (budget check, then write).
        assert relay.counts("iam") == Counter(
            {
                "GetAccountAuthorizationDetails": 1,
                "DeleteRolePolicy": 1,
                "ListRolePolicies": 1,
                "PutRolePolicy": 1,
            }
        )
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_env.url)
    assert sorted((f.kind, f.grant_id) for f in fixes) == [
        ("orphan_deleted", None),
        ("policy_restored", missing),
    ]
    assert f"db-access-{missing}" in aws_seed.inline_policies(missing_role)
    assert f"db-access-{ORPHAN}" not in aws_seed.inline_policies(orphan_role)
