"""Checks made before a request reaches approvers, on moto: the role and the database exist."""

import pytest

from bot.errors import AwsError
from providers.aws_iam import AwsIamGrants
from tests.support import aws_seed as seed
from tests.test_aws_providers import make_catalog, make_db

pytestmark = pytest.mark.usefixtures("aws_env")


async def test_an_existing_role_and_instance_pass() -> None:
    seed.create_instance("orders-prod")
    arn = seed.create_role("DatabasesRole_bob", path="/people/")
    db = make_db(instance_id="orders-prod")
    await AwsIamGrants(make_catalog(db)).check_principal(db, principal_arn=arn)


async def test_a_missing_role_is_a_clear_refusal_not_worth_retrying() -> None:
    db = make_db(resource_id="db-FROMCATALOG")
    arn = f"arn:aws:iam::{seed.DEFAULT_ACCOUNT}:role/DatabasesRole_nobody"
    with pytest.raises(AwsError) as caught:
        await AwsIamGrants(make_catalog(db)).check_principal(db, principal_arn=arn)
    assert arn in str(caught.value) and "does not exist" in str(caught.value)
    assert caught.value.retryable is False


async def test_a_missing_user_principal_is_refused_too() -> None:
    db = make_db(resource_id="db-FROMCATALOG")
    arn = f"arn:aws:iam::{seed.DEFAULT_ACCOUNT}:user/nobody"
    with pytest.raises(AwsError) as caught:
        await AwsIamGrants(make_catalog(db)).check_principal(db, principal_arn=arn)
    assert "IAM user" in str(caught.value) and caught.value.retryable is False


async def test_a_database_without_iam_auth_is_refused_before_approval() -> None:
    seed.create_instance("legacy", iam_auth=False)
    arn = seed.create_role("DatabasesRole_bob")
    db = make_db(instance_id="legacy")
    with pytest.raises(AwsError) as caught:
        await AwsIamGrants(make_catalog(db)).check_principal(db, principal_arn=arn)
    assert "enable-iam-database-authentication" in str(caught.value)
    assert caught.value.retryable is False
