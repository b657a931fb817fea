"""Reconciliation: orphan policies deleted and missing ones restored, with a report."""

from bot.reconcile import Reconciler
from providers.aws_iam import AwsIamGrants
from providers.aws_policy import grant_policy
from tests.scheduler.support import audit, catalog_with, grant, make_grant
from tests.support import aws_seed, catalogs
from tests.support.fakes import FakeDbAdmin, FakeMinter, FakeShare
from tests.support.harness import BotHarness, Providers

ORPHAN = "gzzzzzzzz"


def summaries(h: BotHarness) -> list[str]:
    return [m.text for m in h.emu.messages_in(catalogs.CHANNEL) if "Reconciliation" in m.text]


async def test_orphans_are_deleted_and_missing_policies_restored_with_a_report(
        h: BotHarness) -> None:
    deps = h.workflow.d
    live = await make_grant(deps)
    gone = await make_grant(deps, user_id=catalogs.DEV2)
    await h.workflow.revoker.revoke(gone.id, reason="revoked", actor=catalogs.ADMIN)
    arn = live.principal_arn
    del h.iam.policies[arn][live.id]  # someone deleted it by hand
    h.iam.policies[arn][ORPHAN] = None  # a policy no grant explains
    h.iam.policies[gone.principal_arn][gone.id] = None  # came back after its revocation

    fixes = await Reconciler(deps).run()
    assert sorted(f.kind for f in fixes) == ["orphan_deleted", "orphan_deleted",
                                             "policy_restored"]
    assert h.iam.policies[arn] == {live.id: live.expires_at}  # restored with the same end
    assert h.iam.policies[gone.principal_arn] == {}
    [summary] = summaries(h)
    assert "3 difference(s)" in summary and ORPHAN in summary and live.id in summary
    assert len(await audit(deps, "reconcile.orphan_deleted")) == 2
    [restored] = await audit(deps, "reconcile.policy_restored", live.id)
    assert restored.details["principal"] == arn
    assert h.metrics.registry.get_sample_value("dbab_drift_fixed_total",
                                               {"kind": "orphan_deleted"}) == 2
    assert (await grant(deps, live.id)).claimed_by is None

    assert await Reconciler(deps).run() == []
    assert len(summaries(h)) == 1  # nothing fixed, nothing posted


async def test_principals_derived_for_recent_holders_are_checked(state_url: str) -> None:
    identity = {"principal": "arn:aws:iam::{account_id}:role/Db_{handle}_{level}",
                "db_user": "{handle}_{level}"}
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


async def test_reconcile_on_moto_deletes_orphans_and_restores_policies(
        aws_env: object, state_url: str) -> None:
    role = aws_seed.create_role("DatabasesRole_alice_smith")
    catalog = catalogs.make_catalog()
    providers = Providers(iam=AwsIamGrants(catalog), minter=FakeMinter(), dbadmin=FakeDbAdmin(),
                          share=FakeShare())
    async with BotHarness(state_url, catalog=catalog, providers=providers) as h:
        deps = h.workflow.d
        live = await make_grant(deps)
        assert set(aws_seed.inline_policies(role)) == {f"db-access-{live.id}"}
        aws_seed.client("iam").delete_role_policy(RoleName="DatabasesRole_alice_smith",
                                                  PolicyName=f"db-access-{live.id}")
        aws_seed.put_inline_policy(role, f"db-access-{ORPHAN}", grant_policy(
            grant_id=ORPHAN, region="eu-west-1", account_id=catalogs.ACCOUNT,
            resource_id="db-ORDERSPROD", db_user="alice_smith_ro", expires_at=None))
        aws_seed.put_inline_policy(role, "unrelated", aws_seed.filler_policy(200))

        fixes = await Reconciler(deps).run()
        assert sorted(f.kind for f in fixes) == ["orphan_deleted", "policy_restored"]
        policies = aws_seed.inline_policies(role)
        assert set(policies) == {f"db-access-{live.id}", "unrelated"}
        assert policies[f"db-access-{live.id}"] == grant_policy(
            grant_id=live.id, region="eu-west-1", account_id=catalogs.ACCOUNT,
            resource_id="db-ORDERSPROD", db_user="alice_smith_ro", expires_at=live.expires_at)
        assert len(summaries(h)) == 1
        assert await Reconciler(deps).run() == []
