"""Catalog, target and token helpers for the AWS provider tests against moto."""

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.catalog.database import DatabaseSpec, LevelSpec
from bot.catalog.identity import IdentitySpec
from bot.catalog.model import AccountSpec, Catalog
from bot.domain import Engine, GrantTarget, Level
from tests.support import aws_seed as seed

OTHER = seed.OTHER_ACCOUNT
EXPIRES = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


def make_db(
    name: str = "orders-prod",
    *,
    account_id: str = seed.DEFAULT_ACCOUNT,
    host: str = "orders.example.test",
    port: int = 5432,
    **extra: Any,
) -> DatabaseSpec:
    """A catalog database in eu-west-1 (extra: instance_id, cluster_id, resource_id, admin)."""
    if not {"instance_id", "cluster_id", "resource_id"} & set(extra):
        extra["resource_id"] = "db-ORDERS"  # the catalog needs some way to find the resource
    return DatabaseSpec(
        name=name,
        account_id=account_id,
        region=seed.REGION,
        engine=Engine.POSTGRES,
        host=host,
        port=port,
        dbname="orders",
        levels={Level.RO: LevelSpec(name=Level.RO, grants=("pg_read_all_data",))},
        durations=(timedelta(hours=1),),
        approvers=("U0DBA",),
        approvals_channel="C0APPROVALS",
        **extra,
    )


def make_catalog(*databases: DatabaseSpec, manage_role: str | None = None) -> Catalog:
    """A catalog of databases; manage_role (if any) is the OTHER account's manage role."""
    accounts = {}
    if manage_role:
        accounts[OTHER] = AccountSpec(account_id=OTHER, manage_role_arn=manage_role)
    return Catalog(
        approvals_channel="C0APPROVALS",
        admins=("U0ADMIN",),
        approval_timeout=timedelta(30),
        identity=IdentitySpec(
            principal="arn:aws:iam::{account_id}:role/DatabasesRole_{handle}",
            db_user="{handle}_{level}",
        ),
        databases={db.name: db for db in databases},
        accounts=accounts,
    )


def make_target(
    principal_arn: str, *, grant_id: str = "g1", expires_at: datetime | None = EXPIRES
) -> GrantTarget:
    return GrantTarget(
        grant_id=grant_id,
        database="orders-prod",
        level=Level.RO,
        principal_arn=principal_arn,
        db_user="bob_ro",
        user_id="U0BOB",
        email="bob@example.com",
        handle="bob",
        expires_at=expires_at,
    )


def expected_policy(
    resource_id: str, *, grant_id: str = "g1", account_id: str = seed.DEFAULT_ACCOUNT
) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": f"DbAccess{grant_id}",
                "Effect": "Allow",
                "Action": "rds-db:connect",
                "Resource": f"arn:aws:rds-db:eu-west-1:{account_id}:dbuser:{resource_id}/bob_ro",
                "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-02T03:04:05Z"}},
            }
        ],
    }


def token_parts(token: str) -> tuple[str, dict[str, str]]:
    """('host:port/', query) of an IAM auth token."""
    parts = urlsplit(f"https://{token}")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return f"{parts.netloc}{parts.path}", query


# --- pure policy functions ---------------------------------------------------------------
