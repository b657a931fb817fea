"""Pure builders for the per-user roles the bot creates: trust policy, tags, who owns a role."""

import json
import re
from typing import Any
from urllib.parse import unquote

from bot.catalog.identity import ProvisionSpec
from providers.aws_policy import PrincipalKind, parse_principal

MANAGED_BY, BOT = "managed-by", "db-access-bot"
SLACK_USER, EMAIL = "slack-user", "email"
# What the bot does with a user's role: mint tokens that carry the grant (DESIGN.md §1.5).
ASSUME_ACTIONS = ("sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession")
_ASSUMED = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sts::(?P<account>\d{12}):"
    r"assumed-role/(?P<name>[\w+=,.@-]+)/.+$"
)
_TAG_UNSAFE = re.compile(r"[^\w .:/=+@-]")
_WILDCARD = re.compile(r"[*?]")


def manages(provision: ProvisionSpec | None, principal_arn: str) -> bool:
    """Whether the bot creates (and may delete) this principal: a role under the path."""
    if provision is None:
        return False
    try:
        principal = parse_principal(principal_arn)
    except ValueError:
        return False
    return principal.kind is PrincipalKind.ROLE and role_path(principal_arn) == provision.path


def role_path(role_arn: str) -> str:
    """The IAM path of a role ARN (`/` when it has none)."""
    rest = role_arn.split(":role/", 1)[1]
    return "/" + rest[: rest.rfind("/") + 1]


def assumed_role(caller_arn: str) -> tuple[str, str, str] | None:
    """(partition, account, role name) of an assumed-role session ARN, else None."""
    match = _ASSUMED.match(caller_arn)
    return (match["partition"], match["account"], match["name"]) if match else None


def boundary_arn(provision: ProvisionSpec, account_id: str) -> str:
    """The permissions boundary of roles created in an account."""
    return provision.permissions_boundary.replace("{account_id}", account_id)


def trust_policy(
    *, bot_arn: str, provision: ProvisionSpec, role_arn: str, handle: str
) -> dict[str, Any]:
    """Who may assume a created role: the bot (to mint tokens) and the catalog's principals."""
    principal = parse_principal(role_arn)
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DbAccessBotMintsTokens",
            "Effect": "Allow",
            "Principal": {"AWS": bot_arn},
            "Action": list(ASSUME_ACTIONS),
        }
    ]
    entries = sorted(
        {
            t.replace("{account_id}", principal.account_id).replace("{handle}", handle)
            for t in provision.trust
        }
    )
    exact = [e for e in entries if not _WILDCARD.search(e)]
    patterns = [e for e in entries if _WILDCARD.search(e)]
    if exact:
        statements.append(
            {
                "Sid": "TrustedPrincipals",
                "Effect": "Allow",
                "Principal": {"AWS": exact},
                "Action": list(ASSUME_ACTIONS),
            }
        )
    if patterns:
        # A Principal cannot hold a wildcard; the account roots with a PrincipalArn condition
        # let in exactly the principals that match, and nobody else from those accounts.
        roots = sorted({f"arn:{p.split(':')[1]}:iam::{p.split(':')[4]}:root" for p in patterns})
        statements.append(
            {
                "Sid": "TrustedPrincipalPatterns",
                "Effect": "Allow",
                "Principal": {"AWS": roots},
                "Action": list(ASSUME_ACTIONS),
                "Condition": {"ArnLike": {"aws:PrincipalArn": patterns}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def tag_value(text: str) -> str:
    """text as an IAM tag value: characters IAM refuses become _, at most 256."""
    return _TAG_UNSAFE.sub("_", text)[:256]


def role_tags(provision: ProvisionSpec, *, user_id: str, email: str) -> list[dict[str, str]]:
    """The tags of a created role: ownership, the person, then the catalog's own."""
    ours = {MANAGED_BY: BOT, SLACK_USER: tag_value(user_id), EMAIL: tag_value(email)}
    return [{"Key": k, "Value": v} for k, v in {**ours, **provision.tags}.items()]


def is_ours(role: dict[str, Any]) -> bool:
    """Whether an IAM role (as GetRole returns it) carries the bot's managed-by tag."""
    return any(t.get("Key") == MANAGED_BY and t.get("Value") == BOT for t in role.get("Tags") or [])


def boundary_of(role: dict[str, Any]) -> str | None:
    """The permissions boundary ARN of a role (as GetRole returns it)."""
    return (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")


def same_policy(stored: dict[str, Any] | str, wanted: dict[str, Any]) -> bool:
    """Whether two policy documents say the same (order and one-item lists aside)."""
    if isinstance(stored, str):
        stored = json.loads(unquote(stored))
    return _canonical(stored) == _canonical(wanted)


def _canonical(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _canonical(v) for k, v in node.items() if k != "Sid"}
    if isinstance(node, list):
        items = [_canonical(v) for v in node]
        if len(items) == 1 and not isinstance(items[0], dict):
            return items[0]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return node
