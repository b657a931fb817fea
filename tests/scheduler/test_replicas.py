"""Several replicas on one state store revoke each grant exactly once; SQLite works alone."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.catalog.database import DatabaseSpec
from bot.catalog.model import Catalog
from bot.context import Deps
from bot.domain import GrantStatus, GrantTarget, MessageRef, SlackUser
from bot.identity import People
from bot.store.engine import make_engine, make_sessions, upgrade_async
from bot.store.models import Grant
from providers.base import IamGrants
from scheduler.reconcile import Reconciler
from scheduler.sweeps import Sweeper
from tests.scheduler.support import (
    MovableClock,
    audit,
    make_grant,
    rows,
    running_scheduler,
    wait_for,
)
from tests.support import catalogs
from tests.support.fakes import FakeDbAdmin, FakeIam, FakeMinter, FakeShare


class RecordingSlack:
    """SlackNotifier and SlackDirectory that keep what was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.keys: dict[str, MessageRef] = {}

    async def post(
        self,
        channel: str,
        *,
        text: str,
        blocks: Sequence[Any] | None = None,
        thread_ts: str | None = None,
        key: str | None = None,
    ) -> MessageRef:
        self.sent.append((channel, text))
        ref = MessageRef(channel, str(len(self.sent)))
        if key is not None:
            self.keys[key] = ref
        return ref

    async def update(
        self, ref: MessageRef, *, text: str, blocks: Sequence[Any] | None = None
    ) -> None:
        self.sent.append((ref.channel, text))

    async def dm(
        self,
        user_id: str,
        *,
        text: str,
        blocks: Sequence[Any] | None = None,
        key: str | None = None,
    ) -> MessageRef:
        return await self.post(user_id, text=text, key=key)

    async def find_sent(
        self,
        *,
        key: str,
        since: datetime,
        channel: str | None = None,
        user_id: str | None = None,
        thread_ts: str | None = None,
    ) -> MessageRef | None:
        return self.keys.get(key)

    async def user(self, user_id: str) -> SlackUser:
        return SlackUser(user_id, f"{user_id.lower()}@example.com", user_id, False, False)

    async def group_members(self, group_id: str) -> frozenset[str]:
        return frozenset()


class ReplicaIam:
    """A replica's client of one shared FakeIam: slow deletes, and who deleted what."""

    def __init__(self, shared: FakeIam, name: str, log: list[tuple[str, str]]) -> None:
        self._shared, self._name, self._log = shared, name, log

    async def attach(self, database: DatabaseSpec, target: GrantTarget) -> str:
        return await self._shared.attach(database, target)

    async def detach(self, database: DatabaseSpec, *, principal_arn: str, grant_id: str) -> None:
        await asyncio.sleep(0.03)  # leave room for the other replica to interleave
        await self._shared.detach(database, principal_arn=principal_arn, grant_id=grant_id)
        self._log.append((self._name, grant_id))

    async def grant_policy_pages(
        self, *, account_id: str, kinds: frozenset[str], pause: float = 0.0
    ) -> AsyncIterator[dict[str, list[str]]]:
        async for page in self._shared.grant_policy_pages(
            account_id=account_id, kinds=kinds, pause=pause
        ):
            yield page

    async def resource_id(self, database: DatabaseSpec) -> str:
        return await self._shared.resource_id(database)


@asynccontextmanager
async def replica(
    url: str, catalog: Catalog, iam: IamGrants, clock: MovableClock, owner: str
) -> AsyncIterator[Deps]:
    """Deps of one replica, with its own engine."""
    engine = make_engine(url)
    slack = RecordingSlack()
    try:
        yield Deps(
            catalog=catalog,
            sessions=make_sessions(engine),
            iam=iam,
            minter=FakeMinter(),
            share=FakeShare(),
            dbadmin=FakeDbAdmin(),
            slack=slack,
            people=People(slack, catalog),
            clock=clock,
            owner=owner,
        )
    finally:
        await engine.dispose()


