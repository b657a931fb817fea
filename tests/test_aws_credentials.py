"""AWS credentials against moto in server mode: manage roles, tokens as the user, admin secrets."""

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import boto3
import pytest

from bot.catalog.database import AdminSpec
from bot.domain import CredentialKind
from bot.errors import AwsError
from providers.aws_iam import AwsIamGrants
from providers.aws_secrets import AwsAdminSecrets
from providers.aws_session import AwsClients, scrub
from providers.aws_tokens import AwsTokenMinter
from tests.support import aws_seed as seed
from tests.support.aws_specs import (
    OTHER,
    expected_policy,
    make_catalog,
    make_db,
    make_target,
    token_parts,
)

pytestmark = pytest.mark.usefixtures("aws_env")


async def test_manage_role_routes_iam_and_rds_calls_to_the_other_account() -> None:
    manage = f"arn:aws:iam::{OTHER}:role/db-access-bot"
    made = seed.create_instance("billing", account_id=OTHER)
    role = seed.create_role("DatabasesRole_bob", account_id=OTHER)  # exists only in OTHER
    db = make_db("billing", account_id=OTHER, instance_id="billing")
    clients = AwsClients(make_catalog(db, manage_role=manage))
    grants = AwsIamGrants(make_catalog(db, manage_role=manage), clients=clients)
    await grants.attach(db, make_target(role))
    assert seed.inline_policies(role) == {
        "db-access-g1": expected_policy(made.resource_id, account_id=OTHER)
    }
    frozen = clients.credentials(OTHER).get_frozen_credentials()
    assert frozen.access_key.startswith("ASIA") and frozen.token
    who = boto3.client(
        "sts",
        aws_access_key_id=frozen.access_key,
        aws_secret_access_key=frozen.secret_key,
        aws_session_token=frozen.token,
    ).get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{OTHER}:assumed-role/db-access-bot/db-access-bot"
    assert clients.credentials(seed.DEFAULT_ACCOUNT).access_key == "testing"


async def test_constructors_make_no_network_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    db = make_db(
        account_id=OTHER,
        instance_id="x",
        admin=AdminSpec(secret_arn=f"arn:aws:secretsmanager:eu-west-1:{OTHER}:secret:a"),
    )
    catalog = make_catalog(db, manage_role=f"arn:aws:iam::{OTHER}:role/db-access-bot")
    clients = AwsClients(catalog)
    built = [
        AwsIamGrants(catalog),
        AwsTokenMinter(catalog),
        AwsAdminSecrets(catalog),
        AwsIamGrants(catalog, clients=clients),
    ]
    assert len(built) == 4
    assert type(clients.credentials(OTHER)).__name__ == "DeferredRefreshableCredentials"


async def test_manage_role_credentials_refresh_before_they_expire() -> None:
    manage = f"arn:aws:iam::{OTHER}:role/db-access-bot"
    # A 15-minute session sits inside botocore's 15-minute advisory window: every use refreshes.
    clients = AwsClients(
        make_catalog(make_db(account_id=OTHER), manage_role=manage), manage_session_seconds=900
    )
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
    credential = await AwsTokenMinter(make_catalog(db), clients=clients).mint(db, make_target(role))
    assert credential.kind is CredentialKind.TOKEN
    assert (
        before + timedelta(minutes=14)
        < credential.expires_at
        <= datetime.now(UTC) + timedelta(minutes=15)
    )
    where, query = token_parts(credential.value)
    assert where == "orders.abc.eu-west-1.rds.amazonaws.com:5433/"
    assert credential.value.startswith(f"{where}?Action=connect&DBUser=bob_ro&X-Amz-")
    key_id, _, region, service, _ = query["X-Amz-Credential"].split("/")
    assert (region, service, query["X-Amz-Expires"]) == ("eu-west-1", "rds-db", "900")
    assert key_id.startswith("ASIA") and key_id != "testing" and query["X-Amz-Security-Token"]
    # moto maps the access key id back to the session it issued: the user's role, by handle.
    who = boto3.client(
        "sts", aws_access_key_id=key_id, aws_secret_access_key="unused"
    ).get_caller_identity()
    assert who["Arn"] == "arn:aws:sts::123456789012:assumed-role/DatabasesRole_bob/bob"
    # moto ignores SourceIdentity and session tags, so check what went over the wire.
    body = {k: v[0] for k, v in parse_qs(sent[0]).items()}
    assert body["SourceIdentity"] == "bob@example.com" and body["DurationSeconds"] == "900"
    assert (body["Tags.member.1.Key"], body["Tags.member.1.Value"]) == ("slack_user", "U0BOB")
    assert (body["Tags.member.2.Key"], body["Tags.member.2.Value"]) == ("grant_id", "g1")


async def test_iam_user_gets_the_command() -> None:
    db = make_db(host="orders.abc.eu-west-1.rds.amazonaws.com")
    credential = await AwsTokenMinter(make_catalog(db)).mint(
        db, make_target("arn:aws:iam::123456789012:user/bob")
    )
    assert credential.kind is CredentialKind.COMMAND
    assert credential.value == (
        "aws rds generate-db-auth-token --hostname "
        "orders.abc.eu-west-1.rds.amazonaws.com --port 5432 "
        "--region eu-west-1 --username bob_ro"
    )


# --- admin logins ------------------------------------------------------------------------


async def test_admin_login_from_secret_and_bad_secrets() -> None:
    good = seed.create_secret("good", {"username": "dbadmin", "password": "pw-Very-Secret-1"})
    bad = seed.create_secret("bad", "pw-Very-Secret-2 is not json")
    partial = seed.create_secret("partial", {"username": "dbadmin", "pass": "pw-Very-Secret-3"})
    dbs = [
        make_db(f"db{i}", admin=AdminSpec(secret_arn=arn))
        for i, arn in enumerate([good, bad, partial])
    ]
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
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "SecretKey-DoNotLeak-0123456789")
    seed.create_secret("broken", '{"username": "a", "password": "pw-DoNotLeak"')
    missing = f"arn:aws:secretsmanager:eu-west-1:{seed.DEFAULT_ACCOUNT}:secret:missing"
    good_db = make_db(
        "a",
        instance_id="ghost",
        admin=AdminSpec(
            secret_arn=f"arn:aws:secretsmanager:eu-west-1:{seed.DEFAULT_ACCOUNT}:secret:broken"
        ),
    )
    missing_db = make_db("b", admin=AdminSpec(secret_arn=missing), resource_id="db-X")
    catalog = make_catalog(good_db, missing_db)
    errors: list[AwsError] = []
    for attempt in (
        AwsIamGrants(catalog).resource_id(good_db),
        AwsIamGrants(catalog).attach(
            missing_db, make_target("arn:aws:iam::123456789012:role/Nobody")
        ),
        AwsAdminSecrets(catalog).admin_login(good_db),
        AwsAdminSecrets(catalog).admin_login(missing_db),
    ):
        with pytest.raises(AwsError) as caught:
            await attempt
        errors.append(caught.value)
    for error in errors:
        text = f"{error} {error.args!r} {error.__context__}"
        assert "DoNotLeak" not in text and "testing" not in text
    assert scrub("key ASIAABCDEFGHIJKLMNOP and " + "A" * 40) == "key <access key> and <redacted>"
