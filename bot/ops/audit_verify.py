"""Check the audit trail's hash chain row by row and name the first row that breaks it."""

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.access import failure, require_ready
from bot.store.audit_chain import GENESIS, TIP_ID, chain_hash
from bot.store.engine import make_engine, make_sessions
from bot.store.models import AuditChain, AuditEvent

CHUNK = 1000


@dataclass(frozen=True)
class Verified:
    """The outcome of a verification: how far the chain held, and the first problem if any."""

    rows: int
    last_id: int | None
    tip: str
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """True when every row and the recorded tip agree."""
        return self.problem is None

    def summary(self) -> str:
        """One line for a person: intact with its tip, or the first problem."""
        if self.problem:
            return self.problem
        if self.last_id is None:
            return "audit trail intact: no rows yet"
        return (
            f"audit trail intact: {self.rows} rows up to row {self.last_id}, chain tip {self.tip}"
        )


def _describe(row: AuditEvent) -> str:
    return f"row {row.id} ({row.at:%Y-%m-%d %H:%M:%S} UTC, {row.action} by {row.actor})"


async def verify(session: AsyncSession) -> Verified:
    """Walk every audit row in id order, recomputing the chain; stop at the first break."""
    # One statement reads the rows and the tip together, so both come from one snapshot even
    # while replicas keep writing.
    joined = (
        select(AuditEvent, AuditChain.length, AuditChain.last_id, AuditChain.hash)
        .join(AuditChain, AuditChain.id == TIP_ID)
        .order_by(AuditEvent.id)
    )
    walked = await _walk(session, joined)
    if walked.rows or walked.problem:
        return walked.verdict()
    tip = await session.get(AuditChain, TIP_ID)
    if tip is None:
        # Without the tip the join saw nothing: check the rows on their own.
        alone = await _walk(session, select(AuditEvent).order_by(AuditEvent.id))
        return (
            alone.verdict()
            if alone.problem
            else Verified(
                alone.rows,
                alone.last_id,
                alone.previous,
                "the chain tip (table audit_chain) is missing: it was deleted by hand",
            )
        )
    walked.tip = (tip.length, tip.last_id, tip.hash)
    return walked.verdict()


@dataclass
class _Walk:
    rows: int = 0
    last_id: int | None = None
    previous: str = GENESIS
    problem: str | None = None
    tip: tuple[int, int | None, str] | None = None

    def verdict(self) -> Verified:
        problem = self.problem or (_tip_problem(self, *self.tip) if self.tip else None)
        return Verified(self.rows, self.last_id, self.previous, problem)


async def _walk(session: AsyncSession, query: Select) -> _Walk:
    walk = _Walk()
    result = await session.stream(query.execution_options(yield_per=CHUNK))
    async for record in result:
        row = record[0]
        if len(record) > 1:
            walk.tip = (record[1], record[2], record[3])
        if not row.hash:
            walk.problem = (
                f"audit {_describe(row)} has no hash: it was written around the "
                "bot (or by a version without the chain)"
            )
            return walk
        if chain_hash(walk.previous, row) != row.hash:
            walk.problem = (
                f"audit {_describe(row)} breaks the chain: it was changed, or a "
                "row just before it was removed or inserted"
            )
            return walk
        walk.previous, walk.rows, walk.last_id = row.hash, walk.rows + 1, row.id
    return walk


def _tip_problem(walk: _Walk, length: int, last_id: int | None, tip_hash: str) -> str | None:
    """What is wrong at the end of the chain, judged against the tip the bot recorded."""
    if (length, last_id, tip_hash) == (walk.rows, walk.last_id, walk.previous):
        return None
    if length > walk.rows:
        return (
            f"the audit trail ends at row {walk.last_id} ({walk.rows} rows) but the bot "
            f"chained {length} rows up to row {last_id}: rows were removed from the end"
        )
    if length < walk.rows:
        return (
            f"the audit trail has {walk.rows} rows up to row {walk.last_id} but the bot "
            f"chained only {length} up to row {last_id}: rows after it were added around "
            "the bot"
        )
    return (
        f"the chain tip the bot recorded (row {last_id}) does not match the trail's last "
        f"row {walk.last_id}: the tip (table audit_chain) was changed by hand"
    )


async def verify_url(url: str) -> Verified:
    """Verify the audit trail of the state store at url (SetupError when it is not ready)."""
    await require_ready(url)
    engine = make_engine(url)
    try:
        async with make_sessions(engine)() as session:
            return await verify(session)
    except Exception as exc:
        raise failure(exc, make_url(url)) or exc from None
    finally:
        await engine.dispose()
