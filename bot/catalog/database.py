"""The catalog's database section: a database, its access levels and its admin login."""

from datetime import timedelta
from typing import Annotated, Any

from pydantic import (
    ConfigDict,
    Field,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from bot.catalog.fields import (
    AccountId,
    Approvals,
    ChannelId,
    DatabaseName,
    Description,
    Duration,
    EngineName,
    Flag,
    LevelName,
    Port,
    Region,
    ResourceId,
    SecretArn,
    SlackMember,
    SqlName,
    StatementLogName,
    Text,
)
from bot.catalog.rules import (
    SLACK_IDS,
    AutoApprove,
    BreakglassSpec,
    OnCallSpec,
    WarningText,
    levels_offered,
    never_ending,
)
from bot.catalog.shapes import (
    FILLED_BY_KEY,
    AsList,
    AsMapping,
    Section,
    problem,
    problems_at,
    quiet_default,
)
from bot.domain import Engine, StatementLog


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
        json_schema_extra=quiet_default,
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
            why = (
                "cannot be done on MySQL: it has no per-user statement log (use none; "
                "README: Statements on record lists what RDS offers)"
            )
        elif self.admin is None:
            why = (
                "needs an admin for this database: the bot sets the user's logging "
                "through the admin login (add admin, or use none)"
            )
        else:
            return self
        found = [
            (
                ("levels", str(name), "log_statements"),
                f"{spec.log_statements.value!r} {why}",
                spec.log_statements.value,
            )
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
