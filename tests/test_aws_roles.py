"""Per-user roles on moto: created on first use, idempotent, replica-safe, never someone else's.

moto stores what the bot writes (path, boundary, tags, trust) but evaluates no IAM condition
or trust policy, so the documents themselves are checked here.
"""

import asyncio
import json

import boto3
import pytest
from botocore.exceptions import ClientError

from bot.domain import RoleChange, RoleRemoval
from bot.errors import AwsError
from providers.aws_policy import parse_principal
from providers.aws_roles import AwsRoles
from providers.aws_session import AwsClients
from providers.role_documents import trust_policy
from tests.support import aws_seed as seed
from tests.support.provisioned_roles import (
    MOTO_CALLER,
    OTHER,
    ROLE,
    SSO,
    provisioning_catalog,
    role,
    tags,
    target,
)

pytestmark = pytest.mark.usefixtures("aws_env")


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
