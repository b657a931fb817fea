"""Pure builders for the per-grant `rds-db:connect` inline policy and IAM principal ARNs."""

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

POLICY_PREFIX = "db-access-"
ROLE_BUDGET = 10_240
USER_BUDGET = 2_048

_PRINCIPAL = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{12}):"
    r"(?P<kind>role|user)/(?:[\w+=,.@/-]*/)?(?P<name>[\w+=,.@-]+)$",
    re.ASCII,
)
_WHITESPACE = re.compile(r"\s+")
_GRANT_ID = re.compile(r"^[\w+=,.@-]+$", re.ASCII)


class PrincipalKind(StrEnum):
    """An IAM role (can be assumed) or an IAM user (cannot)."""

    ROLE = "role"
    USER = "user"


@dataclass(frozen=True)
class Principal:
    """The parts of an IAM role or user ARN the IAM API needs."""

    arn: str
    partition: str
    account_id: str
    kind: PrincipalKind
    name: str

    @property
    def budget(self) -> int:
        """The aggregate inline-policy size quota of this principal (whitespace excluded)."""
        return ROLE_BUDGET if self.kind is PrincipalKind.ROLE else USER_BUDGET


def parse_principal(arn: str) -> Principal:
    """Split an IAM role or user ARN (paths allowed); raise ValueError for anything else."""
    match = _PRINCIPAL.match(arn)
    if not match:
        raise ValueError(f"{arn!r} is not an IAM role or user ARN")
    return Principal(
        arn=arn,
        partition=match["partition"],
        account_id=match["account"],
        kind=PrincipalKind(match["kind"]),
        name=match["name"],
    )


def partition_for(region: str) -> str:
    """The AWS partition a region belongs to."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("us-isob-"):
        return "aws-iso-b"
    if region.startswith("us-iso-"):
        return "aws-iso"
    return "aws"


def policy_name(grant_id: str) -> str:
    """The inline policy name of a grant: `db-access-<grant id>`."""
    return f"{POLICY_PREFIX}{grant_id}"


def grant_id_from_policy_name(name: str) -> str | None:
    """The grant id inside a `db-access-<grant id>` policy name, or None for other policies."""
    if not name.startswith(POLICY_PREFIX):
        return None
    grant_id = name[len(POLICY_PREFIX) :]
    return grant_id if _GRANT_ID.match(grant_id) else None


def dbuser_arn(*, region: str, account_id: str, resource_id: str, db_user: str) -> str:
    """The `rds-db:connect` resource for one database user."""
    partition = partition_for(region)
    return f"arn:{partition}:rds-db:{region}:{account_id}:dbuser:{resource_id}/{db_user}"


def iam_time(moment: datetime) -> str:
    """A timezone-aware time as IAM's `YYYY-MM-DDTHH:MM:SSZ` (UTC)."""
    if moment.tzinfo is None:
        raise ValueError("a policy time must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def grant_policy(
    *,
    grant_id: str,
    region: str,
    account_id: str,
    resource_id: str,
    db_user: str,
    expires_at: datetime | None,
    starts_at: datetime | None = None,
) -> dict[str, Any]:
    """The policy document of a grant: allowed from starts_at (if any) until expires_at (if any).

    A standing grant that starts at once has no Condition.
    """
    statement: dict[str, Any] = {
        "Sid": "DbAccess" + re.sub(r"[^A-Za-z0-9]", "", grant_id),
        "Effect": "Allow",
        "Action": "rds-db:connect",
        "Resource": dbuser_arn(
            region=region, account_id=account_id, resource_id=resource_id, db_user=db_user
        ),
    }
    window: dict[str, Any] = {}
    if starts_at is not None:
        window["DateGreaterThan"] = {"aws:CurrentTime": iam_time(starts_at)}
    if expires_at is not None:
        window["DateLessThan"] = {"aws:CurrentTime": iam_time(expires_at)}
    if window:
        statement["Condition"] = window
    return {"Version": "2012-10-17", "Statement": [statement]}


def policy_json(document: dict[str, Any]) -> str:
    """The document as compact JSON, the form we store in IAM."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def policy_size(document: dict[str, Any] | str) -> int:
    """The size IAM counts against the inline-policy quota: characters without whitespace."""
    text = document if isinstance(document, str) else policy_json(document)
    return len(_WHITESPACE.sub("", text))
