"""AWS IAM grants against moto in server mode (AWS_ENDPOINT_URL): policies, pages, budgets."""

from datetime import datetime, timedelta, timezone

import pytest
from botocore.config import Config

from bot.errors import AwsError, PolicyBudgetExceeded
from providers import aws_policy
from providers.aws_iam import AwsIamGrants
from providers.aws_session import AwsClients
from providers.aws_tokens import assume_role_args, session_name
from tests.support import aws_seed as seed
from tests.support.aws_specs import (
    EXPIRES,
    OTHER,
    expected_policy,
    make_catalog,
    make_db,
    make_target,
)

pytestmark = pytest.mark.usefixtures("aws_env")


def test_policy_document_names_and_size() -> None:
    doc = aws_policy.grant_policy(
        grant_id="g1",
        region="eu-west-1",
        account_id="123456789012",
        resource_id="db-ABC",
        db_user="bob_ro",
        expires_at=EXPIRES.astimezone(timezone(timedelta(hours=2))),
    )
    assert doc == expected_policy("db-ABC")
    standing = aws_policy.grant_policy(
        grant_id="g1",
        region="cn-north-1",
        account_id="1" * 12,
        resource_id="db-ABC",
        db_user="bob_ro",
        expires_at=None,
    )
    assert "Condition" not in standing["Statement"][0]
    assert standing["Statement"][0]["Sid"] == "DbAccessg1"
    dashed = aws_policy.grant_policy(
        grant_id="01H-x_9",
        region="eu-west-1",
        account_id="1" * 12,
        resource_id="db-ABC",
        db_user="bob_ro",
        expires_at=None,
    )
    assert dashed["Statement"][0]["Sid"] == "DbAccess01Hx9"  # IAM Sids are [A-Za-z0-9]
    assert standing["Statement"][0]["Resource"].startswith("arn:aws-cn:rds-db:cn-north-1:")
    assert aws_policy.policy_name("g1") == "db-access-g1"
    assert aws_policy.grant_id_from_policy_name("db-access-g1") == "g1"
    assert aws_policy.grant_id_from_policy_name("other-policy") is None
    assert aws_policy.policy_size('{"a": "b",\n "c": 1}') == len('{"a":"b","c":1}')
    assert aws_policy.policy_size(doc) == len(aws_policy.policy_json(doc))
    with pytest.raises(ValueError, match="timezone-aware"):
        aws_policy.iam_time(datetime(2030, 1, 1))
    later = aws_policy.grant_policy(
        grant_id="g1",
        region="eu-west-1",
        account_id="1" * 12,
        resource_id="db-ABC",
        db_user="bob_ro",
        expires_at=EXPIRES,
        starts_at=EXPIRES - timedelta(hours=1, microseconds=5),
    )
    assert later["Statement"][0]["Condition"] == {  # a window: nothing before, nothing after
        "DateGreaterThan": {
            "aws:CurrentTime": (EXPIRES - timedelta(hours=1, seconds=1)).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
        },
        "DateLessThan": {"aws:CurrentTime": EXPIRES.strftime("%Y-%m-%dT%H:%M:%SZ")},
    }
    standing_later = aws_policy.grant_policy(
        grant_id="g1",
        region="eu-west-1",
        account_id="1" * 12,
        resource_id="db-ABC",
        db_user="bob_ro",
        expires_at=None,
        starts_at=EXPIRES,
    )
    assert list(standing_later["Statement"][0]["Condition"]) == ["DateGreaterThan"]
    user = aws_policy.parse_principal("arn:aws:iam::123456789012:user/team/a/bob")
    assert (user.kind, user.name, user.budget) == ("user", "bob", 2048)


def test_session_name_and_assume_role_args() -> None:
    assert session_name("bob") == "bob"
    assert session_name("b") == "db-access-b"
    assert session_name("jürgen o'neil" + "x" * 80) == ("j-rgen-o-neil" + "x" * 80)[:64]
    args = assume_role_args(make_target("arn:aws:iam::123456789012:role/R"))
    assert args == {
        "RoleArn": "arn:aws:iam::123456789012:role/R",
        "RoleSessionName": "bob",
        "SourceIdentity": "bob@example.com",
        "DurationSeconds": 900,
        "Tags": [{"Key": "slack_user", "Value": "U0BOB"}, {"Key": "grant_id", "Value": "g1"}],
    }


