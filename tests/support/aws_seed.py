"""Seed and inspect moto (server mode) with plain boto3: databases, principals, secrets."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.client import BaseClient

REGION = "eu-west-1"
DEFAULT_ACCOUNT = "123456789012"  # moto's default account
OTHER_ACCOUNT = "222222222222"


@dataclass(frozen=True)
class SeededDatabase:
    """An RDS instance or Aurora cluster as moto created it."""

    identifier: str
    resource_id: str
    host: str
    port: int
    iam_auth: bool


def client(service: str, *, account_id: str = DEFAULT_ACCOUNT, region: str = REGION) -> BaseClient:
    """A boto3 client aimed at moto (AWS_ENDPOINT_URL) acting in account_id."""
    made = boto3.client(service, region_name=region)
    if account_id != DEFAULT_ACCOUNT:
        # moto server mode picks the account from this header when MOTO_ACCOUNT_ID is unset.
        def add_header(request: Any, **_: Any) -> None:
            request.headers["x-moto-account-id"] = account_id

        made.meta.events.register("before-sign", add_header)
    return made


def create_instance(
    identifier: str,
    *,
    iam_auth: bool = True,
    engine: str = "postgres",
    account_id: str = DEFAULT_ACCOUNT,
    region: str = REGION,
) -> SeededDatabase:
    """An RDS DB instance with IAM database authentication on or off."""
    rds = client("rds", account_id=account_id, region=region)
    made = rds.create_db_instance(
        DBInstanceIdentifier=identifier,
        DBInstanceClass="db.t3.micro",
        Engine=engine,
        AllocatedStorage=20,
        MasterUsername="master",
        MasterUserPassword="master-password-1",
        EnableIAMDatabaseAuthentication=iam_auth,
    )["DBInstance"]
    endpoint = made.get("Endpoint") or {}
    return SeededDatabase(
        identifier=identifier,
        resource_id=made["DbiResourceId"],
        host=endpoint.get("Address", f"{identifier}.example.test"),
        port=int(endpoint.get("Port", 5432)),
        iam_auth=iam_auth,
    )


def create_cluster(
    identifier: str,
    *,
    iam_auth: bool = True,
    engine: str = "aurora-postgresql",
    account_id: str = DEFAULT_ACCOUNT,
    region: str = REGION,
) -> SeededDatabase:
    """An Aurora DB cluster with IAM database authentication on or off."""
    rds = client("rds", account_id=account_id, region=region)
    made = rds.create_db_cluster(
        DBClusterIdentifier=identifier,
        Engine=engine,
        MasterUsername="master",
        MasterUserPassword="master-password-1",
        EnableIAMDatabaseAuthentication=iam_auth,
    )["DBCluster"]
    return SeededDatabase(
        identifier=identifier,
        resource_id=made["DbClusterResourceId"],
        host=made["Endpoint"],
        port=int(made.get("Port") or 5432),
        iam_auth=iam_auth,
    )


def delete_instance(
    identifier: str, *, account_id: str = DEFAULT_ACCOUNT, region: str = REGION
) -> None:
    """Delete an instance (to prove a cached lookup does not call RDS again)."""
    client("rds", account_id=account_id, region=region).delete_db_instance(
        DBInstanceIdentifier=identifier, SkipFinalSnapshot=True
    )


def create_role(name: str, *, path: str = "/", account_id: str = DEFAULT_ACCOUNT) -> str:
    """An IAM role that the account may assume; return its ARN."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
            }
        ],
    }
    iam = client("iam", account_id=account_id)
    return iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"
    ]["Arn"]


def create_user(name: str, *, path: str = "/", account_id: str = DEFAULT_ACCOUNT) -> str:
    """An IAM user; return its ARN."""
    return client("iam", account_id=account_id).create_user(UserName=name, Path=path)["User"]["Arn"]


def create_secret(
    name: str,
    value: str | Mapping[str, Any],
    *,
    account_id: str = DEFAULT_ACCOUNT,
    region: str = REGION,
) -> str:
    """A Secrets Manager secret (a mapping is stored as JSON); return its ARN."""
    text = value if isinstance(value, str) else json.dumps(dict(value))
    sm = client("secretsmanager", account_id=account_id, region=region)
    return sm.create_secret(Name=name, SecretString=text)["ARN"]


def _principal(arn: str) -> tuple[str, str, str]:
    """(account id, 'role' or 'user', name) of an IAM principal ARN."""
    account_id = arn.split(":")[4]
    kind, _, rest = arn.split(":", 5)[5].partition("/")
    return account_id, kind, rest.rsplit("/", 1)[-1]


def put_inline_policy(principal_arn: str, name: str, document: Mapping[str, Any] | str) -> None:
    """Store an inline policy on a role or user (e.g. filler for quota tests)."""
    account_id, kind, principal = _principal(principal_arn)
    iam = client("iam", account_id=account_id)
    text = document if isinstance(document, str) else json.dumps(dict(document))
    if kind == "role":
        iam.put_role_policy(RoleName=principal, PolicyName=name, PolicyDocument=text)
    else:
        iam.put_user_policy(UserName=principal, PolicyName=name, PolicyDocument=text)


def inline_policies(principal_arn: str) -> dict[str, Any]:
    """Every inline policy on a role or user: name -> document as IAM returns it."""
    account_id, kind, principal = _principal(principal_arn)
    iam = client("iam", account_id=account_id)
    if kind == "role":
        names = iam.list_role_policies(RoleName=principal)["PolicyNames"]
        get = lambda n: iam.get_role_policy(RoleName=principal, PolicyName=n)  # noqa: E731
    else:
        names = iam.list_user_policies(UserName=principal)["PolicyNames"]
        get = lambda n: iam.get_user_policy(UserName=principal, PolicyName=n)  # noqa: E731
    found = {}
    for name in names:
        try:
            found[name] = get(name)["PolicyDocument"]
        except iam.exceptions.NoSuchEntityException:
            continue  # deleted (by a running bot) between the list and the get
    return found


def filler_policy(size: int) -> dict[str, Any]:
    """A valid policy document of roughly size characters (whitespace excluded)."""
    base = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Filler",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::bucket/",
            }
        ],
    }
    pad = size - len(json.dumps(base, separators=(",", ":")))
    base["Statement"][0]["Resource"] += "x" * max(pad, 0)
    return base
