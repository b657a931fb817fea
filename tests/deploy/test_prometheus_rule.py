"""The README's "alerts worth setting" ship in the chart as a PrometheusRule, in step with it."""

import re
from typing import Any

import pytest

from bot.ops.metrics import Metrics
from tests.deploy.chart import ROOT, of_kind, values_yaml
from tests.deploy.chart import render as render_chart

ENABLED = {"prometheusRule": {"enabled": True}}
ALERT_OF_VALUE = {
    "slackDisconnected": "DbAccessBotSlackDisconnected",
    "revokeFailures": "DbAccessBotRevocationFailing",
    "revocationLag": "DbAccessBotRevocationLagHigh",
    "driftFixed": "DbAccessBotDriftFixed",
    "tokenFailures": "DbAccessBotTokenDeliveryFailing",
    "notReady": "DbAccessBotNotReady",
}


def rules(values: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Alert name -> rule of the rendered PrometheusRule."""
    merged = {"prometheusRule": {"enabled": True, **(values or {})}}
    (rule,) = of_kind("PrometheusRule", merged)
    (group,) = rule["spec"]["groups"]
    return {r["alert"]: r for r in group["rules"]}


def readme_alerts() -> str:
    readme = (ROOT / "README.md").read_text()
    paragraph = readme.split("**Alerts worth setting.**", 1)[1].split("\n\n", 1)[0]
    return " ".join(paragraph.split())


def exported_metric_names() -> set[str]:
    """Every series name the bot serves on /metrics (histograms with their _bucket etc.)."""
    suffixes = {"counter": ["_total"], "gauge": [""], "histogram": ["_bucket", "_count", "_sum"]}
    return {
        family.name + suffix
        for family in Metrics().registry.collect()
        for suffix in suffixes[family.type]
    }


def test_off_by_default_like_the_service_monitor() -> None:
    assert values_yaml()["prometheusRule"]["enabled"] is False
    assert of_kind("PrometheusRule") == []


def test_every_readme_alert_is_a_rule_with_the_readme_threshold() -> None:
    text, by_name = readme_alerts(), rules()
    assert set(by_name) == set(ALERT_OF_VALUE.values())
    exprs = " ".join(r["expr"] for r in by_name.values())
    readme_metrics = set(re.findall(r"dbab_\w+", text))
    assert readme_metrics and readme_metrics <= set(re.findall(r"dbab_\w+", exprs))
    assert "readiness failing" in text and "kube_deployment_status_replicas_available" in exprs
    # The README's numbers are the defaults.
    assert by_name["DbAccessBotSlackDisconnected"]["for"] == "5m" and "for 5 minutes" in text
    assert "[15m])) > 0" in by_name["DbAccessBotRevocationFailing"]["expr"]
    assert "[15m]) > 0" in text
    lag = by_name["DbAccessBotRevocationLagHigh"]["expr"]
    assert "histogram_quantile(0.99," in lag and "[1h]" in lag and lag.endswith("> 30")
    assert "[1h])) > 30" in text
    assert "[1h])) > 0" in by_name["DbAccessBotDriftFixed"]["expr"]
    tokens = by_name["DbAccessBotTokenDeliveryFailing"]["expr"]
    assert 'outcome="failed"' in tokens and tokens.endswith("[15m])) > 3")
    assert '{outcome="failed"}[15m]) > 3' in text
    assert "prometheusRule.enabled" in text


def test_alerts_only_use_series_the_bot_exports() -> None:
    exported = exported_metric_names()
    used = {m for r in rules().values() for m in re.findall(r"dbab_\w+", r["expr"])}
    assert used and used <= exported, used - exported


def test_alerts_select_the_series_the_service_monitor_scrapes() -> None:
    for alert in set(ALERT_OF_VALUE.values()) - {"DbAccessBotNotReady"}:
        assert 'job="db-access-bot",namespace="db-access"' in rules()[alert]["expr"], alert
    mine = rules({"metricsSelector": 'service="bots",namespace="ops"'})
    assert (
        'dbab_slack_connected{service="bots",namespace="ops"}'
        in mine["DbAccessBotSlackDisconnected"]["expr"]
    )
    not_ready = rules()["DbAccessBotNotReady"]["expr"]
    assert (
        'kube_deployment_spec_replicas{namespace="db-access",deployment="db-access-bot"}'
        in not_ready
    )


def test_labels_reach_the_rule_and_every_alert() -> None:
    (rule,) = of_kind(
        "PrometheusRule",
        {
            "prometheusRule": {
                "enabled": True,
                "labels": {"release": "kps"},
                "alertLabels": {"team": "platform"},
            }
        },
    )
    assert rule["metadata"]["labels"]["release"] == "kps"
    for alert in rule["spec"]["groups"][0]["rules"]:
        assert alert["labels"]["team"] == "platform" and alert["labels"]["severity"]
        assert alert["annotations"]["summary"] and alert["annotations"]["description"]


CHANGES: list[tuple[str, str, Any]] = [
    (value_name, key, replacement)
    for value_name, settings in values_yaml()["prometheusRule"]["alerts"].items()
    for key, replacement in [
        ("enabled", False),
        ("severity", "page"),
        ("for", "17m"),
        ("window", "2h"),
        ("threshold", 9),
        ("thresholdSeconds", 120),
    ]
    if key in settings
]


@pytest.mark.parametrize(("value_name", "key", "replacement"), CHANGES)
def test_every_alert_setting_changes_its_rule(value_name: str, key: str, replacement: Any) -> None:
    alert = ALERT_OF_VALUE[value_name]
    changed = rules({"alerts": {value_name: {key: replacement}}})
    if key == "enabled":
        assert alert not in changed and len(changed) == len(ALERT_OF_VALUE) - 1
        return
    rule = changed[alert]
    where = {"severity": rule["labels"].get("severity"), "for": rule.get("for")}.get(
        key, rule["expr"]
    )
    assert str(replacement) in str(where), rule
    assert rule != rules()[alert]


def test_all_alerts_off_still_renders_a_valid_rule() -> None:
    off = {name: {"enabled": False} for name in ALERT_OF_VALUE}
    (rule,) = of_kind("PrometheusRule", {"prometheusRule": {"enabled": True, "alerts": off}})
    assert rule["spec"]["groups"][0]["rules"] == []


def test_rule_description_keeps_prometheus_templating() -> None:
    description = rules()["DbAccessBotDriftFixed"]["annotations"]["description"]
    assert "{{ $labels.kind }}" in description
    assert "prometheusrule.yaml" in render_chart(ENABLED)


def test_notes_warn_when_the_alerts_select_series_nobody_scrapes() -> None:
    warning = "the bot's alerts can never fire"
    assert warning in render_chart(ENABLED)["NOTES.txt"]
    scraped = {**ENABLED, "serviceMonitor": {"enabled": True}}
    assert warning not in render_chart(scraped)["NOTES.txt"]
    own = {"prometheusRule": {"enabled": True, "metricsSelector": 'job="bots"'}}
    assert warning not in render_chart(own)["NOTES.txt"]
