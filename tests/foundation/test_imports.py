"""Importing any module of the service performs no I/O (no sockets, no files written)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "providers", "scheduler", "migrations")
# Entry points that act when run: __main__ executes the CLI; Alembic's env.py migrates.
SKIP = {"bot.__main__", "migrations.env"}

# urllib3 probes IPv6 support by binding ::1 when it is first imported; that is the library's
# own loopback check, not ours, so it is imported before the hook starts listening.
PROBE = r"""
import importlib, json, sys
import urllib3
events = []
def hook(event, args):
    if event in ("socket.connect", "socket.bind", "socket.getaddrinfo", "subprocess.Popen",
                 "os.system"):
        events.append([event, repr(args)[:200]])
    elif event == "open" and len(args) > 1 and isinstance(args[1], str) and any(
            flag in args[1] for flag in "wax+"):
        events.append([event, repr(args)[:200]])
sys.addaudithook(hook)
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
print(json.dumps(events))
"""


def module_names() -> list[str]:
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            if name not in SKIP:
                names.append(name)
    return names


def test_importing_every_module_does_no_io() -> None:
    names = module_names()
    assert len(names) > 30
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(names)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
