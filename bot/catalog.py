"""The catalog: which databases exist, who may ask, who approves; loaded and validated once.

Each section is one frozen pydantic model, so a new key is one annotated line (plus a validator
when it depends on another key). The value types and their messages are in catalog_fields.py,
lists and mappings in catalog_shapes.py; catalog_schema.py words the errors and the JSON Schema.
"""

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from bot.catalog_fields import (
    AccountId,
    AccountKey,
    Approvals,
    ChannelId,
    DatabaseName,
    Description,
    Duration,
    EmailKey,
    EngineName,
    Flag,
    IamPath,
    LevelName,
    PolicyArnTemplate,
    Port,
    PrincipalTemplate,
    Region,
    ResourceId,
    RoleArn,
    SecretArn,
    SlackMember,
    SqlName,
    StatementLogName,
    TagKey,
    TagValue,
    Template,
    Text,
    TrustPrincipal,
)
from bot.catalog_rules import (
    AutoApprove,
    BreakglassSpec,
    OnCallSpec,
    WarningText,
    levels_offered,
    never_ending,
)
from bot.catalog_shapes import (
    FILLED_BY_KEY,
    AsList,
    AsMapping,
    Through,
    problem,
    problems_at,
)
from bot.domain import Engine, StatementLog
from bot.errors import CatalogError
from bot.identity_templates import EmailDomains, identity_problems

SLACK_IDS = "a list of Slack user ids (U…) or user-group ids (S…)"


class Section(BaseModel):
    """A catalog section: immutable, and every key it does not declare is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LevelSpec(Section):
    """One access level of a database: the SQL grants it carries and its approval rule."""

    name: Annotated[LevelName, FILLED_BY_KEY, SkipJsonSchema()]
    grants: Annotated[tuple[Text, ...], AsList("a list of role names or privileges")] = Field(
        description="PostgreSQL roles or MySQL privileges (SELECT, 'INSERT, UPDATE', …) "
        "the level carries"
    )
    approvals: Approvals = Field(
        default=1, description="approvals needed (default 1); the requester never counts"
    )
    standing: Flag = Field(
        default=False, description="no fixed end; revoked after unused_after without use"
    )
    log_statements: StatementLogName = Field(
        default=StatementLog.NONE,
        description="statements of this level's users the database logs: none, ddl, mod "
        "(ddl + data changes) or all (PostgreSQL only)",
    )


class AdminSpec(Section):
    """How the bot logs in as the database admin: a Secrets Manager secret or an IAM user."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["secret_arn"]}, {"required": ["iam_user"]}]}
    )

    secret_arn: SecretArn | None = Field(
        default=None, description="Secrets Manager secret holding JSON with username/password"
    )
    iam_user: SqlName | None = Field(
        default=None, description="database user the bot logs in as with IAM authentication"
    )

    @model_validator(mode="after")
    def _one_login(self) -> "AdminSpec":
        if bool(self.secret_arn) == bool(self.iam_user):
            raise problem("give exactly one of secret_arn or iam_user")
        return self


def _quiet_default(schema: dict[str, Any]) -> None:
    # The empty default means "the catalog's channel"; as a schema default it would mislead.
    schema.pop("default", None)


