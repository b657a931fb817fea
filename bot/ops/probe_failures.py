"""Why `check --online` could not use an outside system: the network or the credentials.

An operator fixes these in different places (DNS, a firewall or a proxy; a token or a role), so
each failure is sorted into a Cause and worded with where to look.
"""

import errno
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

import aiohttp
import botocore.exceptions
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    NoCredentialsError,
    ReadTimeoutError,
)
from slack_sdk.errors import SlackApiError

from bot.errors import DbAccessError
from bot.store.access import LOGIN_REFUSED

BotoConnectionError = botocore.exceptions.ConnectionError | ConnectionClosedError
AWS_ERRORS = (botocore.exceptions.BotoCoreError, ClientError)
NETWORK_ERRNOS = {
    errno.ENETUNREACH,
    errno.EHOSTUNREACH,
    errno.ENETDOWN,
    errno.EHOSTDOWN,
    errno.EADDRNOTAVAIL,
}

# Slack's answers to a token it will not take, with what each means for the operator.
SLACK_TOKEN_ERRORS = {
    "invalid_auth": "the token is wrong or belongs to another workspace",
    "not_authed": "no token was sent",
    "token_revoked": "the token was revoked",
    "token_expired": "the token expired",
    "account_inactive": "the app was uninstalled or its user deactivated",
    "not_allowed_token_type": "this kind of token cannot make the call",
}
AWS_CREDENTIAL_ERRORS = {
    "InvalidClientTokenId": "the access key does not exist or was deleted",
    "UnrecognizedClientException": "the access key does not exist or was deleted",
    "InvalidAccessKeyId": "the access key does not exist or was deleted",
    "SignatureDoesNotMatch": "the secret key does not belong to the access key",
    "ExpiredToken": "the session token expired",
    "ExpiredTokenException": "the session token expired",
    "InvalidIdentityToken": "the pod's web identity token was refused",
}


class Cause(StrEnum):
    """What the operator reads first on a failed line."""

    DNS = "unreachable (DNS)"
    REFUSED = "unreachable (connection refused)"
    TLS = "unreachable (TLS)"
    TIMEOUT = "unreachable (timeout)"
    NETWORK = "unreachable"
    REJECTED_BY_SLACK = "token rejected"
    CREDENTIALS_REJECTED = "credentials rejected"
    NO_CREDENTIALS = "no credentials"

    @property
    def unreachable(self) -> bool:
        """Whether the system could not be reached at all (as opposed to refusing the bot)."""
        return self.value.startswith("unreachable")

    @property
    def reason(self) -> str:
        """The part in brackets, or the whole value: 'DNS', 'token rejected'."""
        return self.value.removeprefix("unreachable (").removesuffix(")")


@dataclass(frozen=True)
class Service:
    """How to word a failure of one outside system."""

    name: str
    setting: str  # where its address is configured
    ca_setting: str  # where a private CA (a TLS-inspecting proxy's) goes
    path: str  # what lies between the pod and it
    credentials_fix: str = ""

    def failure(self, exc: BaseException, *, where: str, waited: float) -> tuple[Cause, str] | None:
        """The cause and the operator's text for exc; None when the system answered."""
        if self is not AWS and any(isinstance(c, AWS_ERRORS) for c in causes(exc)):
            # e.g. an admin login whose password is in Secrets Manager: AWS failed, not the DB
            return AWS.failure(exc, where=where, waited=waited)
        return _rejection(exc, self) or _network(exc, self, where=where, waited=waited)


def address(url: str) -> str:
    """host:port of an http(s) URL, without any credentials."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


def causes(exc: BaseException) -> Iterator[BaseException]:
    """exc and everything it was raised from or while handling."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__


def _rejection(exc: BaseException, service: Service) -> tuple[Cause, str] | None:
    for cause in causes(exc):
        if isinstance(cause, SlackApiError):
            code = str((cause.response or {}).get("error", ""))
            if code in SLACK_TOKEN_ERRORS:
                text = f"Slack said {code!r} ({SLACK_TOKEN_ERRORS[code]})"
                return Cause.REJECTED_BY_SLACK, f"{text}; {service.credentials_fix}"
        if isinstance(cause, ClientError):
            code = str(cause.response.get("Error", {}).get("Code", ""))
            if code in AWS_CREDENTIAL_ERRORS:
                text = f"AWS said {code!r} ({AWS_CREDENTIAL_ERRORS[code]})"
                return Cause.CREDENTIALS_REJECTED, f"{text}; {service.credentials_fix}"
        if isinstance(cause, NoCredentialsError):
            text = "the bot found no AWS credentials"
            return Cause.NO_CREDENTIALS, f"{text}; {service.credentials_fix}"
        if isinstance(cause, LOGIN_REFUSED):
            return Cause.CREDENTIALS_REJECTED, _message(exc)
    return None


