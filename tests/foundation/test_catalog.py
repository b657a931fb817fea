"""Catalog validation: every problem names its key path and the fix; valid catalogs load."""

import copy
from pathlib import Path
from typing import Any

import pytest

from bot.catalog import load_catalog
from bot.catalog_schema import parse_catalog
from bot.errors import CatalogError
from tests.support.catalogs import BASE

ROOT = Path(__file__).resolve().parents[2]


def problems_of(data: Any) -> list[str]:
    """The problem list parse_catalog raises for data."""
    with pytest.raises(CatalogError) as caught:
        parse_catalog(data)
    return caught.value.problems


def with_change(path: str, value: Any) -> dict[str, Any]:
    """BASE with the value at a dotted path replaced (a trailing '-' deletes the key)."""
    data = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value == "-":
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


def test_example_catalog_passes() -> None:
    catalog = load_catalog(ROOT / "catalog.example.yaml")
    assert "orders-prod" in catalog.databases
    assert catalog.databases["orders-prod"].levels


def test_bad_duration_names_its_index_and_the_accepted_forms() -> None:
    data = with_change("databases.orders-prod.durations", ["15m", "1h", "90x"])
    assert problems_of(data) == [
        "databases.orders-prod.durations[2]: '90x' is not a duration (use 15m, 1h, 8h, 1d)"]


@pytest.mark.parametrize(("path", "value", "expected"), [
    ("databases.orders-prod.colour", "blue", "databases.orders-prod.colour: unknown key"),
    ("flavour", "x", "flavour: unknown key"),
    ("databases.orders-prod.levels.ro.weight", 3, "databases.orders-prod.levels.ro.weight: "
                                                  "unknown key"),
    ("databases.orders-prod.durations", [], "databases.orders-prod.durations: must list at "
                                            "least one duration"),
    ("databases.orders-prod.approvers", ["U0APPROVER1", "bob"],
     "databases.orders-prod.approvers[1]: 'bob' is not a Slack user id (U…/W…) or user-group id"),
    ("databases.orders-prod.account_id", "12345",
     "databases.orders-prod.account_id: '12345' is not a 12-digit AWS account id"),
    ("identity.principal", "arn:aws:iam::{account_id}:role/{team}_{handle}",
     "identity.principal: unknown placeholder {team} (use {account_id}, {handle} or {level})"),
    ("identity.db_user", "{user}", "identity.db_user: unknown placeholder {user}"),
    ("databases.orders-prod.engine", "oracle",
     "databases.orders-prod.engine: 'oracle' is not an engine (use postgres or mysql)"),
    ("databases.orders-prod.levels", {"admin": {"grants": ["x"]}},
     "databases.orders-prod.levels.admin: 'admin' is not a level (use ro or rw)"),
    ("databases.analytics.auto_approve", ["rw"],
     "databases.analytics.auto_approve[0]: 'rw' is not a level of this database (its levels: ro)"),
    ("approvals_channel", "general", "approvals_channel: 'general' is not a Slack channel id"),
    ("admins", ["root"], "admins[0]: 'root' is not a Slack user id"),
    ("databases.orders-prod.port", 70000, "databases.orders-prod.port: 70000 is not a TCP port"),
    ("databases.orders-prod.host", "-", "databases.orders-prod.host: is required"),
])
def test_each_problem_names_its_key_path(path: str, value: Any, expected: str) -> None:
    found = problems_of(with_change(path, value))
    assert any(p.startswith(expected) for p in found), found


def test_every_problem_is_reported_at_once() -> None:
    data = with_change("databases.orders-prod.engine", "oracle")
    data["databases"]["analytics"]["durations"] = ["1h", "soon"]
    data["bogus"] = True
    found = problems_of(data)
    assert len(found) == 3, found


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text("approvals_channel: C0X\ndatabases: [unclosed\n")
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert "not valid YAML at line" in caught.value.problems[0]


def test_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as caught:
        load_catalog(tmp_path / "nope.yaml")
    assert "DB_ACCESS_CATALOG" in caught.value.problems[0]


def test_user_groups_and_overrides_are_accepted() -> None:
    data = copy.deepcopy(BASE)
    data["identity"]["overrides"] = {"Alice@Example.com": {"handle": "alice2"}}
    catalog = parse_catalog(data)
    assert catalog.identity.overrides["alice@example.com"]["handle"] == "alice2"
    assert "S0DBAS" in catalog.databases["orders-prod"].approvers
