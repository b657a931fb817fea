"""The audit view counts older events only up to a limit: a million rows cost no more than ten."""

from pathlib import Path

from bot.slack.views_audit import COUNTED_AT_MOST, audit_blocks, event_count
from bot.store import audit_repo
from bot.store.engine import make_engine, make_sessions, upgrade_async
from bot.store.models import AuditEvent
from tests.foundation.test_audit_chain import T0, write_events


async def count(url: str, *, at_most: int, database: str | None = None) -> int:
    engine = make_engine(url)
    try:
        async with make_sessions(engine)() as session:
            databases = [database] if database else None
            return await audit_repo.count_audit_events(
                session, since=T0, databases=databases, at_most=at_most
            )
    finally:
        await engine.dispose()


async def test_counting_stops_at_the_limit(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'state.sqlite3'}"
    await upgrade_async(url)
    await write_events(url, 5)
    assert await count(url, at_most=3) == 3
    assert await count(url, at_most=10) == 5
    assert await count(url, at_most=10, database="analytics") == 0


def test_a_count_that_stopped_says_so() -> None:
    assert event_count(COUNTED_AT_MOST, capped=True) == "10,000+"
    assert event_count(42, capped=False) == "42"
    event = AuditEvent(at=T0, actor="U0DEV1", action="request.submitted", database="orders-prod")
    blocks = audit_blocks([event], scope="for all databases", total=COUNTED_AT_MOST)
    assert "…and 9,999+ older event(s)" in str(blocks)
