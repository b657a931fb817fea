"""values.yaml and values.schema.json: documented, in step, and enforced by Helm itself."""

from typing import Any

import helm_python as helm
import jsonschema
import pytest
import yaml

from scripts.chart_schema import embedded_catalog_schema
from tests.deploy.chart import CHART, TEMPLATES, values_schema, values_yaml
from tests.deploy.chart import render as render_chart

VALUES_REF = __import__("re").compile(r"\.Values((?:\.[A-Za-z_]\w*)+)")
EXAMPLE = CHART.parents[1] / "catalog.example.yaml"


def test_the_charts_catalog_schema_is_the_bots() -> None:
    assert values_schema()["$defs"]["catalog"] == embedded_catalog_schema(), (
        "helm/db-access-bot/values.schema.json is out of step with the catalog models: "
        "run .venv/bin/python scripts/chart_schema.py"
    )


def _example_with(**changes: Any) -> dict[str, Any]:
    catalog = yaml.safe_load(EXAMPLE.read_text())
    catalog.update(changes)
    return catalog


@pytest.mark.parametrize(
    ("catalog", "where"),
    [
        (_example_with(approval_timeout="30 minutes"), "/catalog/approval_timeout"),
        (_example_with(unknown_key=1), "unknown_key"),
        ({"admins": []}, "/catalog"),
    ],
)
def test_helm_checks_a_catalog_given_as_a_mapping(catalog: dict[str, Any], where: str) -> None:
    with pytest.raises(helm.HelmValuesError) as refused:
        render_chart({"catalog": catalog})
    assert where in str(refused.value)


def test_values_validate_against_the_schema() -> None:
    spec = values_schema()
    assert spec["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert spec["additionalProperties"] is False
    jsonschema.Draft202012Validator.check_schema(spec)
    with helm.Chart.load(CHART) as chart:
        chart.validate_schema(values_yaml())


def test_schema_and_values_describe_the_same_keys() -> None:
    def walk(node: dict[str, Any], vals: dict[str, Any], path: str) -> None:
        props = node.get("properties")
        if props is None:
            return
        assert set(props) == set(vals), f"{path or 'top level'}: schema vs values.yaml keys"
        for key, sub in props.items():
            assert "description" in sub or "$ref" in sub, f"{path}{key}: no description"
            if isinstance(vals[key], dict):
                walk(sub, vals[key], f"{path}{key}.")

    walk(values_schema(), values_yaml(), "")


BAD_VALUES: list[tuple[dict[str, Any], str]] = [
    ({"replicaCount": 11}, "/replicaCount"),  # Slack: at most 10 Socket Mode connections per app
    ({"replicaCount": 0}, "/replicaCount"),
    ({"terminationGracePeriodSeconds": 10}, "/terminationGracePeriodSeconds"),  # bot needs 10 s
    ({"unknownKey": 1}, "unknownKey"),
    ({"image": {"pullPolicy": "Sometimes"}}, "/image/pullPolicy"),
    ({"image": {"digest": "sha256:abc"}}, "/image/digest"),
    ({"catalog": 42}, "/catalog"),
    (
        {"prometheusRule": {"alerts": {"slackDisconnected": {"for": "5 minutes"}}}},
        "/prometheusRule/alerts/slackDisconnected/for",
    ),
    (
        {"prometheusRule": {"alerts": {"tokenFailures": {"threshold": -1}}}},
        "/prometheusRule/alerts/tokenFailures/threshold",
    ),
    ({"prometheusRule": {"alertLabels": {"severity": "page"}}}, "severity"),
    ({"prometheusRule": {"metricsSelector": '{job="x"}'}}, "/prometheusRule/metricsSelector"),
]


@pytest.mark.parametrize(("change", "where"), BAD_VALUES)
def test_helm_refuses_bad_values_naming_the_key(change: dict[str, Any], where: str) -> None:
    with pytest.raises(helm.HelmValuesError) as refused:
        render_chart(change)
    assert where in str(refused.value)


@pytest.mark.parametrize(
    "change",
    [
        {"replicaCount": 10},
        {"replicaCount": 1},
        {"catalog": "databases: {}\n"},
        {"catalog": yaml.safe_load(EXAMPLE.read_text())},
    ],
)
def test_helm_accepts_values_at_the_limits(change: dict[str, Any]) -> None:
    assert "deployment.yaml" in render_chart(change)


def test_every_values_key_has_a_helm_docs_comment() -> None:
    text = (CHART / "values.yaml").read_text()
    lines = text.splitlines()
    missing = []

    def visit(node: yaml.Node, path: str) -> None:
        if not isinstance(node, yaml.MappingNode):
            return  # helm-docs does not document inside lists
        for key, value in node.value:
            n, block = key.start_mark.line - 1, []
            while n >= 0 and lines[n].lstrip().startswith("#"):
                block.append(lines[n].strip())
                n -= 1
            if not any(c.startswith("# -- ") for c in block):
                missing.append(f"{path}{key.value} (line {key.start_mark.line + 1})")
            visit(value, f"{path}{key.value}.")

    visit(yaml.compose(text), "")
    assert not missing, f"keys without a '# --' comment: {missing}"
    replicas = text.split("replicaCount:")[0].rsplit("\n\n", 1)[-1]
    assert "10 Socket Mode connections" in replicas


def test_every_values_reference_in_templates_exists() -> None:
    vals, missing = values_yaml(), []
    for path in sorted(TEMPLATES.glob("*")):
        for ref in VALUES_REF.findall(path.read_text()):
            node: Any = vals
            for part in ref.strip(".").split("."):
                if not isinstance(node, dict) or part not in node:
                    missing.append(f"{path.name}: .Values{ref}")
                    break
                node = node[part]
    assert not missing


def test_every_value_is_used_by_a_template() -> None:
    texts = [p.read_text() for p in TEMPLATES.glob("*")]
    used = {ref.strip(".") for text in texts for ref in VALUES_REF.findall(text)}

    def leaves(node: Any, path: str) -> list[str]:
        if isinstance(node, dict) and node:
            return [leaf for k, v in node.items() for leaf in leaves(v, f"{path}.{k}".strip("."))]
        return [path]

    def is_used(leaf: str) -> bool:
        parts = leaf.split(".")
        if parts[:2] == ["prometheusRule", "alerts"]:
            return True  # read as `.for`, `.window`, …; test_prometheus_rule changes each one
        return any(".".join(parts[:n]) in used for n in range(1, len(parts) + 1))

    assert [leaf for leaf in leaves(values_yaml(), "") if not is_used(leaf)] == []
