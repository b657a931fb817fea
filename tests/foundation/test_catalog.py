"""Catalog validation: every problem names its key path and the fix; valid catalogs load."""

import copy
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.catalog.model import load_catalog
from bot.catalog.schema import parse_catalog
from bot.domain import Engine, Level
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
        "databases.orders-prod.durations[2]: '90x' is not a duration (use 15m, 1h, 8h, 1d)"
    ]


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("databases.orders-prod.colour", "blue", "databases.orders-prod.colour: unknown key"),
        ("flavour", "x", "flavour: unknown key"),
        (
            "databases.orders-prod.levels.ro.weight",
            3,
            "databases.orders-prod.levels.ro.weight: unknown key",
        ),
        (
            "databases.orders-prod.durations",
            [],
            "databases.orders-prod.durations: must list at least one duration",
        ),
        (
            "databases.orders-prod.approvers",
            ["U0APPROVER1", "bob"],
            "databases.orders-prod.approvers[1]: "
            "'bob' is not a Slack user id (U…/W…) or user-group id",
        ),
        (
            "databases.orders-prod.account_id",
            "12345",
            "databases.orders-prod.account_id: '12345' is not a 12-digit AWS account id",
        ),
        (
            "identity.principal",
            "arn:aws:iam::{account_id}:role/{team}_{handle}",
            "identity.principal: "
            "unknown placeholder {team} (use {account_id}, {handle} or {level})",
        ),
        ("identity.db_user", "{user}", "identity.db_user: unknown placeholder {user}"),
        (
            "databases.orders-prod.engine",
            "oracle",
            "databases.orders-prod.engine: 'oracle' is not an engine (use postgres or mysql)",
        ),
        (
            "databases.orders-prod.levels",
            {"admin": {"grants": ["x"]}},
            "databases.orders-prod.levels.admin: 'admin' is not a level (use ro or rw)",
        ),
        (
            "databases.analytics.auto_approve",
            ["rw"],
            "databases.analytics.auto_approve[0]: "
            "'rw' is not a level of this database (its levels: ro)",
        ),
        ("approvals_channel", "general", "approvals_channel: 'general' is not a Slack channel id"),
        ("admins", ["root"], "admins[0]: 'root' is not a Slack user id"),
        (
            "databases.orders-prod.port",
            70000,
            "databases.orders-prod.port: 70000 is not a TCP port",
        ),
        ("databases.orders-prod.host", "-", "databases.orders-prod.host: is required"),
        ("databases.orders-prod.name", "orders", "databases.orders-prod.name: unknown key"),
        (
            "databases.orders-prod.duration",
            ["1h"],
            "databases.orders-prod.duration: unknown key (did you mean durations?",
        ),
        (
            "databases.orders-prod.resource_id",
            "-",
            "databases.orders-prod: needs instance_id, cluster_id or resource_id",
        ),
        (
            "databases.orders-prod.admin",
            {
                "iam_user": "a",
                "secret_arn": BASE["databases"]["orders-prod"]["admin"]["secret_arn"],
            },
            "databases.orders-prod.admin: give exactly one of secret_arn or iam_user",
        ),
        (
            "identity.overrides",
            {"bob": {"handle": "bob"}},
            "identity.overrides.bob: 'bob' is not an email address",
        ),
        (
            "identity.overrides",
            {"bob@example.com": {"principal": "arn:aws:iam::1:role/{who}"}},
            "identity.overrides.bob@example.com.principal: unknown placeholder {who}",
        ),
        ("accounts", {"12345": {}}, "accounts.12345: '12345' is not a 12-digit AWS account id"),
        (
            "databases",
            [],
            "databases: must be a mapping of database name to its settings, not a list",
        ),
        (
            "databases.analytics.auto_approve",
            {"rw": {"max": 1, "per": "1d"}},
            "databases.analytics.auto_approve.rw: "
            "'rw' is not a level of this database (its levels: ro)",
        ),
        (
            "databases.analytics.auto_approve",
            {"ro": {"max": 0, "per": "1d"}},
            "databases.analytics.auto_approve.ro.max: 0 must be a whole number of at least 1",
        ),
        (
            "databases.analytics.auto_approve",
            {"ro": {"max": 2, "pre": "1d"}},
            "databases.analytics.auto_approve.ro.pre: unknown key (did you mean per?",
        ),
        (
            "databases.analytics.auto_approve",
            "ro",
            "databases.analytics.auto_approve: must be a list of levels (e.g. [ro]) or a mapping",
        ),
        (
            "databases.orders-prod.warning",
            "w" * 301,
            "databases.orders-prod.warning: is 301 characters; keep it under 300",
        ),
        (
            "databases.orders-prod.breakglass",
            {"users": [], "levels": ["rw"]},
            "databases.orders-prod.breakglass.users: must name at least one user or user group",
        ),
        (
            "databases.analytics.breakglass",
            {"users": ["U0DEV1"], "levels": ["rw"]},
            "databases.analytics.breakglass.levels[0]: 'rw' is not a level of this database",
        ),
        (
            "databases.orders-prod.breakglass",
            {"users": ["U0DEV1"], "levels": ["rw"], "review_within": "soon"},
            "databases.orders-prod.breakglass.review_within: 'soon' is not a duration",
        ),
        (
            "databases.orders-prod.on_call",
            {"pagerduty_schedule": "dba rota", "levels": ["rw"]},
            "databases.orders-prod.on_call.pagerduty_schedule: "
            "'dba rota' is not a PagerDuty schedule",
        ),
        (
            "databases.orders-prod.on_call",
            {"pagerduty_schedule": "PDBAS01", "levels": []},
            "databases.orders-prod.on_call.levels: must list at least one level",
        ),
        (
            "max_start_ahead",
            "next week",
            "max_start_ahead: 'next week' is not a duration (use 15m, 1h, 8h, 1d)",
        ),
        ("max_start_ahead", "0d", "max_start_ahead: '0d' is not a duration"),
    ],
)
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


