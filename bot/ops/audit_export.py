"""Stream the audit trail as CSV (RFC 4180), a chunk of rows at a time."""

import csv
import json
from collections.abc import Collection
from datetime import datetime
from typing import TextIO

from sqlalchemy.engine import make_url

from bot.context import utcnow
from bot.durations import parse_duration
from bot.errors import InputError
from bot.store import audit_repo
from bot.store.access import failure, require_ready
from bot.store.engine import make_engine, make_sessions

MAX_LISTED = 30  # a catalog can have hundreds of databases; the message stays one line
COLUMNS = ["id", "at", "actor", "action", "database", "request_id", "grant_id", "details"]


def since_start(since: str | None) -> datetime | None:
    """The oldest time `--since` asks for (None: everything); InputError when it is no duration."""
    try:
        return utcnow() - parse_duration(since) if since else None
    except ValueError as exc:
        raise InputError(f"--since {exc}") from None


async def export_csv(
    url: str,
    *,
    since: datetime | None,
    database: str | None,
    out: TextIO,
    also_known: Collection[str] = (),
) -> int:
    """Write matching audit events oldest first; return the exit code.

    database must be one the trail has events of, or one of also_known (the catalog's).
    """
    # Checked before the header, so a store that is not ready leaves stdout empty.
    await require_ready(url)
    engine = make_engine(url)
    try:
        async with make_sessions(engine)() as session:
            if database is not None:
                _require_known(
                    database, await audit_repo.audited_databases(session) | set(also_known)
                )
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(COLUMNS)
            async for event in audit_repo.stream_audit(session, since=since, database=database):
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
    except InputError:
        raise
    except Exception as exc:
        raise failure(exc, make_url(url)) or exc from None
    finally:
        await engine.dispose()
    return 0


def _require_known(database: str, known: set[str]) -> None:
    names = sorted(known)
    listed = ", ".join(names[:MAX_LISTED]) or "none yet"
    if len(names) > MAX_LISTED:
        listed += f" and {len(names) - MAX_LISTED} more"
    if database not in known:
        raise InputError(
            f"--db {database!r} is not a database of the audit trail or the catalog; "
            f"known: {listed}"
        )
