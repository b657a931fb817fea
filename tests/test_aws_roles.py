"""Per-user roles on moto: created on first use, idempotent, replica-safe, never someone else's.

moto stores what the bot writes (path, boundary, tags, trust) but evaluates no IAM condition
or trust policy, so the documents themselves are checked here.
"""

import asyncio
import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from bot.catalog import Catalog
from bot.catalog_schema import parse_catalog
from bot.domain import GrantTarget, Level, RoleChange, RoleRemoval
from bot.errors import AwsError
from providers.aws_iam import AwsIamGrants
from providers.aws_policy import parse_principal
from providers.aws_roles import AwsRoles
from providers.aws_roles_sts import wait_until_assumable
from providers.aws_session import AwsClients
from providers.role_documents import role_tags, trust_policy
from tests.support import aws_seed as seed
from tests.support.catalogs import catalog_data

pytestmark = pytest.mark.usefixtures("aws_env")
OTHER = seed.OTHER_ACCOUNT
ROLE = f"arn:aws:iam::{seed.DEFAULT_ACCOUNT}:role/db-access/DatabasesRole_bob"
SSO = "arn:aws:iam::{account_id}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Db_*"
# What moto's GetCallerIdentity answers for plain test keys (AWS itself would say arn:aws:iam).
MOTO_CALLER = f"arn:aws:sts::{seed.DEFAULT_ACCOUNT}:user/moto"


def provisioning_catalog(
    *, manage_role: str | None = None, account_id: str = seed.DEFAULT_ACCOUNT
) -> Catalog:
    data = catalog_data()
    data["identity"]["principal"] = (
        "arn:aws:iam::{account_id}:role/db-access/DatabasesRole_{handle}"
    )
    data["identity"]["provision"] = {
        "permissions_boundary": "arn:aws:iam::{account_id}:policy/db-access-boundary",
        "trust": [SSO, "arn:aws:iam::{account_id}:role/breakglass"],
        "tags": {"team": "data"},
    }
    data["databases"]["orders-prod"]["account_id"] = account_id
    if manage_role:
        data["accounts"] = {account_id: {"manage_role_arn": manage_role}}
    return parse_catalog(data)


def target(arn: str = ROLE, *, handle: str = "bob") -> GrantTarget:
    return GrantTarget(
        grant_id="g1",
        database="orders-prod",
        level=Level.RO,
        principal_arn=arn,
        db_user=f"{handle}_ro",
        user_id="U0BOB",
        email=f"{handle}@example.com",
        handle=handle,
        expires_at=None,
    )


def role(arn: str = ROLE, account_id: str = seed.DEFAULT_ACCOUNT) -> dict[str, Any]:
    iam = seed.client("iam", account_id=account_id)
    return iam.get_role(RoleName=arn.rsplit("/", 1)[1])["Role"]


def tags(found: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in found.get("Tags", [])}


async def test_first_use_creates_the_role_under_the_path_with_boundary_tags_and_trust() -> None:
    catalog = provisioning_catalog()
    db = catalog.databases["orders-prod"]
    assert await AwsRoles(catalog).ensure(db, target()) is RoleChange.CREATED
    made = role()
    assert made["Arn"] == ROLE and made["Path"] == "/db-access/"
    assert (
        made["PermissionsBoundary"]["PermissionsBoundaryArn"]
        == f"arn:aws:iam::{seed.DEFAULT_ACCOUNT}:policy/db-access-boundary"
    )
    assert tags(made) == {
        "managed-by": "db-access-bot",
        "slack-user": "U0BOB",
        "email": "bob@example.com",
        "team": "data",
    }
    trust = made["AssumeRolePolicyDocument"]
    by_sid = {s["Sid"]: s for s in trust["Statement"]}
    assert set(by_sid) == {
        "DbAccessBotMintsTokens",
        "TrustedPrincipals",
        "TrustedPrincipalPatterns",
    }
    assert by_sid["DbAccessBotMintsTokens"]["Principal"] == {"AWS": MOTO_CALLER}
    assert set(by_sid["DbAccessBotMintsTokens"]["Action"]) == {
        "sts:AssumeRole",
        "sts:SetSourceIdentity",
        "sts:TagSession",
    }
    assert by_sid["TrustedPrincipals"]["Principal"] == {
        "AWS": [f"arn:aws:iam::{seed.DEFAULT_ACCOUNT}:role/breakglass"]
    }
    # A wildcard cannot be a Principal: the account root, narrowed by aws:PrincipalArn.
    assert by_sid["TrustedPrincipalPatterns"]["Principal"] == {
        "AWS": [f"arn:aws:iam::{seed.DEFAULT_ACCOUNT}:root"]
    }
    assert by_sid["TrustedPrincipalPatterns"]["Condition"] == {
        "ArnLike": {"aws:PrincipalArn": [SSO.replace("{account_id}", seed.DEFAULT_ACCOUNT)]}
    }
    # Nobody else: every statement is one of the three above, and all Allow sts actions.
    assert all(
        s["Effect"] == "Allow" and all(a.startswith("sts:") for a in s["Action"])
        for s in trust["Statement"]
    )


