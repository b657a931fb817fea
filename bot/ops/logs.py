"""JSON log lines on stdout, with a last-line-of-defence scrubber for anything secret-shaped."""

import json
import logging
import re
import sys
from datetime import UTC, datetime

# Defence in depth: code never logs secrets on purpose, but third-party debug logs might.
_SECRET_PATTERNS = [
    (re.compile(r"xox[abposr]-[A-Za-z0-9-]+"), "xox?-[redacted]"),
    (re.compile(r"xapp-[A-Za-z0-9-]+"), "xapp-[redacted]"),
    (re.compile(r"(X-Amz-Signature=)[0-9a-fA-F]+"), r"\1[redacted]"),
    (re.compile(r"(X-Amz-Security-Token=)[^&\s'\"]+"), r"\1[redacted]"),
    (re.compile(r"(#-?)[1-9A-HJ-NP-Za-km-z]{30,}"), r"\1[redacted]"),
    (re.compile(r"(?i)(\"?password\"?\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|\S+)"), r"\1[redacted]"),
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?bearer\s+)\S+"), r"\1[redacted]"),
]
_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def scrub(text: str) -> str:
    """Replace anything that looks like a token, signature, link key or password."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return scrub(json.dumps(entry, default=str, ensure_ascii=False))


def configure_logging(level: str = "INFO") -> None:
    """Send every logger's output to stdout as JSON lines at the given level."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Their DEBUG output is request dumps; useful rarely, noisy always.
    for noisy in ("botocore", "boto3", "urllib3", "aiosqlite", "asyncio", "apscheduler.scheduler"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, root.level))
