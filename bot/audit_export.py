"""Stream the audit trail as CSV (RFC 4180), a chunk of rows at a time."""

import csv
import json
from datetime import datetime
from typing import TextIO

from sqlalchemy.engine import make_url

from bot import repo
from bot.context import utcnow
from bot.durations import parse_duration
from bot.errors import InputError
from bot.state import make_engine, make_sessions
from bot.store_access import failure, require_ready

COLUMNS = ["id", "at", "actor", "action", "database", "request_id", "grant_id", "details"]


def since_start(since: str | None) -> datetime | None:
    """The oldest time `--since` asks for (None: everything); InputError when it is no duration."""
    try:
        return utcnow() - parse_duration(since) if since else None
    except ValueError as exc:
        raise InputError(f"--since {exc}") from None


async def export_csv(url: str, *, since: datetime | None, database: str | None, out: TextIO) -> int:
    """Write matching audit events oldest first; return the exit code."""
    # Checked before the header, so a store that is not ready leaves stdout empty.
    await require_ready(url)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    engine = make_engine(url)
    try:
        async with make_sessions(engine)() as session:
            async for event in repo.stream_audit(session, since=since, database=database):
                writer.writerow(
                    [
                        event.id,
                        event.at.isoformat(),
                        event.actor,
                        event.action,
                        event.database or "",
                        event.request_id or "",
                        event.grant_id or "",
                        json.dumps(event.details, sort_keys=True, default=str),
                    ]
                )
    except Exception as exc:
        raise failure(exc, make_url(url)) or exc from None
    finally:
        await engine.dispose()
    return 0