async def test_ensuring_again_changes_nothing() -> None:
    catalog = provisioning_catalog()
    db = catalog.databases["orders-prod"]
    roles = AwsRoles(catalog)
    assert await roles.ensure(db, target()) is RoleChange.CREATED
    before = role()
    assert await roles.ensure(db, target()) is RoleChange.UNCHANGED
    assert await AwsRoles(catalog).ensure(db, target()) is RoleChange.UNCHANGED
    assert role()["RoleId"] == before["RoleId"]
    names = [
        r["RoleName"] for r in seed.client("iam").list_roles(PathPrefix="/db-access/")["Roles"]
    ]
    assert names == ["DatabasesRole_bob"]


async def test_two_replicas_creating_the_same_roles_at_once_both_succeed() -> None:
    catalog = provisioning_catalog()
    db = catalog.databases["orders-prod"]
    first = AwsRoles(catalog, clients=AwsClients(catalog))
    second = AwsRoles(catalog, clients=AwsClients(catalog))
    handles = [f"user{i}" for i in range(6)]
    arns = [ROLE.replace("bob", h) for h in handles]
    results = await asyncio.gather(
        *(
            replica.ensure(db, target(arn, handle=h))
            for arn, h in zip(arns, handles, strict=True)
            for replica in (first, second)
        )
    )
    for i in range(len(arns)):
        pair = sorted(results[2 * i : 2 * i + 2])
        assert pair == [RoleChange.CREATED, RoleChange.UNCHANGED], pair
        assert tags(role(arns[i]))["managed-by"] == "db-access-bot"


async def test_a_replica_that_loses_the_create_race_accepts_the_winners_role() -> None:
    catalog = provisioning_catalog()
    db = catalog.databases["orders-prod"]
    winner, loser = AwsRoles(catalog), AwsRoles(catalog)
    await winner.ensure(db, target())
    principal = parse_principal(ROLE)
    assert catalog.identity.provision is not None
    trust = trust_policy(
        bot_arn=MOTO_CALLER, provision=catalog.identity.provision, role_arn=ROLE, handle="bob"
    )
    boundary = f"arn:aws:iam::{seed.DEFAULT_ACCOUNT}:policy/db-access-boundary"
    # What the loser meets after its GetRole said "missing": CreateRole says it exists.
    assert loser._create(principal, target(), trust, boundary) is False
    assert loser._converge(principal, role(), trust, boundary) is RoleChange.UNCHANGED


async def test_a_role_the_bot_did_not_make_is_refused_and_never_changed() -> None:
    catalog = provisioning_catalog()
    db = catalog.databases["orders-prod"]
    seed.create_role("DatabasesRole_bob", path="/db-access/")
    before = role()
    roles = AwsRoles(catalog)
    for attempt in (roles.check(db, principal_arn=ROLE), roles.ensure(db, target())):
        with pytest.raises(AwsError) as refused:
            await attempt
        assert "was not created by db-access-bot" in str(refused.value)
        assert "never change a role I did not create" in str(refused.value)
        assert not refused.value.retryable
    after = role()
    assert after["AssumeRolePolicyDocument"] == before["AssumeRolePolicyDocument"]
    assert "PermissionsBoundary" not in after and tags(after) == {}
    assert await roles.delete(account_id=seed.DEFAULT_ACCOUNT, principal_arn=ROLE) == RoleRemoval(
        "kept", "it no longer carries the managed-by=db-access-bot tag"
    )
    assert role()["RoleId"] == before["RoleId"]


async def test_the_same_name_at_another_path_is_refused() -> None:
    catalog = provisioning_catalog()
    seed.create_role("DatabasesRole_bob", path="/")  # names are unique across paths
    with pytest.raises(AwsError, match="was not created by db-access-bot"):
        await AwsRoles(catalog).ensure(catalog.databases["orders-prod"], target())


async def test_the_bots_own_role_gets_its_trust_and_boundary_back() -> None:
    catalog = provisioning_catalog()
    db = catalog.databases["orders-prod"]
    roles = AwsRoles(catalog)
    await roles.ensure(db, target())
    wanted = role()["AssumeRolePolicyDocument"]
    iam = seed.client("iam")
    iam.update_assume_role_policy(
        RoleName="DatabasesRole_bob",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "*"}}
                ],
            }
        ),
    )
    iam.delete_role_permissions_boundary(RoleName="DatabasesRole_bob")
    assert "PermissionsBoundary" not in role()
    assert await roles.ensure(db, target()) is RoleChange.UPDATED
    restored = role()
    assert restored["AssumeRolePolicyDocument"] == wanted
    assert restored["PermissionsBoundary"]["PermissionsBoundaryArn"].endswith(
        ":policy/db-access-boundary"
    )


