"""`iam-policy` with identity.provision: the extra permissions, conditioned, and lint-clean.

The linter is parliament (duo-labs): it knows, per IAM action, which resource types and
condition keys apply, which is what can go wrong in these statements (a condition key an
action never carries silently denies it). cfn-lint, already in the test tree, checks action
names and policy grammar but not condition keys per action.
"""

import json
from pathlib import Path
from typing import Any

from parliament import analyze_policy_string

from tests.foundation.test_catalog_provision import uncommented_example
from tests.foundation.test_cli import cli

ACCOUNT, OTHER = "123456789012", "210987654321"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/db-access-boundary"
# StringEquals on iam:PermissionsBoundary is what AWS documents (and the issue asks for);
# parliament notes the key is ARN-typed and calls it usable. Nothing else may be found.
USABLE = (
    "MISMATCHED_TYPE_BUT_USABLE",
    "Type mismatch: StringEquals requires a value of type String but given Arn",
)


def policy(tmp_path: Path, *args: str) -> dict[str, Any]:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(json.dumps(uncommented_example()))
    result = cli("iam-policy", *args, cwd=tmp_path, DB_ACCESS_CATALOG=str(catalog))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def findings(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f.issue, f.detail) for f in analyze_policy_string(json.dumps(document)).findings}


def test_bot_policy_lets_it_create_roles_only_under_the_path_with_the_boundary(
    tmp_path: Path,
) -> None:
    by_sid = {s["Sid"]: s for s in policy(tmp_path)["Statement"]}
    under_path = [f"arn:aws:iam::{ACCOUNT}:role/db-access/*"]
    create = by_sid["CreateRolesWithTheBoundary"]
    assert set(create["Action"]) == {"iam:CreateRole", "iam:PutRolePermissionsBoundary"}
    assert create["Resource"] == under_path
    assert create["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}}
    tag = by_sid["TagRolesAsTheBots"]
    assert tag["Action"] == ["iam:TagRole"] and tag["Resource"] == under_path
    assert tag["Condition"]["StringEquals"] == {"aws:RequestTag/managed-by": "db-access-bot"}
    assert tag["Condition"]["ForAllValues:StringEquals"] == {
        "aws:TagKeys": ["email", "managed-by", "slack-user", "team"]
    }
    for sid, action in (
        ("DeleteTheBotsUnusedRoles", "iam:DeleteRole"),
        ("RestoreTheBotsRoles", "iam:UpdateAssumeRolePolicy"),
    ):
        assert by_sid[sid]["Action"] == [action] and by_sid[sid]["Resource"] == under_path
        assert by_sid[sid]["Condition"] == {
            "StringEquals": {"aws:ResourceTag/managed-by": "db-access-bot"}
        }
    assert by_sid["ReadTheBoundary"]["Resource"] == [BOUNDARY]
    # No IAM write anywhere without a condition, except inline policies on the user roles,
    # which the boundary caps at rds-db:connect.
    for statement in by_sid.values():
        writes = [
            a
            for a in statement["Action"]
            if a.startswith("iam:") and not a.startswith(("iam:Get", "iam:List"))
        ]
        if writes and "Condition" not in statement:
            assert set(writes) <= {"iam:PutRolePolicy", "iam:DeleteRolePolicy"}, statement


def test_the_cross_account_manage_role_gets_the_same_for_its_account(tmp_path: Path) -> None:
    by_sid = {s["Sid"]: s for s in policy(tmp_path, "--account", OTHER)["Statement"]}
    assert by_sid["CreateRolesWithTheBoundary"]["Resource"] == [
        f"arn:aws:iam::{OTHER}:role/db-access/*"
    ]
    assert by_sid["CreateRolesWithTheBoundary"]["Condition"] == {
        "StringEquals": {
            "iam:PermissionsBoundary": f"arn:aws:iam::{OTHER}:policy/db-access-boundary"
        }
    }
    bot = {s["Sid"] for s in policy(tmp_path)["Statement"]}
    assert "CreateRolesWithTheBoundary" in bot  # the bot's own account is managed directly


def test_every_printed_policy_passes_the_iam_linter(tmp_path: Path) -> None:
    assert findings(policy(tmp_path)) <= {USABLE}
    assert findings(policy(tmp_path, "--account", OTHER)) <= {USABLE}
    assert findings(policy(tmp_path, "--boundary")) == set()


def test_the_linter_would_catch_a_condition_the_action_never_carries() -> None:
    wrong = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:TagRole",
                "Resource": f"arn:aws:iam::{ACCOUNT}:role/db-access/*",
                "Condition": {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}},
            }
        ],
    }
    assert (
        "UNKNOWN_CONDITION_FOR_ACTION",
        "Unknown condition iam:PermissionsBoundary for action iam:TagRole",
    ) in findings(wrong)


def test_boundary_allows_database_logins_and_nothing_else(tmp_path: Path) -> None:
    document = policy(tmp_path, "--boundary")
    [statement] = document["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == ["rds-db:connect"]
    assert all(r.startswith("arn:aws:rds-db:") and ":dbuser:" in r for r in statement["Resource"])
    only_other = policy(tmp_path, "--boundary", "--account", OTHER)
    assert only_other["Statement"][0]["Resource"] == [
        f"arn:aws:rds-db:eu-west-1:{OTHER}:dbuser:*/*"
    ]


def test_without_provision_nothing_about_roles_is_printed(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "catalog.example.yaml"
    result = cli("iam-policy", cwd=tmp_path, DB_ACCESS_CATALOG=str(example))
    sids = {s["Sid"] for s in json.loads(result.stdout)["Statement"]}
    assert not sids & {
        "CreateRolesWithTheBoundary",
        "TagRolesAsTheBots",
        "DeleteTheBotsUnusedRoles",
        "RestoreTheBotsRoles",
    }