class DatabaseSpec(Section):
    """A database users can request access to."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [{"required": [key]} for key in ("instance_id", "cluster_id", "resource_id")],
            "not": {"required": ["instance_id", "cluster_id"]},
        }
    )

    name: Annotated[DatabaseName, FILLED_BY_KEY, SkipJsonSchema()]
    description: Description = Field(default="", description="shown in the request form")
    account_id: AccountId = Field(
        description="12-digit AWS account id of the database (quote it in YAML)"
    )
    region: Region = Field(description="AWS region, e.g. eu-west-1")
    engine: EngineName = Field(description="postgres or mysql (Aurora uses the same two)")
    host: Text = Field(description="host name users connect to")
    port: Port = Field(description="TCP port users connect to")
    dbname: Text = Field(description="database name users connect to")
    instance_id: Text | None = Field(
        default=None, description="RDS instance identifier, to look up its resource id"
    )
    cluster_id: Text | None = Field(
        default=None, description="Aurora cluster identifier, to look up its resource id"
    )
    resource_id: ResourceId | None = Field(
        default=None, description="RDS resource id (db-… or cluster-…); skips the lookup"
    )
    levels: Annotated[
        dict[LevelName, LevelSpec],
        AsMapping(
            "a mapping of level (ro or rw) to {grants: […]}",
            at_least_one="must map at least one level (ro or rw) to {grants: […]}",
            key_field="name",
        ),
    ] = Field(description="the levels offered: ro, rw or both")
    durations: Annotated[
        tuple[Duration, ...],
        AsList(
            "a list of durations",
            at_least_one="must list at least one duration (e.g. [15m, 1h, 8h])",
        ),
    ] = Field(description="the durations users may pick; the longest is the maximum")
    approvers: Annotated[
        tuple[SlackMember, ...], AsList(SLACK_IDS, at_least_one="must name at least one approver")
    ] = Field(description="user or user-group ids who may decide")
    requesters: Annotated[tuple[SlackMember, ...], AsList(SLACK_IDS)] | None = Field(
        default=None, description="who may ask (default: anyone in the workspace)"
    )
    approvals_channel: ChannelId = Field(
        default="",
        json_schema_extra=_quiet_default,
        description="channel id for this database's approval cards (default: the catalog's)",
    )
    auto_approve: AutoApprove = Field(
        default_factory=dict,
        description="levels granted without approval: a list ([ro], unlimited) or a mapping "
        "of level to a quota ({ro: {max: 3, per: 7d}})",
    )
    warning: WarningText | None = Field(
        default=None,
        description="shown on the request form, the card and the approver's confirm dialog",
    )
    breakglass: BreakglassSpec | None = Field(
        default=None, description="who may take access at once, without approval (reviewed after)"
    )
    on_call: OnCallSpec | None = Field(
        default=None, description="auto-approval for whoever is on call in a PagerDuty schedule"
    )
    admin: AdminSpec | None = Field(
        default=None, description="how the bot logs in to create database users"
    )
    terminate_sessions: Flag = Field(
        default=False, description="end the user's open sessions at revoke"
    )
    verify_login: Flag = Field(
        default=True,
        description="log in with each new token before saying it is ready (false where the "
        "bot cannot reach the database)",
    )

    @field_validator("auto_approve", "breakglass", "on_call", mode="wrap")
    @classmethod
    def _offered_levels_only(
        cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Any:
        valid = handler(value)
        if "levels" not in info.data or valid is None:
            return valid  # the levels are wrong themselves; that is reported already
        if info.field_name == "auto_approve":
            named: list[tuple[tuple[str | int, ...], Any]] = (
                [((i,), item) for i, item in enumerate(value)]
                if isinstance(value, list | tuple)
                else [((level.value,), level.value) for level in valid]
            )
        else:
            named = [(("levels", i), level.value) for i, level in enumerate(valid.levels)]
        levels_offered(info.data["levels"], named, cls.__name__)
        if info.field_name == "breakglass":
            never_ending(info.data["levels"], named, cls.__name__)
        return valid

    @model_validator(mode="after")
    def _statement_logs_supported(self) -> "DatabaseSpec":
        if self.engine == Engine.MYSQL:
            why = ("cannot be done on MySQL: it has no per-user statement log (use none; "
                   "README: Statements on record lists what RDS offers)")
        elif self.admin is None:
            why = ("needs an admin for this database: the bot sets the user's logging "
                   "through the admin login (add admin, or use none)")
        else:
            return self
        found = [
            (("levels", str(name), "log_statements"), f"{spec.log_statements.value!r} {why}",
             spec.log_statements.value)
            for name, spec in self.levels.items()
            if spec.log_statements != StatementLog.NONE
        ]
        if found:
            raise problems_at(type(self).__name__, found)
        return self

    @model_validator(mode="after")
    def _findable(self) -> "DatabaseSpec":
        if self.instance_id and self.cluster_id:
            raise problem("give instance_id or cluster_id, not both")
        if not (self.instance_id or self.cluster_id or self.resource_id):
            raise problem(
                "needs instance_id, cluster_id or resource_id to find the RDS resource id"
            )
        return self

    @property
    def max_duration(self) -> timedelta:
        """The longest duration anyone may ask for on this database."""
        return max(self.durations)

    @property
    def on_call_max_duration(self) -> timedelta:
        """The longest request an on-call person gets without approval."""
        return (self.on_call and self.on_call.max_duration) or self.max_duration


class IdentityOverride(Section):
    """Names for one person that the templates would get wrong."""

    handle: SqlName | None = Field(default=None, description="replaces the derived {handle}")
    principal: PrincipalTemplate | None = Field(
        default=None, description="replaces identity.principal for this person"
    )
    db_user: Template | None = Field(
        default=None, description="replaces identity.db_user for this person"
    )


class ProvisionSpec(Section):
    """Per-user IAM roles the bot creates on a person's first grant and deletes when unused."""

    path: IamPath = Field(
        default="/db-access/",
        description="IAM path of the roles the bot creates (default /db-access/); "
        "identity.principal must use it",
    )
    permissions_boundary: PolicyArnTemplate = Field(
        description="managed policy set as every created role's permissions boundary; it "
        "should allow only rds-db:connect ({account_id} allowed)"
    )
    trust: Annotated[
        tuple[TrustPrincipal, ...], AsList("a list of principal ARNs", null_is_empty=True)
    ] = Field(
        default=(),
        description="who may assume the roles besides the bot, e.g. an SSO permission-set "
        "role; {account_id} and {handle} allowed, * patterns match aws:PrincipalArn",
    )
    tags: Annotated[
        dict[TagKey, TagValue], AsMapping("a mapping of tag key to value", null_is_empty=True)
    ] = Field(default_factory=dict, description="extra tags on every role the bot creates")

    @field_validator("tags", mode="after")
    @classmethod
    def _room_for_ours(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > 47:
            raise problem("at most 47 tags: IAM allows 50 per role and the bot sets three")
        return value


class IdentitySpec(Section):
    """Templates that turn a Slack user's handle into an IAM principal and a database user."""

    principal: PrincipalTemplate = Field(
        description="IAM role or user ARN template; placeholders {account_id}, {handle}, {level}"
    )
    db_user: Template = Field(
        description="database user template, e.g. {handle}_{level}; "
        "must give ^[a-z_][a-z0-9_]{0,62}$"
    )
    overrides: Annotated[
        dict[EmailKey, Annotated[dict[str, str], Through(IdentityOverride)]],
        AsMapping("a mapping of email to {handle: …}", null_is_empty=True),
    ] = Field(default_factory=dict, description="per email: {handle: …} (also principal, db_user)")
    email_domains: EmailDomains = Field(
        default=(),
        json_schema_extra=_quiet_default,  # absent means every domain; [] is not allowed
        description="the email domains that are mapped to AWS roles, e.g. [example.com]; "
        "leave out to map every domain (check warns)",
    )
    provision: ProvisionSpec | None = Field(
        default=None,
        description="create each person's IAM role on first use: {path, permissions_boundary, "
        "trust, tags}",
    )

    @model_validator(mode="after")
    def _principal_under_the_path(self) -> "IdentitySpec":
        if self.provision is None:
            return self
        path = self.provision.path
        _, role, rest = self.principal.partition(":role/")
        if not role or "/" + rest[: rest.rfind("/") + 1] != path:
            raise problems_at(type(self).__name__, [(
                ("principal",),
                f"{self.principal!r} must be a role under identity.provision.path {path} "
                f"(e.g. arn:aws:iam::{{account_id}}:role{path}DatabasesRole_{{handle}})",
                self.principal,
            )])
        return self


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
