"""AWS providers against moto in server mode (AWS_ENDPOINT_URL): IAM grants, tokens, secrets."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.config import Config

from bot.catalog import AccountSpec, Catalog
from bot.catalog_database import AdminSpec, DatabaseSpec, LevelSpec
from bot.catalog_identity import IdentitySpec
from bot.domain import CredentialKind, Engine, GrantTarget, Level
from bot.errors import AwsError, PolicyBudgetExceeded
from providers import aws_policy
from providers.aws_iam import AwsIamGrants
from providers.aws_secrets import AwsAdminSecrets
from providers.aws_session import AwsClients, scrub
from providers.aws_tokens import AwsTokenMinter, assume_role_args, session_name
from tests.support import aws_seed as seed

pytestmark = pytest.mark.usefixtures("aws_env")
OTHER = seed.OTHER_ACCOUNT
EXPIRES = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


def make_db(name: str = "orders-prod", *, account_id: str = seed.DEFAULT_ACCOUNT,
            host: str = "orders.example.test", port: int = 5432, **extra: Any) -> DatabaseSpec:
    """A catalog database in eu-west-1 (extra: instance_id, cluster_id, resource_id, admin)."""
    if not {"instance_id", "cluster_id", "resource_id"} & set(extra):
        extra["resource_id"] = "db-ORDERS"  # the catalog needs some way to find the resource
    return DatabaseSpec(
        name=name, account_id=account_id, region=seed.REGION, engine=Engine.POSTGRES, host=host,
        port=port, dbname="orders",
        levels={Level.RO: LevelSpec(name=Level.RO, grants=("pg_read_all_data",))},
        durations=(timedelta(hours=1),), approvers=("U0DBA",), approvals_channel="C0APPROVALS",
        **extra)


def make_catalog(*databases: DatabaseSpec, manage_role: str | None = None) -> Catalog:
    """A catalog of databases; manage_role (if any) is the OTHER account's manage role."""
    accounts = {}
    if manage_role:
        accounts[OTHER] = AccountSpec(account_id=OTHER, manage_role_arn=manage_role)
    return Catalog(
        approvals_channel="C0APPROVALS", admins=("U0ADMIN",), approval_timeout=timedelta(30),
        identity=IdentitySpec(principal="arn:aws:iam::{account_id}:role/DatabasesRole_{handle}",
                              db_user="{handle}_{level}"),
        databases={db.name: db for db in databases}, accounts=accounts)


def make_target(principal_arn: str, *, grant_id: str = "g1",
                expires_at: datetime | None = EXPIRES) -> GrantTarget:
    return GrantTarget(grant_id=grant_id, database="orders-prod", level=Level.RO,
                       principal_arn=principal_arn, db_user="bob_ro", user_id="U0BOB",
                       email="bob@example.com", handle="bob", expires_at=expires_at)


def expected_policy(resource_id: str, *, grant_id: str = "g1",
                    account_id: str = seed.DEFAULT_ACCOUNT) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": f"DbAccess{grant_id}", "Effect": "Allow", "Action": "rds-db:connect",
        "Resource": f"arn:aws:rds-db:eu-west-1:{account_id}:dbuser:{resource_id}/bob_ro",
        "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-02T03:04:05Z"}}}]}


def token_parts(token: str) -> tuple[str, dict[str, str]]:
    """('host:port/', query) of an IAM auth token."""
    parts = urlsplit(f"https://{token}")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return f"{parts.netloc}{parts.path}", query


# --- pure policy functions ---------------------------------------------------------------


