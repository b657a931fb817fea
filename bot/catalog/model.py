"""The catalog: which databases exist, who may ask, who approves; loaded and validated once.

Each section is one frozen pydantic model, so a new key is one annotated line (plus a validator
when it depends on another key). Databases are in catalog_database.py, identity in
catalog_identity.py, the value types and their messages in catalog_fields.py, lists and mappings
in catalog_shapes.py; catalog_schema.py words the errors and the JSON Schema.
"""

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from bot.catalog.database import DatabaseSpec
from bot.catalog.fields import (
    AccountId,
    AccountKey,
    ChannelId,
    DatabaseName,
    Duration,
    RoleArn,
    SlackMember,
)
from bot.catalog.identity import IdentitySpec
from bot.catalog.identity_templates import identity_problems
from bot.catalog.rules import SLACK_IDS
from bot.catalog.shapes import FILLED_BY_KEY, AsList, AsMapping, Section, problems_at
from bot.errors import CatalogError


class AccountSpec(Section):
    """An AWS account; IAM calls there may go through a role the bot assumes."""

    account_id: Annotated[AccountId, FILLED_BY_KEY, SkipJsonSchema()]
    manage_role_arn: RoleArn | None = Field(
        default=None, description="IAM in that account goes through this role (cross-account)"
    )


class Catalog(Section):
    """The db-access-bot catalog: which databases exist, who may ask and who approves."""

    model_config = ConfigDict(title="db-access-bot catalog")

    approvals_channel: ChannelId = Field(
        description="default channel id (C…/G…) for approval cards"
    )
    admins: Annotated[tuple[SlackMember, ...], AsList(SLACK_IDS)] = Field(
        default=(),
        description="user (U…) or user-group (S…) ids who may revoke anything and read the audit",
    )
    approval_timeout: Duration = Field(
        default=timedelta(minutes=30),
        json_schema_extra={"default": "30m"},
        description="pending requests expire after this (default 30m); approvers are reminded "
        "at half",
    )
    unused_after: Duration = Field(
        default=timedelta(days=90),
        json_schema_extra={"default": "90d"},
        description="standing grants with no token issue for this long are revoked (default 90d)",
    )
    max_start_ahead: Duration = Field(
        default=timedelta(days=7),
        json_schema_extra={"default": "7d"},
        description="how far ahead a request may ask to start (`--at`, the form's start; "
        "default 7d)",
    )
    identity: IdentitySpec = Field(
        description="how a Slack user becomes an IAM principal and a database user"
    )
    accounts: Annotated[
        dict[AccountKey, AccountSpec],
        AsMapping(
            "a mapping of 12-digit account id to settings",
            key_field="account_id",
            null_is_empty=True,
        ),
    ] = Field(default_factory=dict, description="per AWS account (12 digits, quoted): settings")
    databases: Annotated[
        dict[DatabaseName, DatabaseSpec],
        AsMapping(
            "a mapping of database name to its settings",
            key_field="name",
            at_least_one="must map at least one database name to its settings",
        ),
    ] = Field(description="the databases users may ask for, by name")

    @field_validator("databases", mode="after")
    @classmethod
    def _default_channel(
        cls, value: dict[str, DatabaseSpec], info: ValidationInfo
    ) -> dict[str, DatabaseSpec]:
        channel = info.data.get("approvals_channel", "")
        return {
            name: db
            if db.approvals_channel
            else db.model_copy(update={"approvals_channel": channel})
            for name, db in value.items()
        }

    @model_validator(mode="after")
    def _identity_rules(self) -> "Catalog":
        # Templates are judged against the databases: a db_user without {level} is fine only
        # where every level grants the same.
        found = identity_problems(self.identity, self.databases)
        if found:
            raise problems_at(type(self).__name__, found)
        return self

    def database(self, name: str) -> DatabaseSpec | None:
        """The database called name, or None."""
        return self.databases.get(name)

    def account(self, account_id: str) -> AccountSpec:
        """The account settings for account_id (defaults when the catalog names none)."""
        return self.accounts.get(account_id) or AccountSpec.model_construct(account_id=account_id)


def load_catalog(path: str | Path) -> Catalog:
    """Read and validate the catalog at path; raise CatalogError listing every problem."""
    from bot.catalog.schema import parse_catalog

    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogError(
            [f"{source}: file not found (set DB_ACCESS_CATALOG or copy catalog.example.yaml)"]
        ) from None
    except OSError as exc:
        raise CatalogError([f"{source}: cannot be read ({exc.strerror})"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise CatalogError([f"{source}: not valid YAML{where} (fix the syntax)"]) from None
    return parse_catalog(data)
