"""Validate raw catalog data into a Catalog, and publish the catalog's JSON Schema.

Every validation error becomes one line `key.path[index]: problem (fix)`; all are reported at once.
"""

import difflib
from functools import cache
from typing import Any

from pydantic import ValidationError
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import ErrorDetails, core_schema

from bot.catalog.model import Catalog
from bot.catalog.shapes import FROM_FILE, kind
from bot.errors import CatalogError

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_MAPPING_ERRORS = {"model_type", "model_attributes_type", "dict_type"}
_LIST_ERRORS = {"list_type", "tuple_type", "set_type", "frozen_set_type"}
# Required keys whose absence deserves more than "is required".
_MISSING_HINTS = {
    "permissions_boundary": "every role the bot creates gets this permissions boundary, a "
    "managed policy allowing only rds-db:connect (`db-access-bot iam-policy --boundary` "
    "prints one); the bot never creates a role without it",
}


def parse_catalog(data: Any) -> Catalog:
    """Validate data loaded from YAML; raise CatalogError with every problem found."""
    if data is None:
        raise CatalogError(["the catalog is empty (start from catalog.example.yaml)"])
    try:
        return Catalog.model_validate(data, context=FROM_FILE)
    except ValidationError as exc:
        raise CatalogError([_describe(error) for error in exc.errors()]) from None


class _Schema(GenerateJsonSchema):
    """Pydantic's generator without the per-key titles, which only repeat the key."""

    schema_dialect = DIALECT

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def dict_schema(self, schema: core_schema.DictSchema) -> JsonSchemaValue:
        # Pydantic turns a key pattern into patternProperties, which lets other keys through;
        # the catalog wants every key checked, so keys go to propertyNames.
        described: JsonSchemaValue = {"type": "object"}
        if "values_schema" in schema:
            described["additionalProperties"] = self.generate_inner(schema["values_schema"])
        if "keys_schema" in schema:
            keys = {
                k: v for k, v in self.generate_inner(schema["keys_schema"]).items() if k != "title"
            }
            if keys:
                described["propertyNames"] = keys
        self.update_with_validations(described, schema, self.ValidationsMapping.object)
        return described


@cache
def catalog_json_schema() -> JsonSchemaValue:
    """The JSON Schema (draft 2020-12) of a catalog file, generated from the models."""
    schema = Catalog.model_json_schema(schema_generator=_Schema)
    return {"$schema": DIALECT, **schema}


def _describe(error: ErrorDetails) -> str:
    loc = tuple(part for part in error["loc"] if part != "[key]")
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return f"{path.lstrip('.')}: {_message(error, loc)}" if path else _message(error, loc)


def _message(error: ErrorDetails, loc: tuple[str | int, ...]) -> str:
    kind_of, value = error["type"], error.get("input")
    if kind_of == "catalog":
        return error["msg"]
    if kind_of == "missing":
        hint = _MISSING_HINTS.get(str(loc[-1])) if loc else None
        return f"is required: {hint}" if hint else "is required"
    if kind_of == "extra_forbidden":
        return _unknown_key(str(loc[-1]), _allowed_keys(loc[:-1]))
    if kind_of in _MAPPING_ERRORS:
        if not loc:
            return f"the catalog must be a mapping of keys to values, not {kind(value)}"
        return f"must be a mapping, not {kind(value)}"
    if kind_of in _LIST_ERRORS:
        return f"must be a list, not {kind(value)}"
    return f"{value!r}: {error['msg']}"


def _unknown_key(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return f"unknown key ({hint}allowed: {', '.join(allowed)})"


def _allowed_keys(loc: tuple[str | int, ...]) -> list[str]:
    """The keys the schema allows in the mapping at loc."""
    schema = catalog_json_schema()
    node = _resolve(schema, schema)
    for part in loc:
        if isinstance(part, int):
            node = node.get("items", {})
        else:
            node = node.get("properties", {}).get(part, node.get("additionalProperties", {}))
        node = _resolve(schema, node)
    return sorted(node.get("properties", {}))


def _resolve(schema: JsonSchemaValue, node: Any) -> dict[str, Any]:
    """node with its $ref followed and a nullable `anyOf` reduced to its non-null branch."""
    if not isinstance(node, dict):
        return {}
    for choice in node.get("anyOf", []):
        if choice.get("type") != "null":
            node = choice
            break
    ref = node.get("$ref", "")
    if ref.startswith("#/$defs/"):
        node = schema["$defs"][ref.removeprefix("#/$defs/")]
    return node
