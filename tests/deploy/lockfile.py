"""requirements.lock read back, and checked against pyproject.toml."""

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.deploy.chart import ROOT

LOCK = ROOT / "requirements.lock"
PYPROJECT = ROOT / "pyproject.toml"
PROJECT = "db-access-bot"
# The image's platform: markers in pyproject.toml are judged for it.
IMAGE_ENVIRONMENT = {
    "python_version": "3.11",
    "python_full_version": "3.11.13",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


@dataclass
class Pin:
    version: Version
    hashes: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)


def parse_lock(text: str) -> dict[str, Pin]:
    """Canonical name -> its pin, hashes and the `# via` parents pip-compile recorded."""
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    in_via = False
    for raw in text.splitlines():
        line = raw.strip()
        if match := PIN.match(raw):
            current = pins[canonicalize_name(match[1])] = Pin(Version(match[2]))
            in_via = False
        elif current and line.startswith("--hash="):
            current.hashes.append(line.removeprefix("--hash=").rstrip(" \\"))
        elif current and line.startswith("# via"):
            in_via = True
            if rest := line.removeprefix("# via").strip():
                current.via.append(rest)
        elif current and in_via and line.startswith("#   "):
            current.via.append(line.removeprefix("#").strip())
        elif line and not line.startswith("#"):
            raise AssertionError(f"requirements.lock: cannot read {raw!r}")
    return pins


def wanted(pyproject: dict[str, Any]) -> list[tuple[Requirement, str]]:
    """(requirement, where) for the runtime dependencies and build-system.requires."""
    found = [(Requirement(r), "project.dependencies") for r in pyproject["project"]["dependencies"]]
    found += [
        (Requirement(r), "build-system.requires") for r in pyproject["build-system"]["requires"]
    ]
    return [
        (req, where)
        for req, where in found
        if req.marker is None or req.marker.evaluate(IMAGE_ENVIRONMENT)
    ]


def lock_problems(pyproject_text: str, lock_text: str) -> list[str]:
    """Every way the lock disagrees with pyproject.toml, each with the fix."""
    pyproject = tomllib.loads(pyproject_text)
    pins = parse_lock(lock_text)
    fix = "run scripts/lock"
    problems = []
    asked = set()
    for req, where in wanted(pyproject):
        name = canonicalize_name(req.name)
        asked.add(name)
        if name not in pins:
            problems.append(f"{req} ({where}) is not in requirements.lock: {fix}")
        elif not req.specifier.contains(pins[name].version, prereleases=True):
            problems.append(
                f"requirements.lock pins {name}=={pins[name].version}, "
                f"outside {req} ({where}): {fix}"
            )
    for name, pin in sorted(pins.items()):
        if not pin.hashes:
            problems.append(f"{name} has no --hash in requirements.lock: {fix}")
        parents = {canonicalize_name(v.split(" ", 1)[0]) for v in pin.via}
        if not parents:
            problems.append(f"{name} is locked but nothing requires it: {fix}")
        elif parents == {PROJECT} and name not in asked:
            problems.append(
                f"{name} is locked for pyproject.toml, which no longer asks for it: {fix}"
            )
        elif missing := parents - {PROJECT} - set(pins):
            problems.append(f"{name} is locked for {sorted(missing)}, which are not locked: {fix}")
    return problems
