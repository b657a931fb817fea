"""Settings from the environment (DESIGN.md §2); Slack tokens are SecretStr so they never print."""

import ssl
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.store.access import RDS_CA_URL, url_problem

# PrivateBin silently turns an unknown key into 1week; a paste must not outlive the token.
PRIVATEBIN_EXPIRE_KEYS = ("5min", "10min", "15min")


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    slack_bot_token: SecretStr | None = Field(default=None, description="xoxb-… bot token")
    slack_app_token: SecretStr | None = Field(default=None, description="xapp-… Socket Mode token")
    slack_api_url: str = Field(default="https://slack.com/api/", description="Web API base URL")
    database_url: str = Field(
        default="sqlite+aiosqlite:///db-access-bot.sqlite3", description="state store URL"
    )
    db_access_catalog: str = Field(default="catalog.yaml", description="path of the catalog")
    privatebin_url: str | None = Field(default=None, description="PrivateBin base URL")
    privatebin_expire: str = Field(default="10min", description="paste expiry key")
    health_port: int = Field(default=8080, ge=0, le=65535, description="health server port")
    log_level: str = Field(default="INFO", description="log level of the JSON logs")
    rds_ca_bundle: str | None = Field(
        default=None, description="CA bundle verifying admin connections to RDS (PEM path)"
    )
    sweep_interval: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="seconds between revocation sweeps (date jobs also fire at the next few "
        "grant ends); expiry warnings and request reminders/expiry run at the same pace",
    )
    verify_login_timeout: float = Field(
        default=30.0,
        ge=0,
        le=600,
        description="seconds the bot keeps trying to log in with a fresh token before it sends "
        "the link anyway, with a note (0: one try)",
    )
    pagerduty_token: SecretStr | None = Field(
        default=None, description="PagerDuty REST API key, for on-call approval (on_call)"
    )
    pagerduty_api_url: str = Field(
        default="https://api.pagerduty.com", description="PagerDuty REST API base URL (tests)"
    )
    reconcile_interval: float = Field(
        default=300.0,
        gt=0,
        le=86400,
        description="seconds between reconciliations of IAM policies with the grants "
        "(and checks for unused standing grants)",
    )
    iam_concurrency: int = Field(
        default=8,
        ge=1,
        le=64,
        description="revocations in flight at once (each deletes an IAM policy and may end "
        "database sessions); bounds the burst into IAM when many grants end together, e.g. "
        "after downtime",
    )

    def problems(self) -> list[str]:
        """What is missing or malformed for `run` (empty when ready); never echoes a secret."""
        found = _token_problems(self)
        found += [
            p
            for p in (
                _url_problem("SLACK_API_URL", self.slack_api_url),
                _url_problem("PAGERDUTY_API_URL", self.pagerduty_api_url),
                url_problem(self.database_url),
            )
            if p
        ]
        if not self.privatebin_url:
            found.append("PRIVATEBIN_URL: set it to your PrivateBin base URL (one-time links)")
        elif problem := _url_problem("PRIVATEBIN_URL", self.privatebin_url):
            found.append(problem)
        if self.privatebin_expire not in PRIVATEBIN_EXPIRE_KEYS:
            found.append(
                f"PRIVATEBIN_EXPIRE: {self.privatebin_expire!r} is not a PrivateBin "
                f"expiry key (use one of {', '.join(PRIVATEBIN_EXPIRE_KEYS)})"
            )
        if self.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            found.append(f"LOG_LEVEL: {self.log_level!r} is not DEBUG, INFO, WARNING or ERROR")
        if self.rds_ca_bundle and (problem := _ca_bundle_problem(self.rds_ca_bundle)):
            found.append(problem)
        return found


def load_settings() -> tuple[Settings, list[str]]:
    """Settings from the environment, with any malformed value at its default and listed."""
    try:
        return Settings(), []
    except ValidationError as exc:
        errors = exc.errors()
    problems = [
        f"{str(e['loc'][0]).upper()}: {e['input']!r} is not valid "
        f"({e['msg'][0].lower()}{e['msg'][1:]})"
        for e in errors
    ]
    # Load again with the bad values at their defaults, so every other setting is still checked.
    bad = {str(e["loc"][0]) for e in errors}
    defaults = {name: Settings.model_fields[name].default for name in bad}
    return Settings(**defaults), problems


def _token_problems(settings: Settings) -> list[str]:
    tokens = (
        (
            "SLACK_BOT_TOKEN",
            settings.slack_bot_token,
            "xoxb-",
            "SLACK_APP_TOKEN",
            "the Bot User OAuth Token (xoxb-…) from OAuth & Permissions",
        ),
        (
            "SLACK_APP_TOKEN",
            settings.slack_app_token,
            "xapp-",
            "SLACK_BOT_TOKEN",
            "an app-level token (xapp-…) with connections:write "
            "(Basic Information → App-Level Tokens)",
        ),
    )
    found = []
    for name, secret, prefix, other, wanted in tokens:
        value = secret.get_secret_value().strip() if secret else ""
        if not value:
            found.append(f"{name}: not set; set it to {wanted}")
        elif not value.startswith(prefix):
            swapped = "xapp-" if prefix == "xoxb-" else "xoxb-"
            hint = f" (it looks like the token for {other})" if value.startswith(swapped) else ""
            found.append(f"{name}: does not start with {prefix}{hint}; set it to {wanted}")
    return found


def _url_problem(name: str, url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return (
            f"{name}: not an http(s) URL (e.g. https://paste.example.com)"
            if name == "PRIVATEBIN_URL"
            else f"{name}: not an http(s) URL"
        )
    return None


def _ca_bundle_problem(path: str) -> str | None:
    try:
        text = Path(path).read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return f"RDS_CA_BUNDLE: {path} does not exist (download the bundle from {RDS_CA_URL})"
    except OSError as exc:
        return f"RDS_CA_BUNDLE: {path} cannot be read ({exc.strerror})"
    if "-----BEGIN CERTIFICATE-----" not in text:
        return f"RDS_CA_BUNDLE: {path} is not a PEM certificate bundle (get it from {RDS_CA_URL})"
    try:
        ssl.create_default_context(cafile=path)
    except ssl.SSLError as exc:
        return f"RDS_CA_BUNDLE: {path} holds no certificate TLS can load ({exc.reason})"
    return None
