"""TokenMinter on AWS: IAM auth tokens signed as the user's own role, so they carry the grant."""

import asyncio
import re
import shlex
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.catalog.database import DatabaseSpec
from bot.catalog.model import Catalog
from bot.domain import CredentialKind, DbCredential, GrantTarget
from bot.errors import AwsError
from providers.aws_policy import PrincipalKind, parse_principal
from providers.aws_session import AwsClients, aws_error

TOKEN_LIFETIME = timedelta(minutes=15)
SESSION_SECONDS = 900
_UNSAFE = re.compile(r"[^\w+=,.@-]", re.ASCII)


def session_name(handle: str) -> str:
    """A valid RoleSessionName for handle: charset [\\w+=,.@-], 2 to 64 characters."""
    name = _UNSAFE.sub("-", handle)[:64]
    return name if len(name) >= 2 else f"db-access-{name}"


def source_identity(email: str) -> str:
    """A valid SourceIdentity for email (same charset and length rules as a session name)."""
    return session_name(email)


def assume_role_args(target: GrantTarget) -> dict[str, Any]:
    """The AssumeRole parameters that make CloudTrail name the person behind a token."""
    return {
        "RoleArn": target.principal_arn,
        "RoleSessionName": session_name(target.handle),
        "SourceIdentity": source_identity(target.email),
        "Tags": [
            {"Key": "slack_user", "Value": target.user_id},
            {"Key": "grant_id", "Value": target.grant_id},
        ],
        "DurationSeconds": SESSION_SECONDS,
    }


def token_command(database: DatabaseSpec, *, db_user: str) -> str:
    """The AWS CLI command an IAM user runs to make their own token."""
    return (
        "aws rds generate-db-auth-token"
        f" --hostname {shlex.quote(database.host)} --port {database.port}"
        f" --region {shlex.quote(database.region)} --username {shlex.quote(db_user)}"
    )


class AwsTokenMinter:
    """Assumes the user's role (bot credentials) and presigns an `rds-db:connect` token."""

    def __init__(self, catalog: Catalog, *, clients: AwsClients | None = None) -> None:
        self._catalog = catalog
        self._clients = clients or AwsClients(catalog)

    async def mint(self, database: DatabaseSpec, target: GrantTarget) -> DbCredential:
        """A 15-minute IAM auth token (role) or the command to make one (IAM user)."""
        now = datetime.now(UTC)
        try:
            kind = parse_principal(target.principal_arn).kind
        except ValueError:
            raise AwsError(
                f"{target.principal_arn!r} (database {database.name}) is not an IAM "
                "role or user ARN; fix identity.principal in the catalog"
            ) from None
        if kind is PrincipalKind.USER:
            return DbCredential(
                CredentialKind.COMMAND,
                token_command(database, db_user=target.db_user),
                _until(now + TOKEN_LIFETIME, target.expires_at),
            )
        token, session_end = await asyncio.to_thread(self._token_as_role, database, target)
        return DbCredential(
            CredentialKind.TOKEN,
            token,
            _until(now + TOKEN_LIFETIME, session_end, target.expires_at),
        )

    def _token_as_role(
        self, database: DatabaseSpec, target: GrantTarget
    ) -> tuple[str, datetime | None]:
        sts = self._clients.sts(database.region)
        try:
            creds = sts.assume_role(**assume_role_args(target))["Credentials"]
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(
                exc,
                action="assume the user's role to sign a token",
                subject=f"{target.principal_arn} (database {database.name})",
                fix="The role's trust policy must allow the bot's role sts:AssumeRole, "
                "sts:SetSourceIdentity and sts:TagSession",
            ) from None
        try:
            rds = self._clients.rds_with(
                database.region,
                access_key=creds["AccessKeyId"],
                secret_key=creds["SecretAccessKey"],
                token=creds["SessionToken"],
            )
            token = rds.generate_db_auth_token(
                DBHostname=database.host,
                Port=database.port,
                DBUsername=target.db_user,
                Region=database.region,
            )
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(
                exc, action="sign an IAM auth token", subject=f"database {database.name}"
            ) from None
        expiry = creds.get("Expiration")
        return token, expiry if isinstance(expiry, datetime) else None


def _until(*moments: datetime | None) -> datetime:
    """The earliest of the given times (ignoring None)."""
    return min(m for m in moments if m is not None)