async def test_two_replicas_revoke_each_due_grant_exactly_once(
    state_url: str, clock: MovableClock
) -> None:
    catalog, shared, who = catalogs.make_catalog(), FakeIam(), []
    async with (
        replica(state_url, catalog, ReplicaIam(shared, "a", who), clock, "replica-a") as a,
        replica(state_url, catalog, ReplicaIam(shared, "b", who), clock, "replica-b") as b,
    ):
        users = [catalogs.DEV, catalogs.DEV2, catalogs.OUTSIDER]
        # Made through both replicas, so both engines have warm connections when sweeping.
        # Four batches' worth, so each of the four sweeps has work to claim even when one
        # replica's connection is slow to come (a loaded machine).
        made = [
            await make_grant((a, b)[i % 2], user_id=users[i % 3], duration=timedelta(minutes=15))
            for i in range(100)
        ]
        clock.advance(timedelta(minutes=16))
        sweeps = [Sweeper(a), Sweeper(b), Sweeper(a), Sweeper(b)]
        counts = await asyncio.gather(*(s.run() for s in sweeps))
        assert sum(counts) == 100
        assert await asyncio.gather(*(s.run() for s in sweeps)) == [0, 0, 0, 0]
        ids = {g.id for g in made}
        assert Counter(shared.detached) == dict.fromkeys(ids, 1)
        assert Counter(e.grant_id for e in await audit(a, "grant.revoked")) == dict.fromkeys(ids, 1)
        assert {name for name, _ in who} == {"a", "b"}  # both did share the work
        revoked = await rows(a, Grant, Grant.status == GrantStatus.REVOKED)
        assert len(revoked) == 100 and all(g.claimed_by is None for g in revoked)


async def test_single_replica_on_sqlite_sweeps_and_reconciles(
    tmp_path: Path, clock: MovableClock
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'state.sqlite3'}"
    await upgrade_async(url)
    iam = FakeIam()
    async with replica(url, catalogs.make_catalog(), iam, clock, "only") as deps:
        made = [await make_grant(deps, duration=timedelta(minutes=15)) for _ in range(3)]
        keep = await make_grant(deps, duration=timedelta(hours=2))
        iam.policies[keep.principal_arn]["gorphan22"] = None
        del iam.policies[keep.principal_arn][keep.id]
        clock.advance(timedelta(minutes=16))
        assert await Sweeper(deps).run() == 3
        revoked = await rows(deps, Grant, Grant.status == GrantStatus.REVOKED)
        assert {g.id for g in revoked} == {g.id for g in made}
        fixes = await Reconciler(deps).run()
        assert sorted(f.kind for f in fixes) == ["orphan_deleted", "policy_restored"]
        assert sorted(iam.policies[keep.principal_arn]) == [keep.id]


async def test_two_running_schedulers_woken_together_revoke_each_grant_once(
    state_url: str, clock: MovableClock
) -> None:
    catalog, shared, who = catalogs.make_catalog(), FakeIam(), []
    async with (
        replica(state_url, catalog, ReplicaIam(shared, "a", who), clock, "replica-a") as a,
        replica(state_url, catalog, ReplicaIam(shared, "b", who), clock, "replica-b") as b,
    ):
        made = [
            await make_grant(
                (a, b)[i % 2],
                user_id=(catalogs.DEV, catalogs.DEV2)[i % 2],
                duration=timedelta(seconds=2),
            )
            for i in range(20)
        ]
        # Both plan a date job for every grant at start, so both wake at the same moments.
        async with running_scheduler(a, sweep=0.1), running_scheduler(b, sweep=0.1):

            async def all_revoked() -> bool:
                done = await rows(a, Grant, Grant.status == GrantStatus.REVOKED)
                return len(done) == len(made)

            await wait_for(all_revoked, timeout=15)
        assert Counter(shared.detached) == dict.fromkeys((g.id for g in made), 1)
        events = await audit(a, "grant.revoked")
        assert Counter(e.grant_id for e in events) == dict.fromkeys((g.id for g in made), 1)


async def test_replicas_reconciling_at_once_fix_and_report_an_orphan_once(
    state_url: str, clock: MovableClock
) -> None:
    catalog, shared, who = catalogs.make_catalog(), FakeIam(), []
    async with (
        replica(state_url, catalog, ReplicaIam(shared, "a", who), clock, "replica-a") as a,
        replica(state_url, catalog, ReplicaIam(shared, "b", who), clock, "replica-b") as b,
    ):
        made = await make_grant(a)
        shared.policies[made.principal_arn]["gorphan33"] = None
        fixes = await asyncio.gather(Reconciler(a).run(), Reconciler(b).run())
        assert sorted(len(f) for f in fixes) == [0, 1]
        assert shared.policies[made.principal_arn] == {made.id: made.expires_at}
        assert len(await audit(a, "reconcile.orphan_deleted")) == 1
        slacks = [d.slack for d in (a, b)]
        assert isinstance(slacks[0], RecordingSlack) and isinstance(slacks[1], RecordingSlack)
        assert len([t for s in slacks for _, t in s.sent if "Reconciliation" in t]) == 1
