"""Parse and format the short durations used in the catalog and commands (15m, 1h, 8h, 1d)."""

import re
from datetime import timedelta

_PATTERN = re.compile(r"^(\d{1,6})([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
HINT = "use 15m, 1h, 8h, 1d"


def parse_duration(text: str) -> timedelta:
    """Turn '15m', '1h', '1d' into a timedelta; raise ValueError naming the accepted forms."""
    match = _PATTERN.match(str(text).strip().lower())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration ({HINT})")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def format_duration(value: timedelta) -> str:
    """Render a timedelta in the largest whole unit: 3600s -> '1h', 5400s -> '90m'."""
    seconds = int(value.total_seconds())
    for unit in ("w", "d", "h", "m"):
        size = _UNIT_SECONDS[unit]
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def humanize(value: timedelta) -> str:
    """Render a remaining time for people: '2h 5m', '45m', 'less than a minute'."""
    seconds = int(value.total_seconds())
    if seconds < 60:
        return "less than a minute"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return " ".join(parts[:2])
