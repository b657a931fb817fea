"""The audit trail's hash chain: each row's hash covers the previous row's hash and its content.

Rows are chained when their transaction commits, under a lock on the one-row `audit_chain`
table (the chain's tip): lock the tip, hash and insert the rows, move the tip, commit. Two
replicas therefore never chain to the same row, and ids grow in chain order. The lock is
held only from the tip UPDATE to COMMIT, because everything else the transaction does is
flushed before the tip is touched.
"""

import hashlib
import json
from datetime import UTC
from typing import Any

from sqlalchemy import event, func, insert, select, update
from sqlalchemy.orm import Session, SessionTransaction

from bot.store.models import AuditChain, AuditEvent

GENESIS = "0" * 64
CHAIN_VERSION = "v1"
TIP_ID = 1
PENDING = "db_access_bot.pending_audit"
TIP = AuditChain.__table__


def canonical(row: AuditEvent) -> bytes:
    """The bytes a row's hash covers (v1; never change it: stored hashes depend on it)."""
    at = row.at.astimezone(UTC).isoformat(timespec="microseconds")
    fields = [
        CHAIN_VERSION,
        at,
        row.actor,
        row.action,
        row.database,
        row.request_id,
        row.grant_id,
        row.details or {},
    ]
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def chain_hash(previous: str, row: AuditEvent) -> str:
    """The hash of row when it follows a row whose hash is previous."""
    return hashlib.sha256(previous.encode("ascii") + b"\n" + canonical(row)).hexdigest()


def stable_details(details: dict[str, Any]) -> dict[str, Any]:
    """details as the store gives it back: JSON types only, no float a JSON column would alter."""
    return json.loads(
        json.dumps(details, default=str), parse_float=_float_or_text, parse_constant=str
    )


def _float_or_text(text: str) -> float | str:
    # PostgreSQL's JSONB keeps numbers as NUMERIC and prints 1e+100 as a hundred digits, so a
    # float that does not print the same way back would break the row's hash: keep its text.
    value = float(text)
    return value if repr(value) == text and "e" not in text.lower() else text


class ChainedSession(Session):
    """A Session whose pending audit events are chained and inserted when it commits."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.info[PENDING] = []


def queue(session: Session, row: AuditEvent) -> None:
    """Hold an audit row until the session commits (see seal)."""
    if not isinstance(session, ChainedSession):
        raise TypeError("audit events need a session from bot.store.engine.make_sessions")
    row.details = stable_details(row.details or {})
    session.info[PENDING].append(row)


def seal(session: Session) -> None:
    """Chain and insert the session's pending audit events (the before_commit hook)."""
    events: list[AuditEvent] = session.info.get(PENDING) or []
    if not events:
        return
    session.info[PENDING] = []
    session.flush()  # the transaction's own writes (and their row locks) come first
    previous = _lock_tip(session, len(events))
    for row in events:
        row.hash = previous = chain_hash(previous, row)
    session.add_all(events)
    session.flush()
    session.connection().execute(
        update(TIP).where(TIP.c.id == TIP_ID).values(hash=previous, last_id=events[-1].id)
    )


def _lock_tip(session: Session, count: int) -> str:
    """Lock the chain's tip (held until commit) and return the hash new rows follow."""
    connection = session.connection()
    tip = connection.execute(
        update(TIP)
        .where(TIP.c.id == TIP_ID)
        .values(length=TIP.c.length + count)
        .returning(TIP.c.hash)
    ).scalar()
    if tip is not None:
        return tip
    # The tip row is gone (deleted by hand despite the trigger): rebuild it from the rows.
    last = connection.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    length = connection.execute(select(func.count()).select_from(AuditEvent)).scalar() or 0
    previous = last.hash if last else GENESIS
    connection.execute(
        insert(TIP).values(
            id=TIP_ID, hash=previous, length=length + count, last_id=last.id if last else None
        )
    )
    return previous


@event.listens_for(ChainedSession, "after_transaction_end")
def _forget_pending(session: Session, transaction: SessionTransaction) -> None:
    """After the outermost transaction ends (committed or not), nothing stays pending."""
    if transaction.parent is None:
        session.info[PENDING] = []


event.listen(ChainedSession, "before_commit", seal)