def test_valid_catalog_reads_as_typed_values() -> None:
    data = copy.deepcopy(BASE)
    data["accounts"] = {"210987654321": None}
    catalog = parse_catalog(data)
    orders, analytics = catalog.database("orders-prod"), catalog.databases["analytics"]
    assert orders is not None and orders.name == "orders-prod"
    assert orders.levels[Level.RW].approvals == 2 and orders.levels[Level.RO].name is Level.RO
    assert orders.durations == (
        timedelta(minutes=15),
        timedelta(hours=1),
        timedelta(hours=4),
        timedelta(hours=8),
    )
    assert orders.max_duration == timedelta(hours=8) and orders.engine is Engine.POSTGRES
    assert orders.requesters is None and orders.auto_approve == {}
    assert analytics.auto_approve == {Level.RO: None}
    assert analytics.approvals_channel == catalog.approvals_channel == "C0APPROVALS"
    assert orders.approvals_channel == "C0ORDERS"
    assert catalog.approval_timeout == timedelta(minutes=30)
    assert catalog.unused_after == timedelta(days=90)
    assert catalog.max_start_ahead == timedelta(days=7)
    assert parse_catalog({**data, "max_start_ahead": "36h"}).max_start_ahead == timedelta(hours=36)
    assert catalog.account("210987654321").account_id == "210987654321"
    assert catalog.account("999999999999").manage_role_arn is None
    assert catalog.database("nope") is None


def test_break_glass_must_end() -> None:
    data = with_change("databases.orders-prod.levels.rw.standing", True)
    data["databases"]["orders-prod"]["breakglass"] = {"users": ["U0DEV1"], "levels": ["rw"]}
    assert problems_of(data) == [
        "databases.orders-prod.breakglass.levels[0]: 'rw' is a standing level (no end); "
        "break-glass access must end, so name a level without standing"
    ]


def test_approval_rules_read_as_typed_values() -> None:
    data = copy.deepcopy(BASE)
    orders = data["databases"]["orders-prod"]
    orders.update(
        auto_approve={"ro": {"max": 3, "per": "7d"}, "rw": None},
        warning=" PCI ",
        breakglass={"users": ["U0DEV1", "S0DBAS"], "levels": ["rw"]},
        on_call={"pagerduty_schedule": "PDBAS01", "levels": ["rw"]},
    )
    spec = parse_catalog(data).databases["orders-prod"]
    quota = spec.auto_approve[Level.RO]
    assert quota is not None and (quota.max, quota.per) == (3, timedelta(days=7))
    assert spec.auto_approve[Level.RW] is None and spec.warning == "PCI"
    assert spec.breakglass is not None and spec.breakglass.levels == (Level.RW,)
    assert spec.breakglass.max_duration == timedelta(hours=1)
    assert spec.breakglass.review_within == timedelta(hours=24)
    assert spec.on_call is not None and spec.on_call_max_duration == timedelta(hours=8)