# --- resource ids ------------------------------------------------------------------------


async def test_resource_id_of_instance_is_looked_up_once() -> None:
    made = seed.create_instance("orders-prod")
    db = make_db(instance_id="orders-prod")
    grants = AwsIamGrants(make_catalog(db))
    assert await grants.resource_id(db) == made.resource_id
    seed.delete_instance("orders-prod")  # a second lookup would now fail
    assert await grants.resource_id(db) == made.resource_id


async def test_resource_id_of_aurora_cluster() -> None:
    made = seed.create_cluster("orders-aurora")
    db = make_db(cluster_id="orders-aurora")
    assert await AwsIamGrants(make_catalog(db)).resource_id(db) == made.resource_id
    assert made.resource_id.startswith("cluster-")


async def test_catalog_resource_id_skips_the_lookup() -> None:
    db = make_db(instance_id="does-not-exist", resource_id="db-FROMCATALOG")
    assert await AwsIamGrants(make_catalog(db)).resource_id(db) == "db-FROMCATALOG"


@pytest.mark.parametrize("kind", ["instance_id", "cluster_id"])
async def test_missing_database_names_it_and_the_fix(kind: str) -> None:
    db = make_db(**{kind: "ghost"})
    with pytest.raises(AwsError) as caught:
        await AwsIamGrants(make_catalog(db)).resource_id(db)
    assert "orders-prod" in str(caught.value) and "'ghost'" in str(caught.value)
    assert f"fix {kind}" in str(caught.value)


@pytest.mark.parametrize("cluster", [False, True])
async def test_iam_auth_disabled_is_refused(cluster: bool) -> None:
    if cluster:
        seed.create_cluster("plain", iam_auth=False)
    else:
        seed.create_instance("plain", iam_auth=False)
    db = make_db(**{"cluster_id" if cluster else "instance_id": "plain"})
    with pytest.raises(AwsError, match="IAM database authentication enabled") as caught:
        await AwsIamGrants(make_catalog(db)).resource_id(db)
    assert "orders-prod" in str(caught.value)


# --- grant policies ----------------------------------------------------------------------


async def test_attach_list_detach_on_a_role_with_a_path() -> None:
    role = seed.create_role("DatabasesRole_bob", path="/people/")
    seed.put_inline_policy(role, "unrelated", seed.filler_policy(200))
    db = make_db(resource_id="db-RES1")
    grants = AwsIamGrants(make_catalog(db))
    assert await grants.attach(db, make_target(role)) == "db-access-g1"
    await grants.attach(db, make_target(role, grant_id="g2", expires_at=None))
    stored = seed.inline_policies(role)
    assert stored["db-access-g1"] == expected_policy("db-RES1")
    assert "Condition" not in stored["db-access-g2"]["Statement"][0]
    assert (await listed(grants, "role"))[role] == ["g1", "g2"]
    await grants.detach(db, principal_arn=role, grant_id="g1")
    await grants.detach(db, principal_arn=role, grant_id="g1")  # already gone: fine
    assert sorted(seed.inline_policies(role)) == ["db-access-g2", "unrelated"]


async def test_attach_on_an_iam_user_and_detach_of_missing_things() -> None:
    user = seed.create_user("bob", path="/humans/")
    db = make_db(resource_id="db-RES1")
    grants = AwsIamGrants(make_catalog(db))
    await grants.attach(db, make_target(user))
    assert seed.inline_policies(user) == {"db-access-g1": expected_policy("db-RES1")}
    assert await listed(grants, "user") == {user: ["g1"]}
    await grants.detach(db, principal_arn=user, grant_id="nope")
    gone = "arn:aws:iam::123456789012:role/Deleted"
    await grants.detach(db, principal_arn=gone, grant_id="g1")
    assert gone not in await listed(grants, "role", "user")


