"""The sandbox's AWS side for the demo: a permissions boundary, and what IAM holds for alice."""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import aws_seed  # noqa: E402

ROLE = "arn:aws:iam::123456789012:role/db-access/DatabasesRole_alice_smith"


def policy_names() -> list[str]:
    """The inline policy names on alice's role (names only: no race with a delete)."""
    iam = aws_seed.client("iam")
    return iam.list_role_policies(RoleName=ROLE.rsplit("/", 1)[1])["PolicyNames"]


# --- part: a role created on first use (identity.provision) ----------------------------------

BOUNDARY = "arn:aws:iam::123456789012:policy/db-access-boundary"


def with_role_provisioning(data: dict) -> dict:
    """The demo catalog, with the bot creating each person's role on first use."""
    data["identity"]["principal"] = (
        "arn:aws:iam::{account_id}:role/db-access/DatabasesRole_{handle}"
    )
    data["identity"]["provision"] = {
        "permissions_boundary": "arn:aws:iam::{account_id}:policy/db-access-boundary",
        "tags": {"team": "demo"},
    }
    return data


def create_boundary() -> None:
    """The permissions boundary an admin creates once (db-access-bot iam-policy --boundary)."""
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "rds-db:connect", "Resource": "*"}],
    }
    aws_seed.client("iam").create_policy(
        PolicyName=BOUNDARY.rsplit("/", 1)[1], PolicyDocument=json.dumps(document)
    )


def role_state() -> str:
    """Alice's role as IAM has it: missing, or its path, boundary, tags and trusted principals."""
    iam = aws_seed.client("iam")
    try:
        role = iam.get_role(RoleName=ROLE.rsplit("/", 1)[1])["Role"]
    except iam.exceptions.NoSuchEntityException:
        return f"IAM has no role {ROLE} yet"
    trusted = [s["Principal"]["AWS"] for s in role["AssumeRolePolicyDocument"]["Statement"]]
    tags = {t["Key"]: t["Value"] for t in role.get("Tags", [])}
    return (
        f"the bot created {role['Arn']} on first use:\n"
        f"   boundary {role['PermissionsBoundary']['PermissionsBoundaryArn']}\n"
        f"   tags {json.dumps(tags)}\n   trusts {json.dumps(trusted)}"
    )


# --- the conversation ---------------------------------------------------------------------
