"""Catalog sections for approval rules beyond approvers: break-glass, quotas, on-call, warnings.

Each is a frozen model whose every key is one annotated line with a description (the JSON Schema
is generated from them); `DatabaseSpec` checks that the levels they name are its own.
"""

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainValidator,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from bot.catalog.fields import Approvals as Count
from bot.catalog.fields import Duration, LevelName, SlackMember
from bot.catalog.shapes import AsList, kind, problem, problems_at
from bot.domain import Level

SLACK_IDS = "a list of Slack user ids (U…) or user-group ids (S…)"
WARNING_LIMIT = 300  # Slack's confirm dialog shows at most 300 characters of text
SCHEDULE_ID = r"^[A-Z0-9]{5,20}$"


class RuleSection(BaseModel):
    """A rule section: immutable, and every key it does not declare is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _warning(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise problem(f"must be non-empty text, not {kind(value)}")
    text = value.strip()
    if len(text) > WARNING_LIMIT:
        raise problem(
            f"is {len(text)} characters; keep it under {WARNING_LIMIT} (it is shown "
            "in Slack's confirm dialog, which holds no more)"
        )
    return text


def _schedule(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise problem(f"must be a PagerDuty schedule id, not {kind(value)}")
    if not re.match(SCHEDULE_ID, value):
        raise problem(
            f"{value!r} is not a PagerDuty schedule id (e.g. PABC123: the last part "
            "of the schedule's URL)"
        )
    return value


WarningText = Annotated[
    str,
    PlainValidator(_warning),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": WARNING_LIMIT}),
]
ScheduleId = Annotated[
    str,
    PlainValidator(_schedule),
    WithJsonSchema({"type": "string", "pattern": SCHEDULE_ID}),
]
Levels = Annotated[
    tuple[LevelName, ...],
    AsList("a list of levels, e.g. [rw]", at_least_one="must list at least one level (ro or rw)"),
]


class BreakglassSpec(RuleSection):
    """Who may take access at once, without approval, and how it is reviewed afterwards."""

    users: Annotated[
        tuple[SlackMember, ...],
        AsList(SLACK_IDS, at_least_one="must name at least one user or user group"),
    ] = Field(description="user or user-group ids who may break the glass")
    levels: Levels = Field(description="the levels break-glass may take, e.g. [rw]")
    max_duration: Duration = Field(
        default=timedelta(hours=1),
        json_schema_extra={"default": "1h"},
        description="the longest break-glass access (default 1h)",
    )
    review_within: Duration = Field(
        default=timedelta(hours=24),
        json_schema_extra={"default": "24h"},
        description="unreviewed break-glass is re-posted to the admins after this (default 24h)",
    )


class QuotaSpec(RuleSection):
    """How many auto-approvals of one level a person gets within a sliding window."""

    max: Count = Field(
        description="auto-approvals per person in the window; past it, approvers decide",
    )
    per: Duration = Field(description="the sliding window, e.g. 7d")


class OnCallSpec(RuleSection):
    """Auto-approval for whoever is on call in a PagerDuty schedule at request time."""

    pagerduty_schedule: ScheduleId = Field(
        description="PagerDuty schedule id (e.g. PABC123); its on-call people are auto-approved"
    )
    levels: Levels = Field(description="the levels on-call people get without approval")
    max_duration: Duration | None = Field(
        default=None,
        description="the longest on-call auto-approval (default: the database's longest)",
    )


@dataclass(frozen=True)
class AutoApproveShape:
    """`auto_approve` as a list of levels (unlimited) or a mapping of level to a quota."""

    def _prepare(self, value: Any) -> Any:
        if value is None:
            return {}
        if isinstance(value, dict):
            return value
        if not isinstance(value, list | tuple | set | frozenset):
            raise problem(
                "must be a list of levels (e.g. [ro]) or a mapping of level to a "
                f"quota (e.g. {{ro: {{max: 3, per: 7d}}}}), not {kind(value)}"
            )
        found = [
            ((i,), f"{item!r} is not a level (use ro or rw)", item)
            for i, item in enumerate(value)
            if item not in {lv.value for lv in Level}
        ]
        if found:
            raise problems_at("auto_approve", found)
        return dict.fromkeys(value)

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_before_validator_function(self._prepare, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        as_mapping = handler(schema)
        as_list = {
            "type": "array",
            "items": {"enum": [lv.value for lv in Level]},
            "uniqueItems": True,
        }
        # The mapping first: the catalog's error wording follows the first non-null branch.
        return {"anyOf": [as_mapping, as_list]}


AutoApprove = Annotated[dict[LevelName, QuotaSpec | None], AutoApproveShape()]


def levels_offered(
    offered: Any, named: list[tuple[tuple[str | int, ...], Any]], title: str
) -> None:
    """Raise key-path errors for every named level (path, level) the database does not offer."""
    levels = ", ".join(sorted(offered)) or "none"
    found = [
        (path, f"{item!r} is not a level of this database (its levels: {levels})", item)
        for path, item in named
        if item not in offered
    ]
    if found:
        raise problems_at(title, found)


def never_ending(offered: Any, named: list[tuple[tuple[str | int, ...], Any]], title: str) -> None:
    """Raise key-path errors for named levels that are standing: break-glass must end."""
    found = [
        (
            path,
            f"{item!r} is a standing level (no end); break-glass access must end, so "
            "name a level without standing",
            item,
        )
        for path, item in named
        if item in offered and offered[item].standing
    ]
    if found:
        raise problems_at(title, found)
