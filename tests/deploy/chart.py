"""The Helm chart rendered, linted and installed by Helm's own Go SDK (helm-python-sdk).

No helm binary and no cluster: `Chart.render` and `Config.install(dry_run="client")` run Helm 4's
template engine and values schema check in-process, exactly as `helm template`/`helm install
--dry-run=client` would.
"""

import json
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "db-access-bot"
TEMPLATES = CHART / "templates"
RELEASE = "db-access-bot"
NAMESPACE = "db-access"

Manifest = dict[str, Any]


def values_yaml() -> dict[str, Any]:
    return yaml.safe_load((CHART / "values.yaml").read_text())


def values_schema() -> dict[str, Any]:
    return json.loads((CHART / "values.schema.json").read_text())


def render(values: dict[str, Any] | None = None) -> dict[str, str]:
    """Template file name (e.g. `deployment.yaml`, `NOTES.txt`) -> rendered text."""
    with helm.Chart.load(CHART) as chart:
        rendered = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    return {Path(path).name: text for path, text in rendered.items()}


def manifests(values: dict[str, Any] | None = None) -> list[Manifest]:
    """Every Kubernetes object the chart renders for values, hooks included."""
    return [
        doc
        for name, text in sorted(render(values).items())
        if name.endswith(".yaml")
        for doc in yaml.safe_load_all(text)
        if doc
    ]


def one(kind: str, values: dict[str, Any] | None = None, **match: str) -> Manifest:
    """The single rendered object of kind (and annotations/name in match, if given)."""
    found = [
        m
        for m in manifests(values)
        if m["kind"] == kind and all(m["metadata"].get(k) == v for k, v in match.items())
    ]
    assert len(found) == 1, f"{len(found)} {kind} objects rendered"
    return found[0]


def of_kind(kind: str, values: dict[str, Any] | None = None) -> list[Manifest]:
    return [m for m in manifests(values) if m["kind"] == kind]


def container(workload: Manifest) -> dict[str, Any]:
    (found,) = workload["spec"]["template"]["spec"]["containers"]
    return found


def annotations(obj: Manifest) -> dict[str, str]:
    return obj["metadata"].get("annotations") or {}


def lint(values: dict[str, Any] | None = None, *, kube_version: str) -> list[str]:
    """`helm lint --strict` findings above "info" (warnings and errors), one line each."""
    report = helm.lint(
        CHART, values, strict=True, namespace=NAMESPACE, kube_version=f"v{kube_version}.0"
    )
    findings = [f"{m['path']}: {m['error']}" for m in report["messages"] if m["severity"] >= 2]
    return findings + list(report["errors"])
