"""Socket Mode's connection troubles, logged as one warning per attempt with a hint.

slack_sdk's Socket Mode client retries a failed connection forever and logs each failure with
a full traceback (~5 KB every 11 s while Slack is unreachable). Its log records go through a
logger of ours, where this filter turns each into one line: what failed, when it retries, and
what an operator can check.
"""

import logging

import aiohttp
from slack_sdk.errors import SlackApiError

LOGGER_NAME = "bot.socket_mode"
RETRY_SECONDS = 10  # the SDK waits its ping interval (10 s) between connection attempts
NETWORK_HINT = (
    "Check that this host can reach Slack (DNS, firewall, egress proxy) and that "
    "SLACK_API_URL is right; /healthz stays 503 until it connects."
)
APP_KEY_REFUSED = (
    "Slack refused the app-level token: set SLACK_APP_TOKEN to an xapp- token with "
    "connections:write and Socket Mode enabled (db-access-bot check --online)."
)
HINTS = {
    "invalid_auth": APP_KEY_REFUSED,
    "not_authed": APP_KEY_REFUSED,
    "account_inactive": APP_KEY_REFUSED,
    "token_revoked": APP_KEY_REFUSED,
    "not_allowed_token_type": "SLACK_APP_TOKEN must be the app-level xapp- token, not xoxb-.",
}
MAX_CAUSE = 200


def describe(exc: BaseException | None) -> tuple[str, str]:
    """A short cause and the hint for an exception raised while connecting."""
    if isinstance(exc, SlackApiError):
        error = str((exc.response or {}).get("error", "unknown_error"))
        return f"Slack answered {error}", HINTS.get(error, NETWORK_HINT)
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
        return f"TLS failed ({exc})"[:MAX_CAUSE], (
            "Check the TLS path to Slack: a proxy that re-signs traffic needs its CA trusted."
        )
    if isinstance(exc, aiohttp.WSServerHandshakeError):
        return f"the websocket was refused (HTTP {exc.status})", (
            "Slack refused the Socket Mode connection; check that Socket Mode is enabled."
        )
    if isinstance(exc, TimeoutError):
        return "no answer in time", NETWORK_HINT
    text = f"{type(exc).__name__}: {exc}" if exc else "unknown error"
    return text[:MAX_CAUSE], NETWORK_HINT


class ConnectionTrouble(logging.Filter):
    """Rewrites the SDK's connection failure records into one plain warning each."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Drop the SDK's duplicate line; reword and de-trace the ones that matter."""
        message = record.getMessage()
        if message.startswith("Failed to retrieve WSS URL"):
            return False  # the same failure is reported by the "Failed to connect" record
        if message.startswith("Failed to connect"):
            cause, hint = describe(record.exc_info[1] if record.exc_info else None)
            _reword(
                record,
                f"Slack cannot be reached over Socket Mode ({cause}); "
                f"retrying in {RETRY_SECONDS} s. {hint}",
            )
        elif message.startswith("Failed to check the current session"):
            cause = message.partition("(error: ")[2].rstrip(")")[:MAX_CAUSE]
            _reword(
                record,
                f"The Socket Mode connection is down and reconnecting failed "
                f"({cause}); retrying in {RETRY_SECONDS} s. {NETWORK_HINT}",
            )
        elif message.startswith("Failed to receive or enqueue a message"):
            cause = message.partition(": ")[2].rsplit(" (", 1)[0][:MAX_CAUSE]
            _reword(
                record,
                f"The Socket Mode connection was lost and reconnecting failed ({cause}); "
                f"retrying in {RETRY_SECONDS} s. {NETWORK_HINT}",
            )
        return True


def _reword(record: logging.LogRecord, text: str) -> None:
    record.msg, record.args = text, ()
    record.exc_info, record.exc_text = None, None
    record.levelno, record.levelname = logging.WARNING, "WARNING"


def socket_mode_logger() -> logging.Logger:
    """The logger to give the Socket Mode client (with the filter attached once)."""
    logger = logging.getLogger(LOGGER_NAME)
    if not any(isinstance(f, ConnectionTrouble) for f in logger.filters):
        logger.addFilter(ConnectionTrouble())
    return logger
