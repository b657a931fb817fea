"""The README's `helm install` command, parsed into what Helm's CLI would pass to the SDK."""

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

from tests.deploy.chart import ROOT

# Helm's CLI merges values in this order whatever the order on the command line
# (pkg/cli/values/options.go MergeValues): -f files, then --set-json, --set, --set-string,
# --set-file, --set-literal. Each later source overrides the earlier ones key by key.
VALUE_FLAGS = {
    "--set-json": helm.parse_set_json,
    "--set": helm.parse_set_string,
    "--set-string": helm.parse_set_string_values,
    "--set-file": helm.parse_set_file,
    "--set-literal": helm.parse_set_literal,
}
SWITCHES = {"--create-namespace"}


@dataclass
class InstallCommand:
    release: str
    chart: str
    namespace: str = "default"
    create_namespace: bool = False
    value_files: list[str] = field(default_factory=list)
    value_flags: dict[str, list[str]] = field(default_factory=dict)

    def values(self) -> dict[str, Any]:
        """The user-supplied values Helm would compute; files are read from the current dir."""
        merged: dict[str, Any] = {}
        for name in self.value_files:
            merged = deep_merge(merged, yaml.safe_load(Path(name).read_text()) or {})
        for flag, parse in VALUE_FLAGS.items():
            for expression in self.value_flags.get(flag, []):
                merged = deep_merge(merged, parse(expression))
        return merged


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def readme_install_command() -> str:
    """The `helm install` line of the README's "Deploying on EKS" section, continuations joined."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Deploying on EKS", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
    commands = [
        line.strip()
        for block in blocks
        for line in re.sub(r"\\\n\s*", " ", block).splitlines()
        if line.strip().startswith("helm install ")
    ]
    assert len(commands) == 1, f"expected one `helm install` in the section, found {commands}"
    return commands[0]


def parse(command: str) -> InstallCommand:
    """Parse `helm install NAME CHART [flags]`; a flag this test does not know fails it."""
    words = shlex.split(command)
    assert words[:2] == ["helm", "install"], words
    positional: list[str] = []
    parsed = InstallCommand(release="", chart="")
    rest = iter(words[2:])
    for word in rest:
        flag, eq, inline = word.partition("=")
        if not word.startswith("-"):
            positional.append(word)
        elif word in SWITCHES:
            parsed.create_namespace = True
        elif flag in ("-n", "--namespace"):
            parsed.namespace = inline if eq else next(rest)
        elif flag in ("-f", "--values"):
            parsed.value_files.append(inline if eq else next(rest))
        elif flag in VALUE_FLAGS:
            parsed.value_flags.setdefault(flag, []).append(inline if eq else next(rest))
        else:
            raise AssertionError(f"the README's helm install uses {word}, unknown to this test")
    assert len(positional) == 2, f"expected NAME and CHART, got {positional}"
    parsed.release, parsed.chart = positional
    return parsed