async def test_a_bot_running_as_an_assumed_role_is_trusted_as_that_role(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bot_role = seed.create_role("db-access-bot", path="/platform/")
    creds = boto3.client("sts", region_name=seed.REGION).assume_role(
        RoleArn=bot_role, RoleSessionName="botocore-session-1"
    )["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds["SessionToken"])
    catalog = provisioning_catalog()
    roles = AwsRoles(catalog)
    # The session ARN (assumed-role/…/botocore-session-1) becomes the role ARN with its path.
    assert await roles.bot_arn() == bot_role
    await roles.ensure(catalog.databases["orders-prod"], target())
    statements = role()["AssumeRolePolicyDocument"]["Statement"]
    assert statements[0]["Principal"] == {"AWS": bot_role}


async def test_cross_account_roles_are_made_through_the_manage_role() -> None:
    manage = seed.create_role("db-access-manage", account_id=OTHER)
    catalog = provisioning_catalog(manage_role=manage, account_id=OTHER)
    arn = ROLE.replace(seed.DEFAULT_ACCOUNT, OTHER)
    assert (
        await AwsRoles(catalog).ensure(catalog.databases["orders-prod"], target(arn))
        is RoleChange.CREATED
    )
    made = role(arn, account_id=OTHER)
    assert (
        made["PermissionsBoundary"]["PermissionsBoundaryArn"]
        == f"arn:aws:iam::{OTHER}:policy/db-access-boundary"
    )
    # The bot itself (not the manage role) mints the tokens, so the bot is what is trusted.
    assert made["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"AWS": MOTO_CALLER}
    with pytest.raises(ClientError):
        role(ROLE)  # nothing in the bot's own account


async def test_unused_roles_are_deleted_only_while_they_are_the_bots_alone() -> None:
    catalog = provisioning_catalog()
    db = catalog.databases["orders-prod"]
    roles = AwsRoles(catalog)
    carol = ROLE.replace("bob", "carol")
    dave = ROLE.replace("bob", "dave")
    for arn, handle in ((ROLE, "bob"), (carol, "carol"), (dave, "dave")):
        await roles.ensure(db, target(arn, handle=handle))
    seed.put_inline_policy(ROLE, "db-access-gold", seed.filler_policy(200))  # a leftover
    seed.put_inline_policy(carol, "her-own-s3", seed.filler_policy(200))
    seed.client("iam").untag_role(RoleName="DatabasesRole_dave", TagKeys=["managed-by"])

    async def delete(arn: str) -> RoleRemoval:
        return await roles.delete(account_id=seed.DEFAULT_ACCOUNT, principal_arn=arn)

    assert await delete(ROLE) == RoleRemoval("deleted")
    with pytest.raises(ClientError):
        role(ROLE)
    assert await delete(ROLE) == RoleRemoval("gone")  # a retry after a crash is fine
    kept = await delete(carol)
    assert kept.outcome == "kept" and "her-own-s3" in kept.reason
    assert set(seed.inline_policies(carol)) == {"her-own-s3"}
    assert await delete(dave) == RoleRemoval(
        "kept", "it no longer carries the managed-by=db-access-bot tag"
    )
    assert role(dave)["RoleName"] == "DatabasesRole_dave"


async def test_check_principal_lets_a_missing_role_through_only_when_the_bot_makes_it() -> None:
    seed.create_instance("orders-prod")
    catalog = provisioning_catalog()
    db = catalog.databases["orders-prod"]
    roles = AwsRoles(catalog)
    await AwsIamGrants(catalog, roles=roles).check_principal(db, principal_arn=ROLE)
    with pytest.raises(AwsError, match="does not exist; ask an admin to create it"):
        await AwsIamGrants(catalog).check_principal(db, principal_arn=ROLE)
    hand_made = ROLE.replace("bob", "erin")
    seed.create_role("DatabasesRole_erin", path="/db-access/")
    with pytest.raises(AwsError, match="was not created by db-access-bot"):
        await AwsIamGrants(catalog, roles=roles).check_principal(db, principal_arn=hand_made)


def test_the_bots_tags_come_first_and_unsafe_email_characters_are_replaced() -> None:
    catalog = provisioning_catalog()
    assert catalog.identity.provision is not None
    made = role_tags(catalog.identity.provision, user_id="U1", email="o'brien+x@example.com")
    assert made == [
        {"Key": "managed-by", "Value": "db-access-bot"},
        {"Key": "slack-user", "Value": "U1"},
        {"Key": "email", "Value": "o_brien+x@example.com"},
        {"Key": "team", "Value": "data"},
    ]


def test_a_new_role_is_retried_until_sts_accepts_it_and_no_longer() -> None:
    refusals = [
        ClientError({"Error": {"Code": "AccessDenied", "Message": "not yet"}}, "AssumeRole")
    ] * 2
    pauses: list[float] = []

    def attempt() -> None:
        if refusals:
            raise refusals.pop()

    wait_until_assumable(attempt, within=30, what=ROLE, sleep=pauses.append)
    assert pauses == [0.5, 1.0]

    def never() -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "AssumeRole")

    with pytest.raises(AwsError, match="could not assume the new role"):
        wait_until_assumable(never, within=0.1, what=ROLE, sleep=pauses.append)
