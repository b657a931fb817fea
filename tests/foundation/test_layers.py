"""The layers as a test: which part of the code may import which (docs/architecture.md, Layers)."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "providers", "scheduler")

# Pure rules and vocabulary: no network, no state-store session, no Slack or AWS call. The
# table classes are vocabulary (Block Kit builders describe rows); queries and sessions are not.
PURE = {
    "bot.approval_rules",
    "bot.asks",
    "bot.domain",
    "bot.durations",
    "bot.errors",
    "bot.grammar",
    "bot.ids",
    "bot.paste",
    "bot.policy",
    "bot.requesters",
    "bot.start_times",
    "bot.store.models",
}
PURE_PACKAGES = ("bot.catalog", "bot.slack")
COMPOSITION_ROOT = {"bot.__main__", "bot.cli", "bot.wiring"}
PROTOCOLS = "providers.base"


def is_pure(module: str) -> bool:
    """Whether a module belongs to the pure layer."""
    return module in PURE or any(within(module, package) for package in PURE_PACKAGES)


def within(module: str, package: str) -> bool:
    """Whether a module is the package or inside it."""
    return module == package or module.startswith(package + ".")


def module_name(path: Path, root: Path) -> str:
    """`bot/store/repo.py` -> `bot.store.repo`; a package's `__init__.py` is the package."""
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, known: set[str]) -> Iterator[str]:
    """Every project module a file imports, at the top or inside a function."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from bot.store import repo` imports the module bot.store.repo.
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            if name in known:
                yield name


def import_graph(root: Path) -> dict[str, set[str]]:
    """Each project module of the tree at root and the project modules it imports."""
    files = {
        module_name(path, root): path
        for package in PACKAGES
        if (root / package).is_dir()
        for path in (root / package).rglob("*.py")
    }
    known = set(files)
    return {module: set(imports_of(path, known)) - {module} for module, path in files.items()}


def broken_rule(importer: str, imported: str) -> str | None:
    """The layer rule an import breaks, in words, or None."""
    if within(importer, "handlers"):
        if within(imported, "bot.store") and not is_pure(imported):
            return "a Slack listener reaches the state store; go through the workflow in bot/"
        if within(imported, "providers"):
            return "a Slack listener calls a provider; go through the workflow in bot/"
        if within(imported, "scheduler"):
            return "handlers/ and scheduler/ both call the workflow, never each other"
    if within(importer, "scheduler") and within(imported, "handlers"):
        return "handlers/ and scheduler/ both call the workflow, never each other"
    if within(importer, "providers") and not (within(imported, "providers") or is_pure(imported)):
        return "a provider depends on the workflow; providers may use only pure code"
    if is_pure(importer) and not is_pure(imported):
        return "pure code imports a layer above it"
    if within(importer, "bot.store") and not (within(imported, "bot.store") or is_pure(imported)):
        return "the state store depends on a layer above it"
    if within(importer, "bot") and importer not in COMPOSITION_ROOT:
        if within(imported, "handlers") or within(imported, "scheduler"):
            return "the workflow calls back into handlers/ or scheduler/; only bot/wiring.py wires"
        if (
            within(imported, "providers")
            and imported != PROTOCOLS
            and not within(importer, "bot.ops")
        ):
            return "the workflow names a concrete provider; use the Protocols in providers/base.py"
    return None


def violations(root: Path) -> list[str]:
    """Every import of the tree at root that breaks a layer rule, one line each."""
    return sorted(
        f"{importer} imports {imported}: {rule}"
        for importer, imported_modules in import_graph(root).items()
        for imported in imported_modules
        if (rule := broken_rule(importer, imported))
    )


def test_the_code_keeps_to_its_layers() -> None:
    assert violations(ROOT) == []


def test_the_graph_sees_every_package() -> None:
    graph = import_graph(ROOT)
    for module in ("bot.workflow", "bot.store.repo", "handlers.commands", "scheduler.sweeps"):
        assert module in graph
    assert "bot.store.repo" in graph["scheduler.sweeps"]


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


BASE = {
    "bot/__init__.py": "",
    "bot/domain.py": "",
    "bot/workflow.py": "from bot import domain\n",
    "bot/store/__init__.py": "",
    "bot/store/repo.py": "from bot.domain import x\n",
    "bot/store/models.py": "",
    "handlers/__init__.py": "",
    "providers/__init__.py": "",
    "providers/base.py": "from bot.domain import x\n",
    "providers/aws_iam.py": "from providers.base import y\n",
    "scheduler/__init__.py": "",
    "scheduler/sweeps.py": "from bot.store import repo\n",
}


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("handlers/x.py", "from bot.store import repo\n", "handlers.x imports bot.store.repo"),
        ("handlers/x.py", "def f():\n    import providers.aws_iam\n", "imports providers.aws_iam"),
        ("handlers/x.py", "from scheduler.sweeps import z\n", "never each other"),
        ("scheduler/y.py", "from handlers import x\n", "never each other"),
        ("providers/z.py", "from bot.workflow import w\n", "a provider depends on the workflow"),
        ("bot/policy.py", "from bot.store.repo import q\n", "pure code imports a layer above"),
        ("bot/store/q.py", "from bot import workflow\n", "the state store depends on a layer"),
        ("bot/flow.py", "from providers.aws_iam import I\n", "names a concrete provider"),
        ("bot/flow.py", "from scheduler import sweeps\n", "calls back into handlers/"),
    ],
)
def test_each_rule_catches_what_it_forbids(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    write(tmp_path, {**BASE, "bot/policy.py": "", "handlers/x.py": "", name: text})
    assert any(expected in line for line in violations(tmp_path))


def test_allowed_imports_pass(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            **BASE,
            "handlers/x.py": "from bot import workflow\n",
            "bot/flow.py": "from providers.base import P\nfrom bot.store import repo\n",
        },
    )
    assert violations(tmp_path) == []
