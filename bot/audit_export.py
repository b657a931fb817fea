"""Stream the audit trail as CSV (RFC 4180), a chunk of rows at a time."""

import csv
import json
from typing import TextIO

from bot import repo
from bot.context import utcnow
from bot.durations import parse_duration
from bot.errors import InputError
from bot.state import make_engine, make_sessions

COLUMNS = ["id", "at", "actor", "action", "database", "request_id", "grant_id", "details"]


async def export_csv(url: str, *, since: str | None, database: str | None, out: TextIO) -> int:
    """Write matching audit events oldest first; return the exit code."""
    try:
        start = utcnow() - parse_duration(since) if since else None
    except ValueError as exc:
        raise InputError(f"--since {exc}") from None
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    engine = make_engine(url)
    try:
        async with make_sessions(engine)() as session:
            async for event in repo.stream_audit(session, since=start, database=database):
                writer.writerow([event.id, event.at.isoformat(), event.actor, event.action,
                                 event.database or "", event.request_id or "",
                                 event.grant_id or "",
                                 json.dumps(event.details, sort_keys=True, default=str)])
    finally:
        await engine.dispose()
    return 0
