"""The catalog: which databases exist, who may ask, who approves; loaded and validated once."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import yaml

from bot.domain import Engine, Level
from bot.errors import CatalogError


@dataclass(frozen=True)
class LevelSpec:
    """One access level of a database: the SQL grants it carries and its approval rule."""

    name: Level
    grants: tuple[str, ...]
    approvals: int = 1
    standing: bool = False


@dataclass(frozen=True)
class AdminSpec:
    """How the bot logs in as the database admin: a Secrets Manager secret or an IAM user."""

    secret_arn: str | None = None
    iam_user: str | None = None


@dataclass(frozen=True)
class DatabaseSpec:
    """A database users can request access to."""

    name: str
    account_id: str
    region: str
    engine: Engine
    host: str
    port: int
    dbname: str
    levels: Mapping[Level, LevelSpec]
    durations: tuple[timedelta, ...]
    approvers: tuple[str, ...]
    approvals_channel: str
    description: str = ""
    instance_id: str | None = None
    cluster_id: str | None = None
    resource_id: str | None = None
    requesters: tuple[str, ...] | None = None
    auto_approve: frozenset[Level] = frozenset()
    admin: AdminSpec | None = None
    terminate_sessions: bool = False

    @property
    def max_duration(self) -> timedelta:
        """The longest duration anyone may ask for on this database."""
        return max(self.durations)


@dataclass(frozen=True)
class IdentitySpec:
    """Templates that turn a Slack user's handle into an IAM principal and a database user."""

    principal: str
    db_user: str
    overrides: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountSpec:
    """An AWS account; IAM calls there may go through a role the bot assumes."""

    account_id: str
    manage_role_arn: str | None = None


@dataclass(frozen=True)
class Catalog:
    """The whole validated catalog."""

    approvals_channel: str
    admins: tuple[str, ...]
    approval_timeout: timedelta
    identity: IdentitySpec
    databases: Mapping[str, DatabaseSpec]
    accounts: Mapping[str, AccountSpec] = field(default_factory=dict)
    unused_after: timedelta = timedelta(days=90)

    def database(self, name: str) -> DatabaseSpec | None:
        """The database called name, or None."""
        return self.databases.get(name)

    def account(self, account_id: str) -> AccountSpec:
        """The account settings for account_id (defaults when the catalog names none)."""
        return self.accounts.get(account_id) or AccountSpec(account_id=account_id)


def load_catalog(path: str | Path) -> Catalog:
    """Read and validate the catalog at path; raise CatalogError listing every problem."""
    from bot.catalog_schema import parse_catalog

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