def test_policy_document_names_and_size() -> None:
    doc = aws_policy.grant_policy(grant_id="g1", region="eu-west-1", account_id="123456789012",
                                  resource_id="db-ABC", db_user="bob_ro",
                                  expires_at=EXPIRES.astimezone(timezone(timedelta(hours=2))))
    assert doc == expected_policy("db-ABC")
    standing = aws_policy.grant_policy(grant_id="g1", region="cn-north-1", account_id="1" * 12,
                                       resource_id="db-ABC", db_user="bob_ro", expires_at=None)
    assert "Condition" not in standing["Statement"][0]
    assert standing["Statement"][0]["Sid"] == "DbAccessg1"
    dashed = aws_policy.grant_policy(grant_id="01H-x_9", region="eu-west-1", account_id="1" * 12,
                                     resource_id="db-ABC", db_user="bob_ro", expires_at=None)
    assert dashed["Statement"][0]["Sid"] == "DbAccess01Hx9"  # IAM Sids are [A-Za-z0-9]
    assert standing["Statement"][0]["Resource"].startswith("arn:aws-cn:rds-db:cn-north-1:")
    assert aws_policy.policy_name("g1") == "db-access-g1"
    assert aws_policy.grant_id_from_policy_name("db-access-g1") == "g1"
    assert aws_policy.grant_id_from_policy_name("other-policy") is None
    assert aws_policy.policy_size('{"a": "b",\n "c": 1}') == len('{"a":"b","c":1}')
    assert aws_policy.policy_size(doc) == len(aws_policy.policy_json(doc))
    with pytest.raises(ValueError, match="timezone-aware"):
        aws_policy.iam_time(datetime(2030, 1, 1))
    later = aws_policy.grant_policy(grant_id="g1", region="eu-west-1", account_id="1" * 12,
                                    resource_id="db-ABC", db_user="bob_ro", expires_at=EXPIRES,
                                    starts_at=EXPIRES - timedelta(hours=1, microseconds=5))
    assert later["Statement"][0]["Condition"] == {  # a window: nothing before, nothing after
        "DateGreaterThan": {"aws:CurrentTime": (EXPIRES - timedelta(hours=1, seconds=1))
                            .strftime("%Y-%m-%dT%H:%M:%SZ")},
        "DateLessThan": {"aws:CurrentTime": EXPIRES.strftime("%Y-%m-%dT%H:%M:%SZ")}}
    standing_later = aws_policy.grant_policy(grant_id="g1", region="eu-west-1",
                                             account_id="1" * 12, resource_id="db-ABC",
                                             db_user="bob_ro", expires_at=None,
                                             starts_at=EXPIRES)
    assert list(standing_later["Statement"][0]["Condition"]) == ["DateGreaterThan"]
    user = aws_policy.parse_principal("arn:aws:iam::123456789012:user/team/a/bob")
    assert (user.kind, user.name, user.budget) == ("user", "bob", 2048)


def test_session_name_and_assume_role_args() -> None:
    assert session_name("bob") == "bob"
    assert session_name("b") == "db-access-b"
    assert session_name("jürgen o'neil" + "x" * 80) == ("j-rgen-o-neil" + "x" * 80)[:64]
    args = assume_role_args(make_target("arn:aws:iam::123456789012:role/R"))
    assert args == {"RoleArn": "arn:aws:iam::123456789012:role/R", "RoleSessionName": "bob",
                    "SourceIdentity": "bob@example.com", "DurationSeconds": 900,
                    "Tags": [{"Key": "slack_user", "Value": "U0BOB"},
                             {"Key": "grant_id", "Value": "g1"}]}


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


async def listed(grants: AwsIamGrants, *kinds: str,
                 account_id: str = seed.DEFAULT_ACCOUNT) -> dict[str, list[str]]:
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
    grants = AwsIamGrants(make_catalog(make_db(resource_id="db-RES1"),
                                       make_db("other-db", account_id=OTHER,
                                               resource_id="db-RES2"), manage_role=manage))
    assert await listed(grants, "role", account_id=OTHER) == {manage: [], other: ["g3"]}
    assert await listed(grants, "role") == {role: ["g1"], bare: []}
    assert await listed(grants, "user") == {user: ["g2"]}
    assert await listed(grants, "role", "user") == {role: ["g1"], bare: [], user: ["g2"]}
    assert await listed(grants) == {}


