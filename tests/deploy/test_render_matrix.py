"""Helm renders and lints the chart for typical values; every object is valid Kubernetes.

Kubernetes versions: every minor EKS supports on 2026-12-01 that kubernetes-validate carries
schemas for — 1.32 and 1.33 (extended support until 2027-03-23 / 2027-07-29), 1.34 and 1.35
(standard support) — and the newer 1.36 and 1.37 EKS adds next, so an upgrade finds nothing new.
1.31 left extended support on 2026-11-26 and is not checked.
"""

from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from tests.deploy.chart import lint, manifests
from tests.deploy.crd_schemas import BY_KIND

EKS_VERSIONS = ["1.32", "1.33", "1.34", "1.35", "1.36", "1.37"]
DIGEST = "sha256:" + "0123456789abcdef" * 4
CATALOG = "approvals_channel: C0APPROVALS\nadmins: [U0ADMIN]\ndatabases: {}\n"

VALUE_SETS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "existing-secret": {"existingSecret": "db-access-bot-secrets"},
    "service-monitor": {"serviceMonitor": {"enabled": True, "labels": {"release": "kps"}}},
    "one-replica": {"replicaCount": 1},
    "ten-replicas": {"replicaCount": 10},
    "image-digest": {
        "image": {"repository": "registry.example.com/db-access-bot", "digest": DIGEST}
    },
    "prometheus-rule": {
        "prometheusRule": {
            "enabled": True,
            "labels": {"release": "kps"},
            "alertLabels": {"team": "platform"},
        }
    },
    "everything": {
        "replicaCount": 3,
        "existingSecret": "db-access-bot-secrets",
        "image": {"repository": "registry.example.com/db-access-bot", "tag": "0.1.0"},
        "serviceAccount": {"roleArn": "arn:aws:iam::123456789012:role/db-access-bot"},
        "config": {"privatebinUrl": "https://paste.example.com", "awsRegion": "eu-west-1"},
        "catalog": CATALOG,
        "extraEnv": [{"name": "HTTPS_PROXY", "value": "http://proxy:3128"}],
        "podAnnotations": {"example.com/owner": "platform"},
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [
            {"key": "dedicated", "operator": "Equal", "value": "bots", "effect": "NoSchedule"}
        ],
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"a": "b"}},
            }
        ],
        "serviceMonitor": {"enabled": True},
        "prometheusRule": {"enabled": True},
    },
    "no-migration-no-pdb": {
        "migration": {"enabled": False},
        "podDisruptionBudget": {"enabled": False},
    },
}


def kubernetes_errors(obj: dict[str, Any], version: str) -> str | None:
    """kubernetes-validate --strict (or the CRD structure) for one object; None when valid."""
    try:
        if obj["kind"] in BY_KIND:
            jsonschema.Draft202012Validator(BY_KIND[obj["kind"]]).validate(obj)
        else:
            kubernetes_validate.validate(obj, version, strict=True)
    except (jsonschema.ValidationError, kubernetes_validate.SchemaNotFoundError) as exc:
        where = "/".join(str(p) for p in getattr(exc, "absolute_path", []))
        return f"{obj['kind']}/{obj['metadata']['name']} at {where or '.'}: " + getattr(
            exc, "message", str(exc)
        )
    return None


def test_kubernetes_validate_carries_every_checked_version() -> None:
    shipped = {v.rsplit(".", 1)[0] for v in kubernetes_validate.utils.all_versions()}
    assert set(EKS_VERSIONS) <= shipped


@pytest.mark.parametrize("name", VALUE_SETS)
def test_rendered_objects_are_valid_for_every_eks_version(name: str) -> None:
    objects = manifests(VALUE_SETS[name])
    problems = [
        f"{version}: {error}"
        for version in EKS_VERSIONS
        for obj in objects
        if (error := kubernetes_errors(obj, version))
    ]
    assert problems == []


@pytest.mark.parametrize("name", VALUE_SETS)
def test_helm_lint_strict_finds_nothing(name: str) -> None:
    for version in (EKS_VERSIONS[0], EKS_VERSIONS[-1]):
        assert lint(VALUE_SETS[name], kube_version=version) == []


def test_the_matrix_renders_what_it_claims() -> None:
    kinds = {
        name: sorted(o["kind"] for o in manifests(values)) for name, values in VALUE_SETS.items()
    }
    assert "ServiceMonitor" in kinds["service-monitor"]
    assert "PrometheusRule" in kinds["prometheus-rule"]
    assert "Secret" not in kinds["existing-secret"]
    assert "PodDisruptionBudget" not in kinds["one-replica"]
    assert "Job" not in kinds["no-migration-no-pdb"]
    assert kinds["defaults"] == [
        "ConfigMap",
        "Deployment",
        "Job",
        "PodDisruptionBudget",
        "Secret",
        "Secret",
        "Service",
        "ServiceAccount",
    ]


def test_a_broken_object_is_caught() -> None:
    deployment = next(o for o in manifests() if o["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = 3
    deployment["spec"]["replicass"] = 2
    assert "Deployment/db-access-bot" in (kubernetes_errors(deployment, "1.35") or "")
    monitor = next(
        o for o in manifests(VALUE_SETS["service-monitor"]) if o["kind"] == "ServiceMonitor"
    )
    monitor["spec"]["endpoints"][0]["intervall"] = "30s"
    assert "ServiceMonitor/db-access-bot" in (kubernetes_errors(monitor, "1.35") or "")
