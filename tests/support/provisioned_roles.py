"""Per-user roles on moto: a catalog that provisions them, a grant target, what IAM holds."""

from typing import Any

from bot.catalog.model import Catalog
from bot.catalog.schema import parse_catalog
from bot.domain import GrantTarget, Level
from tests.support import aws_seed as seed
from tests.support.catalogs import catalog_data

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
