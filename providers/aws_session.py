"""boto3 clients per (account, region, service); other accounts go through their manage role."""

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.session
from botocore.client import BaseClient
from botocore.config import Config
from botocore.credentials import (
    CredentialProvider,
    CredentialResolver,
    Credentials,
    DeferredRefreshableCredentials,
)
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from bot.catalog.model import Catalog
from bot.errors import AwsError

RETRIES = Config(retries={"mode": "adaptive", "max_attempts": 8})
MANAGE_SESSION_NAME = "db-access-bot"
# Longer than botocore's 15-minute advisory refresh window, so a session is reused, not
# re-assumed on every call.
MANAGE_SESSION_SECONDS = 3600
DEFAULT_REGION = "us-east-1"
_ACCESS_KEY = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b")
_LONG_SECRETISH = re.compile(r"[A-Za-z0-9+/=]{40,}")


class _FixedProvider(CredentialProvider):
    """A credential chain of one link: the given (refreshable) credentials."""

    METHOD = "db-access-bot-assume-role"

    def __init__(self, credentials: Credentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> Credentials:
        return self._credentials


class AwsClients:
    """Clients built from the catalog up front; the manage role is assumed lazily on first use."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        session: boto3.Session | None = None,
        config: Config | None = None,
        manage_session_seconds: int = MANAGE_SESSION_SECONDS,
    ) -> None:
        self._catalog = catalog
        self._manage_seconds = manage_session_seconds
        self._base = session or boto3.Session()
        self._config = RETRIES.merge(config) if config else RETRIES
        self._lock = threading.RLock()
        self._clients: dict[tuple[str, str, str], BaseClient] = {}
        self._sessions: dict[str, boto3.Session] = {}
        for db in catalog.databases.values():
            self.iam(db.account_id)
            self.rds(db.account_id, db.region)
            self.sts(db.region)
            if db.admin and db.admin.secret_arn:
                account_id, region = secret_location(db.admin.secret_arn)
                self.secretsmanager(account_id, region)

    @property
    def base(self) -> boto3.Session:
        """The bot's own session (the standard credential chain)."""
        return self._base

    def iam(self, account_id: str) -> BaseClient:
        """IAM in account_id (IAM is global: one client per account)."""
        return self._client(account_id, self._home_region(account_id), "iam")

    def rds(self, account_id: str, region: str) -> BaseClient:
        """RDS control plane (DescribeDB*) in account_id/region."""
        return self._client(account_id, region, "rds")

    def secretsmanager(self, account_id: str, region: str) -> BaseClient:
        """Secrets Manager in account_id/region."""
        return self._client(account_id, region, "secretsmanager")

    def sts(self, region: str) -> BaseClient:
        """STS in region with the bot's own credentials (never the manage role)."""
        key = ("", region, "sts")
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._base.client(
                    "sts", region_name=region, config=self._config
                )
            return self._clients[key]

    def rds_with(self, region: str, *, access_key: str, secret_key: str, token: str) -> BaseClient:
        """A throwaway RDS client signing with the given temporary credentials."""
        with self._lock:  # boto3 sessions are not thread-safe while creating clients
            return self._base.client(
                "rds",
                region_name=region,
                config=self._config,
                aws_access_key_id=access_key,
                aws_secret_access_key=secret_key,
                aws_session_token=token,
            )

    def credentials(self, account_id: str) -> Credentials | None:
        """The credentials used for account_id (assumed-role ones when a manage role is set)."""
        return self._session_for(account_id).get_credentials()

    def _client(self, account_id: str, region: str, service: str) -> BaseClient:
        key = (account_id, region, service)
        with self._lock:
            if key not in self._clients:
                session = self._session_for(account_id)
                self._clients[key] = session.client(
                    service, region_name=region, config=self._config
                )
            return self._clients[key]

    def _home_region(self, account_id: str) -> str:
        regions = sorted(
            {db.region for db in self._catalog.databases.values() if db.account_id == account_id}
        )
        return regions[0] if regions else (self._base.region_name or DEFAULT_REGION)

    def _session_for(self, account_id: str) -> boto3.Session:
        role_arn = self._catalog.account(account_id).manage_role_arn
        if not role_arn:
            return self._base
        with self._lock:
            if account_id not in self._sessions:
                refresh = self._assume_role_refresher(role_arn, self._home_region(account_id))
                self._sessions[account_id] = self._assumed_session(refresh)
            return self._sessions[account_id]

    def _assumed_session(self, refresh: Callable[[], dict[str, Any]]) -> boto3.Session:
        core = botocore.session.Session()
        # Share the parsed service models instead of loading them again per account.
        core.register_component("data_loader", self._base._session.get_component("data_loader"))
        credentials = DeferredRefreshableCredentials(
            refresh_using=refresh, method=_FixedProvider.METHOD
        )
        core.register_component(
            "credential_provider", CredentialResolver(providers=[_FixedProvider(credentials)])
        )
        return boto3.Session(botocore_session=core, region_name=self._base.region_name)

    def _assume_role_refresher(self, role_arn: str, region: str) -> Callable[[], dict[str, Any]]:
        def refresh() -> dict[str, Any]:
            response = self.sts(region).assume_role(
                RoleArn=role_arn,
                RoleSessionName=MANAGE_SESSION_NAME,
                DurationSeconds=self._manage_seconds,
            )
            creds = response["Credentials"]
            expiry = creds["Expiration"]
            if not isinstance(expiry, datetime):
                expiry = datetime.now(UTC) + timedelta(seconds=self._manage_seconds)
            return {
                "access_key": creds["AccessKeyId"],
                "secret_key": creds["SecretAccessKey"],
                "token": creds["SessionToken"],
                "expiry_time": expiry.isoformat(),
            }

        return refresh


def secret_location(secret_arn: str) -> tuple[str, str]:
    """(account id, region) of a Secrets Manager ARN."""
    parts = secret_arn.split(":")
    if len(parts) < 7 or parts[2] != "secretsmanager":
        raise ValueError(f"{secret_arn!r} is not a Secrets Manager ARN")
    return parts[4], parts[3]


def error_code(exc: Exception) -> str:
    """The AWS error code of a ClientError ('' for anything else)."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def aws_error(exc: Exception, *, action: str, subject: str, fix: str = "") -> AwsError:
    """An AwsError for a failed boto3 call, safe to show: no keys, tokens or secret values."""
    if isinstance(exc, ClientError):
        code = error_code(exc) or "UnknownError"
        detail = str(exc.response.get("Error", {}).get("Message", ""))
    elif isinstance(exc, NoCredentialsError):
        code, detail = "NoCredentials", "the bot found no AWS credentials"
    elif isinstance(exc, BotoCoreError):
        code, detail = type(exc).__name__, str(exc)
    else:
        code, detail = type(exc).__name__, ""
    text = f"AWS could not {action} for {subject}: {code}"
    if detail:
        text += f" ({scrub(detail)})"
    if fix:
        text += f". {fix}"
    return AwsError(text)


def scrub(text: str, limit: int = 300) -> str:
    """Drop access key ids and long secret-looking strings from an AWS message; cap its length."""
    text = _ACCESS_KEY.sub("<access key>", text)
    text = _LONG_SECRETISH.sub("<redacted>", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
