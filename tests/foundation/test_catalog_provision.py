"""The catalog keys of issue 13: identity.provision, levels' log_statements, verify_login."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bot.catalog.schema import catalog_json_schema, parse_catalog
from bot.domain import StatementLog
from tests.foundation.test_catalog import problems_of
from tests.foundation.test_cli import EXAMPLE, GOOD_ENV, cli
from tests.support.catalogs import catalog_data

BOUNDARY = "arn:aws:iam::{account_id}:policy/db-access-boundary"
PRINCIPAL = "arn:aws:iam::{account_id}:role/db-access/DatabasesRole_{handle}"


def provisioning(**provision: Any) -> dict[str, Any]:
    """The base catalog with identity.provision set (and the principal under its path)."""
    data = catalog_data()
    data["identity"]["principal"] = PRINCIPAL
    data["identity"]["provision"] = {"permissions_boundary": BOUNDARY, **provision}
    return data


def test_provision_defaults_and_keys() -> None:
    catalog = parse_catalog(
        provisioning(
            trust=["arn:aws:iam::{account_id}:role/aws-reserved/sso.amazonaws.com/*/AWSReserved*"],
            tags={"team": "data", "cost-centre": 42},
        )
    )
    provision = catalog.identity.provision
    assert provision is not None
    assert provision.path == "/db-access/"
    assert provision.tags == {"team": "data", "cost-centre": "42"}
    assert catalog.databases["orders-prod"].verify_login is True
    assert catalog.databases["orders-prod"].levels["rw"].log_statements == StatementLog.NONE


def test_provision_without_a_boundary_is_refused_with_the_fix() -> None:
    data = provisioning()
    del data["identity"]["provision"]["permissions_boundary"]
    [problem] = problems_of(data)
    assert problem.startswith(
        "identity.provision.permissions_boundary: is required: every "
        "role the bot creates gets this permissions boundary"
    )
    assert "iam-policy --boundary" in problem


def test_check_refuses_provision_without_a_boundary(tmp_path: Path) -> None:
    data = provisioning()
    del data["identity"]["provision"]["permissions_boundary"]
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(json.dumps(data))
    result = cli("check", cwd=tmp_path, DB_ACCESS_CATALOG=str(catalog), **GOOD_ENV)
    assert result.returncode == 2
    assert "1 problem found" in result.stderr
    assert "identity.provision.permissions_boundary: is required" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"principal": "arn:aws:iam::{account_id}:role/DatabasesRole_{handle}"},
            "identity.principal: 'arn:aws:iam::{account_id}:role/DatabasesRole_{handle}' must be a "
            "role under identity.provision.path /db-access/ (e.g. "
            "arn:aws:iam::{account_id}:role/db-access/DatabasesRole_{handle})",
        ),
        (
            {"principal": "arn:aws:iam::{account_id}:user/db-access/{handle}"},
            "identity.principal: 'arn:aws:iam::{account_id}:user/db-access/{handle}' must be "
            "a role",
        ),
        (
            {"provision": {"permissions_boundary": BOUNDARY, "path": "db-access"}},
            "identity.provision.path: 'db-access' is not an IAM path",
        ),
        (
            {"provision": {"permissions_boundary": "arn:aws:iam::123:policy/x"}},
            "identity.provision.permissions_boundary: 'arn:aws:iam::123:policy/x' is not an IAM "
            "managed policy ARN",
        ),
        (
            {"provision": {"permissions_boundary": BOUNDARY, "trust": ["alice"]}},
            "identity.provision.trust[0]: 'alice' is not a principal ARN to trust",
        ),
        (
            {
                "provision": {
                    "permissions_boundary": BOUNDARY,
                    "trust": ["arn:aws:iam::{email}:root"],
                }
            },
            "identity.provision.trust[0]: 'arn:aws:iam::{email}:root' is not a principal ARN",
        ),
        (
            {"provision": {"permissions_boundary": BOUNDARY, "tags": {"managed-by": "me"}}},
            "identity.provision.tags.managed-by: 'managed-by' is set by the bot itself",
        ),
        (
            {"provision": {"permissions_boundary": BOUNDARY, "tags": {"aws:team": "x"}}},
            "identity.provision.tags.aws:team: 'aws:team' is not an IAM tag key",
        ),
        (
            {"provision": {"permissions_boundary": BOUNDARY, "colour": "red"}},
            "identity.provision.colour: unknown key (allowed: path, permissions_boundary, tags, "
            "trust)",
        ),
    ],
)
def test_bad_provision_settings_name_their_key(change: dict[str, Any], expected: str) -> None:
    data = provisioning()
    data["identity"].update(change)
    [problem] = problems_of(data)
    assert problem.startswith(expected), problem


def test_too_many_tags_leave_no_room_for_the_bots_own() -> None:
    data = provisioning(tags={f"k{i}": "v" for i in range(48)})
    assert problems_of(data) == [
        "identity.provision.tags: at most 47 tags: IAM allows 50 per role and the bot sets three"
    ]


def test_log_statements_values_and_where_they_cannot_be_done() -> None:
    data = catalog_data()
    data["databases"]["orders-prod"]["levels"]["rw"]["log_statements"] = "mod"
    data["databases"]["orders-prod"]["levels"]["ro"]["log_statements"] = "everything"
    data["databases"]["analytics"]["levels"]["ro"]["log_statements"] = "ddl"
    assert problems_of(data) == [
        "databases.orders-prod.levels.ro.log_statements: 'everything' is not a statement log "
        "setting (use none, ddl, mod or all)",
        "databases.analytics.levels.ro.log_statements: 'ddl' cannot be done on MySQL: it has "
        "no per-user statement log (use none; README: Statements on record lists what RDS "
        "offers)",
    ]
    data["databases"]["orders-prod"]["levels"]["ro"]["log_statements"] = "all"
    del data["databases"]["orders-prod"]["admin"]
    data["databases"]["analytics"]["levels"]["ro"]["log_statements"] = "none"
    problems = problems_of(data)
    assert problems == [
        f"databases.orders-prod.levels.{level}.log_statements: '{value}' needs an admin for "
        "this database: the bot sets the user's logging through the admin login (add admin, "
        "or use none)"
        for level, value in (("ro", "all"), ("rw", "mod"))
    ]


def test_verify_login_must_be_true_or_false() -> None:
    data = catalog_data()
    data["databases"]["orders-prod"]["verify_login"] = "no"
    assert problems_of(data) == [
        "databases.orders-prod.verify_login: must be true or false, not text"
    ]


def test_schema_describes_the_new_keys() -> None:
    schema = catalog_json_schema()
    defs = schema["$defs"]
    assert set(defs["ProvisionSpec"]["properties"]) == {
        "path",
        "permissions_boundary",
        "trust",
        "tags",
    }
    assert defs["ProvisionSpec"]["required"] == ["permissions_boundary"]
    assert defs["LevelSpec"]["properties"]["log_statements"]["enum"] == [
        "none",
        "ddl",
        "mod",
        "all",
    ]
    assert defs["DatabaseSpec"]["properties"]["verify_login"]["type"] == "boolean"
    for spec in ("ProvisionSpec", "LevelSpec", "DatabaseSpec", "IdentitySpec"):
        for key, prop in defs[spec]["properties"].items():
            assert prop.get("description"), f"{spec}.{key} has no description"


def uncommented_example() -> dict[str, Any]:
    """The example catalog with its commented identity.provision block switched on."""
    import yaml

    lines = []
    for line in EXAMPLE.read_text().splitlines():
        if line.startswith(("  # provision:", "  # principal:", "  #   ")):
            line = "  " + line[4:]
        lines.append(line)
    data = yaml.safe_load("\n".join(lines))
    assert "provision" in data["identity"], "the example lost its provision block"
    return data


def test_example_documents_provisioning_and_it_validates() -> None:
    data = uncommented_example()
    catalog = parse_catalog(copy.deepcopy(data))
    assert catalog.identity.provision is not None
    assert catalog.identity.principal.endswith(":role/db-access/DatabasesRole_{handle}")
