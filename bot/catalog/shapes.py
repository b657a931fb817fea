"""The catalog's shapes: sections, lists and mappings read from YAML, keys that name them."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, PydanticKnownError, core_schema

# parse_catalog validates with this context: key-derived fields then come from mapping keys only.
FROM_FILE = {"source": "catalog file"}


class Section(BaseModel):
    """A catalog section: immutable, and every key it does not declare is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def quiet_default(schema: dict[str, Any]) -> None:
    """Drop a field's schema default whose empty value means "inherited", not "empty"."""
    # The empty default means "the catalog's channel" or "every domain"; shown, it would mislead.
    schema.pop("default", None)


def problem(message: str) -> PydanticCustomError:
    """A validation error whose message is shown as written, after the key path."""
    return PydanticCustomError("catalog", "{message}", {"message": message})


def kind(value: Any) -> str:
    """How a YAML value looks to the person who wrote it."""
    names = {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a number",
    }
    return "nothing" if value is None else names.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class AsList:
    """Marks a tuple field read from a YAML list; `what` and `at_least_one` word its errors."""

    what: str
    at_least_one: str | None = None
    null_is_empty: bool = False

    def _prepare(self, value: Any) -> Any:
        if value is None and self.null_is_empty:
            return []
        if not isinstance(value, list | tuple | set | frozenset):
            raise problem(f"must be {self.what}, not {kind(value)}")
        if not value and self.at_least_one:
            raise problem(self.at_least_one)
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_before_validator_function(self._prepare, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        described = handler(schema)
        return {**described, "minItems": 1} if self.at_least_one else described


class FromKey:
    """A mapping key on its way to the field it fills (a database's name, a level's level)."""

    def __init__(self, key: str) -> None:
        self.key = key


@dataclass(frozen=True)
class AsMapping:
    """Marks a dict field read from a YAML mapping; key_field is the value's field the key fills."""

    what: str
    at_least_one: str | None = None
    key_field: str | None = None
    null_is_empty: bool = False

    def _prepare(self, raw: Any) -> Any:
        if raw is None and self.null_is_empty:
            return {}
        if not isinstance(raw, dict):
            raise problem(f"must be {self.what}, not {kind(raw)}")
        if not raw and self.at_least_one:
            raise problem(self.at_least_one)
        prepared = {}
        for key, body in raw.items():
            if body is None and self.null_is_empty:
                body = {}
            if self.key_field and isinstance(body, dict) and self.key_field not in body:
                body = {**body, self.key_field: FromKey(str(key))}
            prepared[str(key)] = body  # YAML keys may be numbers; paths and names are text
        return prepared

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_before_validator_function(self._prepare, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        described = handler(schema)
        return {**described, "minProperties": 1} if self.at_least_one else described


def _from_key(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    if isinstance(value, FromKey):
        try:
            return handler(value.key)
        except ValidationError:
            return value.key  # the mapping reports its bad key once, under the key's own path
    if info.context is FROM_FILE:
        raise PydanticKnownError("extra_forbidden")  # in a file the mapping key says it
    return handler(value)


def problems_at(
    title: str, found: Sequence[tuple[tuple[str | int, ...], str, Any]]
) -> ValidationError:
    """Several problems at paths relative to the value being validated (loc, message, input)."""
    return ValidationError.from_exception_data(
        title,
        [{"type": problem(message), "loc": loc, "input": value} for loc, message, value in found],
    )


@dataclass(frozen=True)
class Through:
    """Validates a value as model but keeps it as a plain mapping of the keys that were set."""

    model: type[BaseModel]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(
            lambda valid: valid.model_dump(exclude_none=True), handler.generate_schema(self.model)
        )


# Marks a field a catalog file fills from its mapping key; Python passes it like any other.
FILLED_BY_KEY = WrapValidator(_from_key)
