"""The published JSON Schema of the catalog: what editors and the Helm chart check against."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from bot.catalog.schema import parse_catalog
from bot.errors import CatalogError
from tests.foundation.test_catalog import with_change
from tests.foundation.test_cli import cli
from tests.support.catalogs import BASE

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "catalog.example.yaml"


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The schema exactly as `db-access-bot catalog-schema` prints it."""
    result = cli("catalog-schema", cwd=tmp_path_factory.mktemp("schema"))
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    Draft202012Validator.check_schema(printed)
    return printed


def schema_errors(schema: dict[str, Any], data: Any) -> list[str]:
    """Where and by which keyword the schema rejects data: 'databases.orders-prod: required'."""
    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.validator}"
        for e in Draft202012Validator(schema).iter_errors(data)
    ]


def test_schema_declares_draft_2020_12_and_forbids_unknown_keys(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert all(d["additionalProperties"] is False for d in schema["$defs"].values())


def test_every_key_has_a_description(schema: dict[str, Any]) -> None:
    sections = [schema, *schema["$defs"].values()]
    undescribed = [
        key
        for section in sections
        for key, prop in section["properties"].items()
        if not prop.get("description")
    ]
    assert undescribed == []


def test_example_catalog_is_valid(schema: dict[str, Any]) -> None:
    assert schema_errors(schema, yaml.safe_load(EXAMPLE.read_text())) == []


def test_test_catalogs_are_valid(schema: dict[str, Any]) -> None:
    variants = [
        copy.deepcopy(BASE),
        with_change("databases.orders-prod.levels.ro.standing", True),
        with_change("identity.overrides", {"alice@example.com": {"handle": "alice2"}}),
        with_change("accounts", {"123456789012": {}}),
        with_change("unused_after", "7d"),
        with_change("databases.analytics.auto_approve", {"ro": {"max": 3, "per": "7d"}}),
        with_change("databases.orders-prod.warning", "PCI data"),
        with_change(
            "databases.orders-prod.breakglass",
            {"users": ["U0DEV1"], "levels": ["rw"], "max_duration": "1h", "review_within": "24h"},
        ),
        with_change(
            "databases.orders-prod.on_call",
            {"pagerduty_schedule": "PDBAS01", "levels": ["rw"], "max_duration": "4h"},
        ),
        with_change("max_start_ahead", "36h"),
    ]
    for data in variants:
        parse_catalog(data)
        assert schema_errors(schema, data) == []


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        ("flavour", "x", ""),
        ("databases.orders-prod.colour", "blue", "databases.orders-prod"),
        ("databases.orders-prod.levels.ro.weight", 3, "databases.orders-prod.levels.ro"),
        ("databases.orders-prod.name", "other", "databases.orders-prod"),
        (
            "identity.overrides",
            {"a@example.com": {"team": "x"}},
            "identity.overrides.a@example.com",
        ),
    ],
)
def test_unknown_keys_are_rejected(
    schema: dict[str, Any], path: str, value: Any, where: str
) -> None:
    assert schema_errors(schema, with_change(path, value)) == [f"{where}: additionalProperties"]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("databases.orders-prod.durations", ["15m", "90x"]),
        ("databases.orders-prod.durations", []),
        ("databases.orders-prod.approvers", ["bob"]),
        ("databases.orders-prod.account_id", "12345"),
        ("databases.orders-prod.engine", "oracle"),
        ("databases.orders-prod.port", 70000),
        ("databases.orders-prod.levels", {"admin": {"grants": ["x"]}}),
        ("databases.orders-prod.host", "-"),
        ("databases.orders-prod.resource_id", "-"),
        ("databases.orders-prod.instance_id", "both-given"),
        ("databases.orders-prod.admin", {}),
        ("databases.orders-prod.terminate_sessions", "yes"),
        ("identity.principal", "arn:aws:iam::{account_id}:role/{team}_{handle}"),
        ("identity.overrides", {"not-an-email": {"handle": "x"}}),
        ("approvals_channel", "general"),
        ("approval_timeout", "0m"),
        ("max_start_ahead", "next week"),
        ("accounts", {"12345": {}}),
        ("databases", {"Orders": BASE["databases"]["analytics"]}),
        ("databases.analytics.auto_approve", {"ro": {"max": 0, "per": "7d"}}),
        ("databases.analytics.auto_approve", {"ro": {"max": 1}}),
        ("databases.analytics.auto_approve", ["xx"]),
        ("databases.orders-prod.warning", "w" * 301),
        ("databases.orders-prod.breakglass", {"users": [], "levels": ["rw"]}),
        (
            "databases.orders-prod.breakglass",
            {"users": ["U0DEV1"], "levels": ["rw"], "colour": "red"},
        ),
        ("databases.orders-prod.on_call", {"pagerduty_schedule": "x y", "levels": ["rw"]}),
    ],
)
def test_what_the_bot_rejects_the_schema_rejects(
    schema: dict[str, Any], path: str, value: Any
) -> None:
    data = with_change(path, value)
    if path.endswith("instance_id"):
        data["databases"]["orders-prod"]["cluster_id"] = "also-given"
    with pytest.raises(CatalogError):
        parse_catalog(data)
    assert schema_errors(schema, data), "the schema accepts what the bot refuses"


def test_schema_accepts_the_duration_spellings_the_bot_accepts(schema: dict[str, Any]) -> None:
    for spelling in ("15m", "1H", " 2d ", "1w", "90s", "000010m"):
        data = with_change("approval_timeout", spelling)
        parse_catalog(data)
        assert schema_errors(schema, data) == [], spelling
