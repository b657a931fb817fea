"""Settings from the environment (DESIGN.md §2); Slack tokens are SecretStr so they never print."""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

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
        default=None, description="CA bundle verifying admin connections to RDS (PEM path)")
    sweep_interval: float = Field(
        default=5.0, gt=0, le=3600,
        description="seconds between revocation sweeps (a date job also fires at each grant's "
                    "end); expiry warnings and request reminders/expiry run at the same pace")
    reconcile_interval: float = Field(
        default=300.0, gt=0, le=86400,
        description="seconds between reconciliations of IAM policies with the grants "
                    "(and checks for unused standing grants)")

    def problems(self) -> list[str]:
        """What is missing or malformed for `run` (empty when ready)."""
        found: list[str] = []
        bot = self.slack_bot_token.get_secret_value() if self.slack_bot_token else ""
        app = self.slack_app_token.get_secret_value() if self.slack_app_token else ""
        if not bot.startswith("xoxb-"):
            found.append("SLACK_BOT_TOKEN: set it to the bot token (xoxb-…) "
                         "from OAuth & Permissions")
        if not app.startswith("xapp-"):
            found.append("SLACK_APP_TOKEN: set it to an app-level token (xapp-…) with "
                         "connections:write (Basic Information → App-Level Tokens)")
        if not self.slack_api_url.startswith(("http://", "https://")):
            found.append(f"SLACK_API_URL: {self.slack_api_url!r} is not an http(s) URL")
        if not self.database_url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            found.append("DATABASE_URL: use postgresql+asyncpg://… or sqlite+aiosqlite:///path")
        if not self.privatebin_url:
            found.append("PRIVATEBIN_URL: set it to your PrivateBin base URL (one-time links)")
        if self.privatebin_expire not in PRIVATEBIN_EXPIRE_KEYS:
            found.append(f"PRIVATEBIN_EXPIRE: {self.privatebin_expire!r} is not a PrivateBin "
                         f"expiry key (use one of {', '.join(PRIVATEBIN_EXPIRE_KEYS)})")
        if self.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            found.append(f"LOG_LEVEL: {self.log_level!r} is not DEBUG, INFO, WARNING or ERROR")
        return found