async def listed(
    grants: AwsIamGrants, *kinds: str, account_id: str = seed.DEFAULT_ACCOUNT
) -> dict[str, list[str]]:
    """Every principal of the kinds with its grant ids, all pages merged."""
    found: dict[str, list[str]] = {}
    async for page in grants.grant_policy_pages(account_id=account_id, kinds=frozenset(kinds)):
        assert not found.keys() & page.keys()  # a principal appears in one page only
        found.update(page)
    return {arn: sorted(ids) for arn, ids in found.items()}


async def test_pages_list_roles_and_users_with_their_grant_policies_only() -> None:
    role = seed.create_role("DatabasesRole_bob", path="/people/")
    bare = seed.create_role("DatabasesRole_carol")
    user = seed.create_user("dave")
    seed.put_inline_policy(role, "db-access-g1", seed.filler_policy(100))
    seed.put_inline_policy(role, "unrelated", seed.filler_policy(100))
    seed.put_inline_policy(user, "db-access-g2", seed.filler_policy(100))
    seed.put_inline_policy(user, "db-access-not a grant id", seed.filler_policy(100))
    manage = seed.create_role("db-access-bot", account_id=OTHER)
    other = seed.create_role("DatabasesRole_erin", account_id=OTHER)
    seed.put_inline_policy(other, "db-access-g3", seed.filler_policy(100))
    grants = AwsIamGrants(
        make_catalog(
            make_db(resource_id="db-RES1"),
            make_db("other-db", account_id=OTHER, resource_id="db-RES2"),
            manage_role=manage,
        )
    )
    assert await listed(grants, "role", account_id=OTHER) == {manage: [], other: ["g3"]}
    assert await listed(grants, "role") == {role: ["g1"], bare: []}
    assert await listed(grants, "user") == {user: ["g2"]}
    assert await listed(grants, "role", "user") == {role: ["g1"], bare: [], user: ["g2"]}
    assert await listed(grants) == {}


async def test_pages_iam_does_not_answer_name_the_call_and_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    catalog = make_catalog(make_db(resource_id="db-RES1"))
    grants = AwsIamGrants(
        catalog,
        clients=AwsClients(catalog, config=Config(retries={"mode": "standard", "max_attempts": 1})),
    )
    with pytest.raises(
        AwsError,
        match=r"read the roles and users \(GetAccountAuthorization"
        r"Details\) for account 123456789012",
    ) as caught:
        await listed(grants, "role")
    assert "db-access-bot iam-policy" in str(caught.value)


async def test_attach_to_a_missing_role_names_it() -> None:
    db = make_db(resource_id="db-RES1")
    with pytest.raises(AwsError, match="DatabasesRole_nobody does not exist"):
        await AwsIamGrants(make_catalog(db)).attach(
            db, make_target("arn:aws:iam::123456789012:role/DatabasesRole_nobody")
        )


async def test_role_budget_refuses_before_writing_and_counts_a_rewrite_once() -> None:
    role = seed.create_role("DatabasesRole_bob")
    db = make_db(resource_id="db-RES1")
    one = aws_policy.policy_size(expected_policy("db-RES1"))
    seed.put_inline_policy(role, "filler", seed.filler_policy(aws_policy.ROLE_BUDGET - one - 50))
    grants = AwsIamGrants(make_catalog(db))
    await grants.attach(db, make_target(role))
    await grants.attach(db, make_target(role))  # replaces itself: still within budget
    with pytest.raises(PolicyBudgetExceeded) as caught:
        await grants.attach(db, make_target(role, grant_id="g2"))
    message = str(caught.value)
    assert role in message and "10,240" in message and "Revoke an older grant" in message
    assert sorted(seed.inline_policies(role)) == ["db-access-g1", "filler"]


async def test_user_budget_is_2048() -> None:
    user = seed.create_user("bob")
    seed.put_inline_policy(user, "filler", seed.filler_policy(1900))
    db = make_db(resource_id="db-RES1")
    with pytest.raises(PolicyBudgetExceeded, match="2,048-character limit for a user"):
        await AwsIamGrants(make_catalog(db)).attach(db, make_target(user))
    assert list(seed.inline_policies(user)) == ["filler"]


# --- cross-account -----------------------------------------------------------------------
