"""IAM for identity.provision: what creating and deleting per-user roles takes, conditioned.

The bot may create a role only under the provision path and only with the configured
permissions boundary, tag it only as its own, and restore or delete only roles tagged
`managed-by=db-access-bot`. iam:TagRole cannot carry an iam:PermissionsBoundary condition (the
key is not in TagRole's request context, so such a condition would deny every TagRole and with
it every CreateRole that sets tags); it is held to the path and to the bot's own tag keys.
"""

from typing import Any

from bot.catalog.fields_iam import RESERVED_TAGS
from bot.catalog.model import Catalog
from providers.aws_policy import partition_for
from providers.role_documents import BOT, MANAGED_BY, boundary_arn

OWNED = {"StringEquals": {f"aws:ResourceTag/{MANAGED_BY}": BOT}}


def _roles_under_path(catalog: Catalog, account_id: str) -> str:
    assert catalog.identity.provision is not None
    region = next(
        (db.region for db in catalog.databases.values() if db.account_id == account_id), "us-east-1"
    )
    return f"arn:{partition_for(region)}:iam::{account_id}:role{catalog.identity.provision.path}*"


def role_statements(catalog: Catalog, account_ids: list[str]) -> list[dict[str, Any]]:
    """Statements letting the bot (or a manage role) create, restore and delete the roles."""
    provision = catalog.identity.provision
    if provision is None or not account_ids:
        return []
    statements = []
    for account_id in account_ids:
        suffix = account_id if len(account_ids) > 1 else ""
        statements.append(
            {
                "Sid": f"CreateRolesWithTheBoundary{suffix}",
                "Effect": "Allow",
                "Action": ["iam:CreateRole", "iam:PutRolePermissionsBoundary"],
                "Resource": [_roles_under_path(catalog, account_id)],
                "Condition": {
                    "StringEquals": {"iam:PermissionsBoundary": boundary_arn(provision, account_id)}
                },
            }
        )
    paths = sorted(_roles_under_path(catalog, a) for a in account_ids)
    keys = sorted({*RESERVED_TAGS, *provision.tags})
    statements += [
        {
            "Sid": "TagRolesAsTheBots",
            "Effect": "Allow",
            "Action": ["iam:TagRole"],
            "Resource": paths,
            "Condition": {
                "StringEquals": {f"aws:RequestTag/{MANAGED_BY}": BOT},
                "ForAllValues:StringEquals": {"aws:TagKeys": keys},
            },
        },
        {
            "Sid": "RestoreTheBotsRoles",
            "Effect": "Allow",
            "Action": ["iam:UpdateAssumeRolePolicy"],
            "Resource": paths,
            "Condition": OWNED,
        },
        {
            "Sid": "DeleteTheBotsUnusedRoles",
            "Effect": "Allow",
            "Action": ["iam:DeleteRole"],
            "Resource": paths,
            "Condition": OWNED,
        },
        {  # `check --online` reads the boundary to show it allows only rds-db:connect.
            "Sid": "ReadTheBoundary",
            "Effect": "Allow",
            "Action": ["iam:GetPolicy", "iam:GetPolicyVersion"],
            "Resource": sorted(boundary_arn(provision, a) for a in account_ids),
        },
    ]
    return statements


def boundary_policy(catalog: Catalog, account_id: str | None = None) -> dict[str, Any]:
    """The permissions boundary of created roles: database logins and nothing else."""
    resources = sorted(
        {
            f"arn:{partition_for(db.region)}:rds-db:{db.region}:{db.account_id}:dbuser:"
            f"{db.resource_id or '*'}/*"
            for db in catalog.databases.values()
            if account_id in (None, db.account_id)
        }
    )
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DatabaseLoginsOnly",
                "Effect": "Allow",
                "Action": ["rds-db:connect"],
                "Resource": resources,
            }
        ],
    }
