"""The README documents every approval-rule key of the catalog, and a section per feature."""

from pathlib import Path

import pytest

from bot.catalog.schema import catalog_json_schema

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


@pytest.mark.parametrize(
    ("section", "prefix"), [("BreakglassSpec", "…breakglass."), ("OnCallSpec", "…on_call.")]
)
def test_every_key_of_a_rule_is_in_the_catalog_table(section: str, prefix: str) -> None:
    keys = catalog_json_schema()["$defs"][section]["properties"]
    missing = [key for key in keys if f"| `{prefix}{key}` |" not in README]
    assert missing == []


def test_the_other_new_keys_are_in_the_catalog_table() -> None:
    for row in (
        "| `…auto_approve` |",
        "| `…auto_approve.<lvl>.max`, `.per` |",
        "| `…warning` |",
        "| `PAGERDUTY_TOKEN` |",
        "| `PAGERDUTY_API_URL` |",
    ):
        assert row in README, row


def test_each_feature_has_a_section() -> None:
    for heading in (
        "### Break-glass",
        "### Sensitive databases",
        "### Auto-approval with a quota",
        "### On-call approval",
    ):
        assert f"\n{heading}\n" in README, heading
