"""The README and docs/ name files that exist: a moved or renamed module leaves no stale path."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A repository path as the docs write it: `bot/store/repo.py`, `scheduler/`, `tests/e2e/`.
PATH = re.compile(
    r"`((?:bot|handlers|providers|scheduler|migrations|tests|scripts|benchmarks|helm|docs)"
    r"(?:/[\w.-]+)*/?)`"
)


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def named_paths(text: str) -> set[str]:
    return {match.group(1) for match in PATH.finditer(text)}


def test_every_path_the_docs_name_exists() -> None:
    missing = [
        f"{doc.relative_to(ROOT)}: {path}"
        for doc in documents()
        for path in sorted(named_paths(doc.read_text()))
        if not (ROOT / path).exists()
    ]
    assert missing == []


def test_the_docs_name_paths() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    assert {
        "bot/store/audit_chain.py",
        "scheduler/sweeps.py",
        "handlers/commands.py",
    } <= named_paths(text)


def test_the_readme_points_only_inside_the_repository() -> None:
    text = (ROOT / "README.md").read_text()
    assert "../" not in text  # the design lives in docs/, not next to the checkout
    assert "](docs/architecture.md)" in text
