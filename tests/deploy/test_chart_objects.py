"""What the rendered chart asks of Kubernetes: probes, lockdown, hooks, secrets, monitoring."""

import tomllib
from pathlib import Path

import yaml

from tests.deploy.chart import (
    ROOT,
    TEMPLATES,
    annotations,
    container,
    of_kind,
    one,
    render,
    values_schema,
    values_yaml,
)

CATALOG_PATH = "/etc/db-access-bot/catalog.yaml"
UID = 10001
SECRETS = {
    "secret": {
        "slackBotToken": "xoxb-1",
        "slackAppToken": "xapp-1",
        "databaseUrl": "postgresql+asyncpg://bot:pw@db/bot",
    }
}


def test_chart_metadata_matches_the_package() -> None:
    chart = yaml.safe_load((ROOT / "helm" / "db-access-bot" / "Chart.yaml").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert chart["apiVersion"] == "v2"
    assert chart["appVersion"] == project["version"]


def test_deployment_probes_and_locked_down_security() -> None:
    deploy = one("Deployment")
    pod, bot = deploy["spec"]["template"]["spec"], container(deploy)
    assert bot["command"] == ["db-access-bot"] and bot["args"] == ["run"]
    assert bot["image"] == "db-access-bot:0.1.0"
    assert bot["ports"] == [{"name": "health", "containerPort": 8080, "protocol": "TCP"}]
    for probe, path in [
        ("startupProbe", "/healthz"),
        ("livenessProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
    ]:
        assert bot[probe]["httpGet"] == {"path": path, "port": "health"}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == UID
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    sc = bot["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert sc["runAsNonRoot"] is True and sc["runAsUser"] == UID
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["terminationGracePeriodSeconds"] >= 15
    assert values_schema()["properties"]["terminationGracePeriodSeconds"]["minimum"] >= 15
    assert deploy["spec"]["replicas"] == values_yaml()["replicaCount"] == 2


def test_rollout_never_opens_an_eleventh_slack_connection() -> None:
    assert one("Deployment")["spec"]["strategy"]["rollingUpdate"] == {
        "maxSurge": 1,
        "maxUnavailable": 0,
    }
    at_ten = one("Deployment", {"replicaCount": 10})["spec"]["strategy"]["rollingUpdate"]
    assert at_ten == {"maxSurge": 0, "maxUnavailable": 1}


def test_image_digest_replaces_the_tag() -> None:
    digest = "sha256:" + "ab" * 32
    deploy = one(
        "Deployment", {"image": {"repository": "r.example.com/bot", "tag": "9", "digest": digest}}
    )
    assert container(deploy)["image"] == f"r.example.com/bot@{digest}"
    assert container(one("Job", {"image": {"digest": digest}}))["image"].endswith(digest)


def test_deployment_mounts_tmp_and_the_catalog_and_rolls_on_change() -> None:
    deploy = one("Deployment", {"extraEnv": [{"name": "X_EXTRA", "value": "1"}]})
    pod, bot = deploy["spec"]["template"]["spec"], container(deploy)
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in bot["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]
    assert (
        volumes[mounts[str(Path(CATALOG_PATH).parent)]]["configMap"]["name"]
        == (one("ConfigMap")["metadata"]["name"])
    )
    assert "catalog.yaml" in one("ConfigMap")["data"]
    env = {e["name"]: e for e in bot["env"]}
    assert env["DB_ACCESS_CATALOG"]["value"] == CATALOG_PATH
    for key in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "DATABASE_URL"):
        assert env[key]["valueFrom"]["secretKeyRef"]["key"] == key
    assert bot["env"][-1] == {"name": "X_EXTRA", "value": "1"}  # extraEnv comes last
    checksum = deploy["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
    other = one("Deployment", {"catalog": "databases: {}\n"})
    assert other["spec"]["template"]["metadata"]["annotations"]["checksum/config"] != checksum


def test_service_account_carries_the_irsa_annotation() -> None:
    arn = "arn:aws:iam::123456789012:role/db-access-bot"
    account = one("ServiceAccount", {"serviceAccount": {"roleArn": arn}})
    assert annotations(account)["eks.amazonaws.com/role-arn"] == arn
    assert annotations(one("ServiceAccount")) == {}


def test_migration_job_is_a_hook_that_needs_nothing_from_the_release() -> None:
    job = one("Job")
    hooks = annotations(job)
    assert set(hooks["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert hooks["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
    pod, migrate = job["spec"]["template"]["spec"], container(job)
    assert migrate["command"] == ["db-access-bot"] and migrate["args"] == ["migrate"]
    deploy = one("Deployment")
    assert pod["securityContext"] == deploy["spec"]["template"]["spec"]["securityContext"]
    assert migrate["securityContext"] == container(deploy)["securityContext"]
    # Pre-install runs before the chart's ServiceAccount and ConfigMap exist.
    assert "serviceAccountName" not in pod and pod["automountServiceAccountToken"] is False
    assert [v for v in pod["volumes"] if "configMap" in v] == []
    assert {m["mountPath"] for m in migrate["volumeMounts"]} == {"/tmp"}
    secret_ref = migrate["env"][0]["valueFrom"]["secretKeyRef"]
    hooked = [s for s in of_kind("Secret") if "helm.sh/hook" in annotations(s)]
    assert [s["metadata"]["name"] for s in hooked] == [secret_ref["name"]]
    own = container(one("Job", {"existingSecret": "mine"}))
    assert own["env"][0]["valueFrom"]["secretKeyRef"]["name"] == "mine"


def test_the_job_secret_exists_before_the_job_and_the_bot_secret_is_ordinary() -> None:
    secrets = of_kind("Secret", SECRETS)
    bot = [s for s in secrets if "helm.sh/hook" not in annotations(s)]
    hooked = [s for s in secrets if "helm.sh/hook" in annotations(s)]
    assert len(bot) == 1 and len(hooked) == 1
    assert bot[0]["stringData"] == {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_APP_TOKEN": "xapp-1",
        "DATABASE_URL": "postgresql+asyncpg://bot:pw@db/bot",
    }
    assert hooked[0]["stringData"] == {"DATABASE_URL": "postgresql+asyncpg://bot:pw@db/bot"}
    hook, job = annotations(hooked[0]), annotations(one("Job"))
    assert set(hook["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert int(hook["helm.sh/hook-weight"]) < int(job["helm.sh/hook-weight"])
    assert "before-hook-creation" in hook["helm.sh/hook-delete-policy"]
    assert of_kind("Secret", {"existingSecret": "mine"}) == []


def test_pdb_service_and_service_monitor() -> None:
    assert one("PodDisruptionBudget")["spec"]["minAvailable"] == 1
    assert of_kind("PodDisruptionBudget", {"replicaCount": 1}) == []
    service = one("Service")["spec"]
    assert service["type"] == "ClusterIP" and service["ports"][0]["targetPort"] == "health"
    assert service["publishNotReadyAddresses"] is True
    assert of_kind("ServiceMonitor") == []
    monitor = one(
        "ServiceMonitor", {"serviceMonitor": {"enabled": True, "labels": {"release": "kps"}}}
    )
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == service["ports"][0]["name"] and endpoint["path"] == "/metrics"
    assert monitor["metadata"]["labels"]["release"] == "kps"
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["db-access"]}


def test_notes_point_at_health_manifest_and_iam_policy_and_warn_what_is_missing() -> None:
    notes = render()["NOTES.txt"]
    for needle in ("/readyz", "db-access-bot manifest", "db-access-bot iam-policy", "rollout"):
        assert needle in notes
    assert "the catalog is empty" in notes and "secret.slackBotToken" in notes
    ready = render(
        {
            **SECRETS,
            "catalog": "databases: {}\n",
            "config": {"privatebinUrl": "https://paste.example.com"},
        }
    )["NOTES.txt"]
    assert "WARNING" not in ready


def test_templates_are_all_rendered_by_some_matrix_entry() -> None:
    from tests.deploy.test_render_matrix import VALUE_SETS

    rendered = {
        name
        for values in VALUE_SETS.values()
        for name, text in render(values).items()
        if text.strip()
    }
    assert rendered == {p.name for p in TEMPLATES.glob("*") if not p.name.startswith("_")}