async def test_pages_iam_does_not_answer_name_the_call_and_the_fix(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    catalog = make_catalog(make_db(resource_id="db-RES1"))
    grants = AwsIamGrants(catalog, clients=AwsClients(
        catalog, config=Config(retries={"mode": "standard", "max_attempts": 1})))
    with pytest.raises(AwsError, match=r"read the roles and users \(GetAccountAuthorization"
                                       r"Details\) for account 123456789012") as caught:
        await listed(grants, "role")
    assert "db-access-bot iam-policy" in str(caught.value)


async def test_attach_to_a_missing_role_names_it() -> None:
    db = make_db(resource_id="db-RES1")
    with pytest.raises(AwsError, match="DatabasesRole_nobody does not exist"):
        await AwsIamGrants(make_catalog(db)).attach(
            db, make_target("arn:aws:iam::123456789012:role/DatabasesRole_nobody"))


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


async def test_manage_role_routes_iam_and_rds_calls_to_the_other_account() -> None:
    manage = f"arn:aws:iam::{OTHER}:role/db-access-bot"
    made = seed.create_instance("billing", account_id=OTHER)
    role = seed.create_role("DatabasesRole_bob", account_id=OTHER)  # exists only in OTHER
    db = make_db("billing", account_id=OTHER, instance_id="billing")
    clients = AwsClients(make_catalog(db, manage_role=manage))
    grants = AwsIamGrants(make_catalog(db, manage_role=manage), clients=clients)
    await grants.attach(db, make_target(role))
    assert seed.inline_policies(role) == {
        "db-access-g1": expected_policy(made.resource_id, account_id=OTHER)}
    frozen = clients.credentials(OTHER).get_frozen_credentials()
    assert frozen.access_key.startswith("ASIA") and frozen.token
    who = boto3.client("sts", aws_access_key_id=frozen.access_key,
                       aws_secret_access_key=frozen.secret_key,
                       aws_session_token=frozen.token).get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{OTHER}:assumed-role/db-access-bot/db-access-bot"
    assert clients.credentials(seed.DEFAULT_ACCOUNT).access_key == "testing"


async def test_constructors_make_no_network_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    db = make_db(account_id=OTHER, instance_id="x",
                 admin=AdminSpec(secret_arn=f"arn:aws:secretsmanager:eu-west-1:{OTHER}:secret:a"))
    catalog = make_catalog(db, manage_role=f"arn:aws:iam::{OTHER}:role/db-access-bot")
    clients = AwsClients(catalog)
    built = [AwsIamGrants(catalog), AwsTokenMinter(catalog), AwsAdminSecrets(catalog),
             AwsIamGrants(catalog, clients=clients)]
    assert len(built) == 4
    assert type(clients.credentials(OTHER)).__name__ == "DeferredRefreshableCredentials"


async def test_manage_role_credentials_refresh_before_they_expire() -> None:
    manage = f"arn:aws:iam::{OTHER}:role/db-access-bot"
    # A 15-minute session sits inside botocore's 15-minute advisory window: every use refreshes.
    clients = AwsClients(make_catalog(make_db(account_id=OTHER), manage_role=manage),
                         manage_session_seconds=900)
    credentials = clients.credentials(OTHER)
    first = credentials.get_frozen_credentials().access_key
    second = credentials.get_frozen_credentials().access_key
    assert first.startswith("ASIA") and second.startswith("ASIA") and first != second


# --- tokens ------------------------------------------------------------------------------


async def test_token_is_signed_by_the_assumed_user_role() -> None:
    role = seed.create_role("DatabasesRole_bob")
    db = make_db(host="orders.abc.eu-west-1.rds.amazonaws.com", port=5433)
    clients = AwsClients(make_catalog(db))
    sent: list[str] = []

    def record(request: Any, **_: Any) -> None:
        body = request.body
        sent.append(body.decode() if isinstance(body, bytes) else body)

    clients.sts(seed.REGION).meta.events.register("before-send.sts.AssumeRole", record)
    before = datetime.now(UTC)
    credential = await AwsTokenMinter(make_catalog(db), clients=clients).mint(
        db, make_target(role))
    assert credential.kind is CredentialKind.TOKEN
    assert before + timedelta(minutes=14) < credential.expires_at <= datetime.now(UTC) + \
        timedelta(minutes=15)
    where, query = token_parts(credential.value)
    assert where == "orders.abc.eu-west-1.rds.amazonaws.com:5433/"
    assert credential.value.startswith(f"{where}?Action=connect&DBUser=bob_ro&X-Amz-")
    key_id, _, region, service, _ = query["X-Amz-Credential"].split("/")
    assert (region, service, query["X-Amz-Expires"]) == ("eu-west-1", "rds-db", "900")
    assert key_id.startswith("ASIA") and key_id != "testing" and query["X-Amz-Security-Token"]
    # moto maps the access key id back to the session it issued: the user's role, by handle.
    who = boto3.client("sts", aws_access_key_id=key_id,
                       aws_secret_access_key="unused").get_caller_identity()
    assert who["Arn"] == "arn:aws:sts::123456789012:assumed-role/DatabasesRole_bob/bob"
    # moto ignores SourceIdentity and session tags, so check what went over the wire.
    body = {k: v[0] for k, v in parse_qs(sent[0]).items()}
    assert body["SourceIdentity"] == "bob@example.com" and body["DurationSeconds"] == "900"
    assert (body["Tags.member.1.Key"], body["Tags.member.1.Value"]) == ("slack_user", "U0BOB")
    assert (body["Tags.member.2.Key"], body["Tags.member.2.Value"]) == ("grant_id", "g1")


async def test_iam_user_gets_the_command() -> None:
    db = make_db(host="orders.abc.eu-west-1.rds.amazonaws.com")
    credential = await AwsTokenMinter(make_catalog(db)).mint(
        db, make_target("arn:aws:iam::123456789012:user/bob"))
    assert credential.kind is CredentialKind.COMMAND
    assert credential.value == ("aws rds generate-db-auth-token --hostname "
                                "orders.abc.eu-west-1.rds.amazonaws.com --port 5432 "
                                "--region eu-west-1 --username bob_ro")


# --- admin logins ------------------------------------------------------------------------


async def test_admin_login_from_secret_and_bad_secrets() -> None:
    good = seed.create_secret("good", {"username": "dbadmin", "password": "pw-Very-Secret-1"})
    bad = seed.create_secret("bad", "pw-Very-Secret-2 is not json")
    partial = seed.create_secret("partial", {"username": "dbadmin", "pass": "pw-Very-Secret-3"})
    dbs = [make_db(f"db{i}", admin=AdminSpec(secret_arn=arn))
           for i, arn in enumerate([good, bad, partial])]
    secrets = AwsAdminSecrets(make_catalog(*dbs))
    login = await secrets.admin_login(dbs[0])
    assert (login.username, login.password) == ("dbadmin", "pw-Very-Secret-1")
    with pytest.raises(AwsError, match="is not JSON") as not_json:
        await secrets.admin_login(dbs[1])
    with pytest.raises(AwsError, match="lacks password") as lacking:
        await secrets.admin_login(dbs[2])
    for error in (not_json.value, lacking.value):
        assert "pw-Very-Secret" not in str(error) + repr(error.args)
        assert error.__cause__ is None


async def test_admin_login_with_iam_user_uses_the_bots_credentials() -> None:
    db = make_db(admin=AdminSpec(iam_user="dbaccess_admin"))
    login = await AwsAdminSecrets(make_catalog(db)).admin_login(db)
    assert login.username == "dbaccess_admin"
    _, query = token_parts(login.password)
    assert query["DBUser"] == "dbaccess_admin"
    assert query["X-Amz-Credential"].startswith("testing/")


async def test_aws_errors_never_carry_credentials_or_passwords(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "SecretKey-DoNotLeak-0123456789")
    seed.create_secret("broken", '{"username": "a", "password": "pw-DoNotLeak"')
    missing = f"arn:aws:secretsmanager:eu-west-1:{seed.DEFAULT_ACCOUNT}:secret:missing"
    good_db = make_db("a", instance_id="ghost", admin=AdminSpec(
        secret_arn=f"arn:aws:secretsmanager:eu-west-1:{seed.DEFAULT_ACCOUNT}:secret:broken"))
    missing_db = make_db("b", admin=AdminSpec(secret_arn=missing), resource_id="db-X")
    catalog = make_catalog(good_db, missing_db)
    errors: list[AwsError] = []
    for attempt in (AwsIamGrants(catalog).resource_id(good_db),
                    AwsIamGrants(catalog).attach(missing_db, make_target(
                        "arn:aws:iam::123456789012:role/Nobody")),
                    AwsAdminSecrets(catalog).admin_login(good_db),
                    AwsAdminSecrets(catalog).admin_login(missing_db)):
        with pytest.raises(AwsError) as caught:
            await attempt
        errors.append(caught.value)
    for error in errors:
        text = f"{error} {error.args!r} {error.__context__}"
        assert "DoNotLeak" not in text and "testing" not in text
    assert scrub("key ASIAABCDEFGHIJKLMNOP and " + "A" * 40) == \
        "key <access key> and <redacted>"
