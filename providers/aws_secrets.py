"""AdminSecrets on AWS: a Secrets Manager secret, or an IAM token for an admin database user."""

import asyncio
import json

from botocore.exceptions import BotoCoreError, ClientError

from bot.catalog.database import DatabaseSpec
from bot.catalog.model import Catalog
from bot.domain import AdminLogin
from bot.errors import AwsError
from providers.aws_session import AwsClients, aws_error, error_code, secret_location


class AwsAdminSecrets:
    """Reads admin logins; secret values never reach an error message."""

    def __init__(self, catalog: Catalog, *, clients: AwsClients | None = None) -> None:
        self._catalog = catalog
        self._clients = clients or AwsClients(catalog)

    async def admin_login(self, database: DatabaseSpec) -> AdminLogin:
        """Username and password (from Secrets Manager) or IAM token for the admin user."""
        admin = database.admin
        if admin is None or not (admin.secret_arn or admin.iam_user):
            raise AwsError(
                f"database {database.name} has no admin login in the catalog; add "
                "admin: {secret_arn: …} or admin: {iam_user: …}"
            )
        if admin.secret_arn:
            return await asyncio.to_thread(self._from_secret, database, admin.secret_arn)
        assert admin.iam_user is not None
        return await asyncio.to_thread(self._iam_token, database, admin.iam_user)

    def _from_secret(self, database: DatabaseSpec, secret_arn: str) -> AdminLogin:
        where = f"admin secret {secret_arn} of database {database.name}"
        try:
            account_id, region = secret_location(secret_arn)
        except ValueError:
            raise AwsError(f"{where} is not a Secrets Manager ARN; fix admin.secret_arn") from None
        client = self._clients.secretsmanager(account_id, region)
        try:
            response = client.get_secret_value(SecretId=secret_arn)
        except (ClientError, BotoCoreError) as exc:
            if error_code(exc) == "ResourceNotFoundException":
                raise AwsError(
                    f"{where} does not exist; fix admin.secret_arn in the catalog"
                ) from None
            raise aws_error(
                exc,
                action="read the admin secret",
                subject=where,
                fix="The bot needs secretsmanager:GetSecretValue on it (and "
                "kms:Decrypt on its key)",
            ) from None
        return parse_admin_secret(response.get("SecretString"), where=where)

    def _iam_token(self, database: DatabaseSpec, iam_user: str) -> AdminLogin:
        # The account's credentials: the bot's own, or its manage role in that account.
        rds = self._clients.rds(database.account_id, database.region)
        try:
            token = rds.generate_db_auth_token(
                DBHostname=database.host,
                Port=database.port,
                DBUsername=iam_user,
                Region=database.region,
            )
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(
                exc,
                action="sign an IAM auth token for the admin user",
                subject=f"database {database.name}",
            ) from None
        return AdminLogin(username=iam_user, password=token)


def parse_admin_secret(text: str | None, *, where: str) -> AdminLogin:
    """The username/password in a secret's JSON; errors describe the shape, never the value."""
    fix = 'store JSON like {"username": "…", "password": "…"}'
    if not text:
        raise AwsError(f"{where} has no SecretString (binary secrets are not supported); {fix}")
    try:
        data = json.loads(text)
    except ValueError:
        # The parser's message quotes the document; drop it entirely.
        raise AwsError(f"{where} is not JSON; {fix}") from None
    if not isinstance(data, dict):
        raise AwsError(f"{where} is JSON but not an object; {fix}")
    missing = [
        key
        for key in ("username", "password")
        if not isinstance(data.get(key), str) or not data.get(key)
    ]
    if missing:
        raise AwsError(f"{where} lacks {' and '.join(missing)}; {fix}")
    return AdminLogin(username=data["username"], password=data["password"])
