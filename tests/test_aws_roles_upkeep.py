"""Per-user roles after creation: deleted once unused, checked before filing, tagged, waited for."""

import pytest
from botocore.exceptions import ClientError

from bot.domain import RoleRemoval
from bot.errors import AwsError
from providers.aws_iam import AwsIamGrants
from providers.aws_roles import AwsRoles
from providers.aws_roles_sts import wait_until_assumable
from providers.role_documents import role_tags
from tests.support import aws_seed as seed
from tests.support.provisioned_roles import ROLE, provisioning_catalog, role, target

pytestmark = pytest.mark.usefixtures("aws_env")


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
