"""The catalog's identity section: templates, per-person overrides, provisioned IAM roles."""

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from bot.catalog.fields import EmailKey, PrincipalTemplate, SqlName, Template
from bot.catalog.fields_iam import IamPath, PolicyArnTemplate, TagKey, TagValue, TrustPrincipal
from bot.catalog.identity_templates import EmailDomains
from bot.catalog.shapes import (
    AsList,
    AsMapping,
    Section,
    Through,
    problem,
    problems_at,
    quiet_default,
)


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
        json_schema_extra=quiet_default,  # absent means every domain; [] is not allowed
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
            raise problems_at(
                type(self).__name__,
                [
                    (
                        ("principal",),
                        f"{self.principal!r} must be a role under identity.provision.path {path} "
                        f"(e.g. arn:aws:iam::{{account_id}}:role{path}DatabasesRole_{{handle}})",
                        self.principal,
                    )
                ],
            )
        return self
