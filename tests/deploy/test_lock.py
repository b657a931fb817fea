"""requirements.lock pins every dependency with hashes, in step with pyproject.toml."""

import re

from tests.deploy.chart import ROOT
from tests.deploy.lockfile import LOCK, PYPROJECT, lock_problems, parse_lock


def test_lock_agrees_with_pyproject() -> None:
    assert lock_problems(PYPROJECT.read_text(), LOCK.read_text()) == []


def test_lock_says_how_to_regenerate_it_for_the_images_python() -> None:
    header = LOCK.read_text().split("\n\n", 1)[0]
    assert "#    scripts/lock" in header
    assert "with Python 3.11" in header
    assert re.search(r"ARG PYTHON_IMAGE=python:3\.11\.", (ROOT / "Dockerfile").read_text())
    script = ROOT / "scripts" / "lock"
    assert script.stat().st_mode & 0o111 and "--generate-hashes" in script.read_text()


def test_every_pin_carries_sha256_hashes() -> None:
    pins = parse_lock(LOCK.read_text())
    assert {"slack-bolt", "sqlalchemy", "greenlet", "setuptools"} <= set(pins)
    for name, pin in pins.items():
        assert pin.hashes and all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in pin.hashes), name


def test_a_new_dependency_missing_from_the_lock_is_reported() -> None:
    pyproject = PYPROJECT.read_text().replace(
        "dependencies = [\n", 'dependencies = [\n    "humanize>=4",\n', 1
    )
    assert lock_problems(pyproject, LOCK.read_text()) == [
        "humanize>=4 (project.dependencies) is not in requirements.lock: run scripts/lock"
    ]


def test_a_pin_outside_the_specifier_is_reported() -> None:
    pyproject = PYPROJECT.read_text().replace('"slack-bolt>=1.20"', '"slack-bolt>=99"', 1)
    (problem,) = lock_problems(pyproject, LOCK.read_text())
    assert problem.startswith("requirements.lock pins slack-bolt==")
    assert problem.endswith("outside slack-bolt>=99 (project.dependencies): run scripts/lock")


def test_a_dependency_dropped_from_pyproject_is_reported() -> None:
    pyproject = PYPROJECT.read_text().replace('    "PyYAML>=6.0",\n', "", 1)
    assert lock_problems(pyproject, LOCK.read_text()) == [
        "pyyaml is locked for pyproject.toml, which no longer asks for it: run scripts/lock"
    ]


def test_a_pin_without_hashes_is_reported() -> None:
    lock = re.sub(r"(pyyaml==\S+) \\\n(    --hash=\S+( \\)?\n)+", r"\1\n", LOCK.read_text())
    assert lock_problems(PYPROJECT.read_text(), lock) == [
        "pyyaml has no --hash in requirements.lock: run scripts/lock"
    ]