def _network(
    exc: BaseException, service: Service, *, where: str, waited: float
) -> tuple[Cause, str] | None:
    chain = list(causes(exc))
    where = _endpoint(chain) or where
    host = where.rsplit(":", 1)[0]
    check_path = f"check {service.setting} and {service.path}"
    for cause in chain:  # TLS first: its errors are also OSErrors
        # aiohttp's certificate error is an SSLCertVerificationError too; the real one says why
        if isinstance(cause, ssl.SSLCertVerificationError) and hasattr(cause, "verify_message"):
            why = cause.verify_message or cause.reason or "unknown reason"
            return Cause.TLS, (
                f"the certificate of {where} does not verify ({why}); check "
                f"{service.setting}, and if a proxy inspects TLS, put its CA in "
                f"{service.ca_setting}"
            )
    for cause in chain:
        if isinstance(cause, ssl.SSLError):
            return Cause.TLS, (
                f"the TLS handshake with {where} failed ({cause.reason or cause}); "
                f"check that {service.setting} names a TLS port"
            )
    for cause in chain:
        if isinstance(cause, socket.gaierror):
            return Cause.DNS, (
                f"the name {host} does not resolve; check {service.setting} and the pod's DNS"
            )
    for cause in chain:
        if isinstance(cause, ConnectionRefusedError):
            return Cause.REFUSED, f"{where} refused the connection; {check_path}"
    for cause in chain:
        if isinstance(cause, TimeoutError | ConnectTimeoutError | ReadTimeoutError):
            return Cause.TIMEOUT, f"no answer from {where} within {waited:g} s; {check_path}"
    for cause in chain:
        if _lost_connection(cause):
            reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else ""
            detail = reason or type(cause).__name__
            return Cause.NETWORK, f"{where} could not be reached ({detail}); {check_path}"
    return None


def _lost_connection(exc: BaseException) -> bool:
    """A connection that could not be made or was broken (not, say, a missing CA file)."""
    if isinstance(exc, ConnectionError | aiohttp.ClientConnectionError | BotoConnectionError):
        return True
    return isinstance(exc, OSError) and exc.errno in NETWORK_ERRNOS


def _endpoint(chain: list[BaseException]) -> str | None:
    """host:port the failed connection went to, when the exception says."""
    for cause in chain:
        if isinstance(cause, aiohttp.ClientConnectorError):
            return f"{cause.host}:{cause.port}"
        kwargs = getattr(cause, "kwargs", None)
        if isinstance(kwargs, dict) and kwargs.get("endpoint_url"):
            return address(str(kwargs["endpoint_url"]))
    return None


def _message(exc: BaseException) -> str:
    return exc.user_message if isinstance(exc, DbAccessError) else str(exc)


SLACK = Service(
    "Slack",
    "SLACK_API_URL",
    "SSL_CERT_FILE",
    "the pod's egress to Slack (NetworkPolicy, firewall, HTTPS_PROXY)",
)
AWS = Service(
    "AWS",
    "AWS_REGION (and AWS_ENDPOINT_URL, if set)",
    "AWS_CA_BUNDLE",
    "the pod's way to AWS (NAT gateway or VPC endpoints, egress rules, HTTPS_PROXY)",
    "give the pod its IRSA role (the ServiceAccount's eks.amazonaws.com/role-arn) or fix "
    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
)
PRIVATEBIN = Service(
    "PrivateBin",
    "PRIVATEBIN_URL",
    "SSL_CERT_FILE",
    "the pod's egress to it (NetworkPolicy, HTTPS_PROXY; NO_PROXY when it is in the cluster)",
)
STATE_STORE = Service(
    "the state store",
    "DATABASE_URL",
    "PGSSLROOTCERT",
    "that PostgreSQL runs and its security group lets the pod in",
)
PAGERDUTY = Service(
    "PagerDuty",
    "PAGERDUTY_API_URL",
    "SSL_CERT_FILE",
    "the pod's egress to PagerDuty (NetworkPolicy, firewall, HTTPS_PROXY)",
)
