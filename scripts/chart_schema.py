"""Write the catalog's JSON Schema into the chart's values.schema.json (run after a catalog change).

    .venv/bin/python scripts/chart_schema.py        # rewrite helm/db-access-bot/values.schema.json

The chart takes the catalog either as the text of catalog.yaml (--set-file) or as a mapping in a
values file; the mapping is checked by Helm against the same schema `db-access-bot check` uses.
tests/deploy/test_chart_values.py fails when the two are out of step.
"""

import json
from pathlib import Path
from typing import Any

from bot.catalog.schema import catalog_json_schema

SCHEMA = Path(__file__).resolve().parents[1] / "helm" / "db-access-bot" / "values.schema.json"
CATALOG_ID = "catalog.schema.json"


def embedded_catalog_schema() -> dict[str, Any]:
    """The catalog schema as the chart embeds it: its own resource, found by $id."""
    schema = dict(catalog_json_schema())
    schema.pop("$schema", None)
    return {"$id": CATALOG_ID, **schema}


def with_catalog(values_schema: dict[str, Any]) -> dict[str, Any]:
    """values_schema with its catalog definition replaced by the current catalog schema."""
    updated = dict(values_schema)
    updated["$defs"] = {**values_schema.get("$defs", {}), "catalog": embedded_catalog_schema()}
    return updated


def main() -> None:
    """Rewrite the chart's values.schema.json in place."""
    current = json.loads(SCHEMA.read_text())
    SCHEMA.write_text(json.dumps(with_catalog(current), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {SCHEMA}")


if __name__ == "__main__":
    main()
