"""The least-privilege IAM policies the bot's own role (and cross-account manage roles) need."""

import re
from typing import Any

from bot.catalog.database import DatabaseSpec
from bot.catalog.model import Catalog
from bot.ops.iam_policy_roles import role_statements

_PLACEHOLDER = re.compile(r"\{(handle|level)\}")
# IAM names: letters, digits and +=,.@_- ; a role's path is /…/ between "role" and its name.
_IAM_NAME = r"[\w+=,.@-]{1,64}"
ROLE_ARN = re.compile(rf"^arn:aws(?:-[a-z]+)*:iam::\d{{12}}:role/(?:[\w+=,.@-]+/)*{_IAM_NAME}$")
_SESSION_ARN = re.compile(
    rf"^arn:(aws(?:-[a-z]+)*):sts::(\d{{12}}):assumed-role/({_IAM_NAME})/[^/]+$"
)
_USER_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:iam::\d{12}:user/")


def principal_pattern(catalog: Catalog, account_id: str) -> str:
    """The identity principal template with the account filled in and per-user parts as '*'."""
    template = catalog.identity.principal.replace("{account_id}", account_id)
    return _PLACEHOLDER.sub("*", template)


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def _iam_actions(pattern: str) -> list[str]:
    kind = "User" if ":user/" in pattern else "Role"
    # Get<kind> lets a request be refused at once when the person's role does not exist.
    return [
        f"iam:Get{kind}",
        *(
            f"iam:{verb}{kind}Polic{suffix}"
            for verb, suffix in (("Put", "y"), ("Delete", "y"), ("Get", "y"), ("List", "ies"))
        ),
    ]


def _describe_resources(db: DatabaseSpec) -> list[tuple[str, str]]:
    arn = f"arn:{_partition(db.region)}:rds:{db.region}:{db.account_id}"
    if db.instance_id:
        return [("rds:DescribeDBInstances", f"{arn}:db:{db.instance_id}")]
    if db.cluster_id:
        return [("rds:DescribeDBClusters", f"{arn}:cluster:{db.cluster_id}")]
    return []


def _statement(sid: str, actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(set(actions)),
        "Resource": sorted(set(resources)),
    }


def _grant_statements(catalog: Catalog, account_ids: list[str]) -> list[dict[str, Any]]:
    patterns = [principal_pattern(catalog, a) for a in account_ids]
    if not patterns:
        return []
    # Reconciliation reads the roles/users a page at a time; IAM allows this action only on
    # "*" (it has no resource-level permissions), and it is read-only.
    return [
        _statement("ManageGrantPolicies", _iam_actions(patterns[0]), patterns),
        _statement("ReconcileInPages", ["iam:GetAccountAuthorizationDetails"], ["*"]),
    ]


def bot_role_policy(catalog: Catalog) -> dict[str, Any]:
    """The policy for the bot's own role, derived from every database in the catalog."""
    dbs = list(catalog.databases.values())
    accounts = sorted({db.account_id for db in dbs})
    direct = [a for a in accounts if not catalog.account(a).manage_role_arn]
    statements = _grant_statements(catalog, direct) + role_statements(catalog, direct)
    role_patterns = [principal_pattern(catalog, a) for a in accounts]
    if ":role/" in catalog.identity.principal:
        statements.append(
            _statement(
                "MintTokensAsTheUser",
                ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
                role_patterns,
            )
        )
    manage = [
        catalog.account(a).manage_role_arn for a in accounts if catalog.account(a).manage_role_arn
    ]
    if manage:
        statements.append(
            _statement("AssumeManageRoles", ["sts:AssumeRole"], [m for m in manage if m])
        )
    describes = [
        pair
        for db in dbs
        if not db.resource_id and not catalog.account(db.account_id).manage_role_arn
        for pair in _describe_resources(db)
    ]
    for action in sorted({a for a, _ in describes}):
        sid = "Describe" + action.split(":Describe")[1]
        statements.append(_statement(sid, [action], [r for a, r in describes if a == action]))
    secrets = [db.admin.secret_arn for db in dbs if db.admin and db.admin.secret_arn]
    if secrets:
        statements.append(
            _statement(
                "ReadAdminSecrets", ["secretsmanager:GetSecretValue"], [s for s in secrets if s]
            )
        )
    admin_users = [
        f"arn:{_partition(db.region)}:rds-db:{db.region}:{db.account_id}:dbuser:"
        f"{db.resource_id or '*'}/{db.admin.iam_user}"
        for db in dbs
        if db.admin and db.admin.iam_user
    ]
    if admin_users:
        statements.append(_statement("ConnectAsAdmin", ["rds-db:connect"], admin_users))
    return {"Version": "2012-10-17", "Statement": statements}


def manage_role_policy(catalog: Catalog, account_id: str) -> dict[str, Any]:
    """The policy for a cross-account manage role: grant policies and describes in its account."""
    dbs = [db for db in catalog.databases.values() if db.account_id == account_id]
    statements = _grant_statements(catalog, [account_id]) + role_statements(catalog, [account_id])
    describes = [pair for db in dbs if not db.resource_id for pair in _describe_resources(db)]
    for action in sorted({a for a, _ in describes}):
        sid = "Describe" + action.split(":Describe")[1]
        statements.append(_statement(sid, [action], [r for a, r in describes if a == action]))
    return {"Version": "2012-10-17", "Statement": statements}


def role_arn_problem(arn: str) -> str | None:
    """Why arn is not an IAM role ARN (None when it is one), with the form to write instead."""
    if ROLE_ARN.match(arn):
        return None
    if session := _SESSION_ARN.match(arn):
        partition, account, role = session.groups()
        return (
            "is a session of a role; give the role itself: "
            f"arn:{partition}:iam::{account}:role/{role} (with its path, if it has one)"
        )
    if _USER_ARN.match(arn):
        return "names an IAM user; the bot runs as a role: arn:aws:iam::<account id>:role/<name>"
    return "is not an IAM role ARN; write arn:aws:iam::<account id>:role/<name>"


def trust_policy_for_user_roles(bot_role_arn: str) -> dict[str, Any]:
    """Trust policy each per-user role needs so the bot can mint tokens as that user."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": bot_role_arn},
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
            }
        ],
    }
