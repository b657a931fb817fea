"""Block Kit elements the views share: plain text, options and the database picker."""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bot.asks import MAX_DATABASES
from bot.catalog.database import DatabaseSpec
from bot.catalog.model import Catalog
from bot.durations import format_duration

STATIC_OPTIONS_MAX = 100  # Slack's limit for a static_select; past it the form searches instead


def plain_text(text: str) -> dict[str, Any]:
    """A plain_text object (emoji on), cut to the 75 characters Slack allows in labels."""
    return {"type": "plain_text", "text": text[:75], "emoji": True}


def duration_text(seconds: int) -> str:
    """A duration in seconds as people write it (`8h`, `1d`)."""
    return format_duration(timedelta(seconds=seconds))


def option(text: str, value: str, description: str = "") -> dict[str, Any]:
    """A select option; the description shows under its text."""
    choice: dict[str, Any] = {"text": plain_text(text), "value": value}
    if description:
        choice["description"] = plain_text(description)
    return choice


def _database_option(database: DatabaseSpec) -> dict[str, Any]:
    return option(database.name, database.name, database.description)


def database_select(
    catalog: Catalog,
    selected: Sequence[DatabaseSpec],
    offered: Sequence[DatabaseSpec] | None = None,
) -> dict[str, Any]:
    """The offered databases (default: all) in a multi select; past 100, searched as typed."""
    offered = list(catalog.databases.values()) if offered is None else offered
    chosen = [_database_option(db) for db in selected]
    if len(offered) <= STATIC_OPTIONS_MAX:
        options = [_database_option(db) for db in offered]
        return {
            "type": "multi_static_select",
            "options": options,
            "initial_options": chosen,
            "max_selected_items": MAX_DATABASES,
        }
    return {
        "type": "multi_external_select",
        "min_query_length": 0,
        "initial_options": chosen,
        "max_selected_items": MAX_DATABASES,
        "placeholder": plain_text(f"Type to search {len(offered)} databases"),
    }


def database_options(
    catalog: Catalog, typed: str, offered: Sequence[DatabaseSpec] | None = None
) -> dict[str, Any]:
    """What the searching select offers (of offered; default all) for the typed text."""
    needle = typed.strip().lower()
    found = [
        db
        for db in (catalog.databases.values() if offered is None else offered)
        if needle in db.name.lower() or needle in db.description.lower()
    ]
    # Names that start with the text first: typing a prefix finds that database at the top.
    found.sort(key=lambda db: (not db.name.lower().startswith(needle), db.name))
    options = [_database_option(db) for db in found[:STATIC_OPTIONS_MAX]]
    if len(found) <= STATIC_OPTIONS_MAX:
        return {"options": options}
    label = f"First {STATIC_OPTIONS_MAX} of {len(found)} matches; type more to narrow"
    return {"option_groups": [{"label": plain_text(label), "options": options}]}
