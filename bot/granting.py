"""Turning an approved request into a live grant, and delivering one-time credentials."""

import logging
from dataclasses import replace
from datetime import timedelta

from bot import repo
from bot.blocks import command_dm, link_dm, link_failed_dm
from bot.catalog import DatabaseSpec
from bot.context import Deps, Stopwatch
from bot.domain import CredentialKind, GrantStatus, GrantTarget, Identity, Level
from bot.durations import format_duration
from bot.errors import DbAccessError, NotFound, ProviderError
from bot.identity import db_user_for, principal_for
from bot.ids import new_id
from bot.models import AccessRequest, Grant
from bot.paste import paste_text
from bot.transactions import transaction

log = logging.getLogger(__name__)


def target_of(grant: Grant) -> GrantTarget:
    """The provider-facing view of a grant row."""
    return GrantTarget(grant_id=grant.id, database=grant.database, level=Level(grant.level),
                       principal_arn=grant.principal_arn, db_user=grant.db_user,
                       user_id=grant.user_id, email=grant.email, handle=grant.handle,
                       expires_at=grant.expires_at)


class Granter:
    """Makes grants (database user, IAM policy) and delivers tokens as one-time links."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    def _database(self, name: str) -> DatabaseSpec:
        database = self._d.catalog.database(name)
        if database is None:
            raise NotFound(f"Database {name} is no longer in the catalog; ask an admin.")
        return database

    async def grant(self, request: AccessRequest) -> Grant:
        """Create the grant for an approved request; its clock starts now."""
        db = self._database(request.database)
        level = Level(request.granted_level or request.level)
        duration = timedelta(seconds=request.granted_duration_s or request.duration_s)
        identity = Identity(request.requester_id, request.requester_email, request.handle, "")
        now = self._d.clock()
        standing = db.levels[level].standing
        grant = Grant(
            id=new_id("g"), request_id=request.id, status=GrantStatus.GRANTING,
            user_id=request.requester_id, email=request.requester_email, handle=request.handle,
            database=db.name, level=level.value, account_id=db.account_id,
            principal_arn=principal_for(self._d.catalog, db, identity, level),
            db_user=db_user_for(self._d.catalog, identity, level), standing=standing,
            created_at=now, expires_at=None if standing else now + duration, attempts=0)
        async with transaction(self._d.sessions) as session:
            session.add(grant)
            await self._d.audit(session, actor="bot", action="grant.started", database=db.name,
                                request_id=request.id, grant_id=grant.id,
                                level=level.value, principal=grant.principal_arn,
                                db_user=grant.db_user, expires_at=str(grant.expires_at))
        await self.apply(grant)
        return grant

    async def apply(self, grant: Grant) -> None:
        """Provision the database user and attach the policy, then mark the grant active."""
        db = self._database(grant.database)
        watch = Stopwatch(self._d.timings)
        try:
            if db.admin is not None:
                with watch.step("db_user"):
                    await self._d.dbadmin.ensure_user(db, db_user=grant.db_user,
                                                      level=db.levels[Level(grant.level)])
            with watch.step("iam"):
                await self._d.iam.attach(db, target_of(grant))
        except DbAccessError as exc:
            await self._abandon(grant, exc)
            raise
        async with transaction(self._d.sessions) as session:
            row = await repo.get_grant(session, grant_id=grant.id, for_update=True)
            if row is None or row.status != GrantStatus.GRANTING:
                return
            row.status, row.granted_at = GrantStatus.ACTIVE, self._d.clock()
            grant.status, grant.granted_at = row.status, row.granted_at
            await self._d.audit(session, actor="bot", action="grant.active", database=db.name,
                                grant_id=grant.id, request_id=grant.request_id)
        self._d.metrics.grants.labels(db.name, grant.level).inc()
        if self._d.on_grant_active is not None:
            result = self._d.on_grant_active(grant.id, grant.expires_at)
            if result is not None:
                await result

    async def _abandon(self, grant: Grant, exc: DbAccessError) -> None:
        """A grant that could not be made is handed to the revoker, so nothing half-made stays."""
        async with transaction(self._d.sessions) as session:
            row = await repo.get_grant(session, grant_id=grant.id, for_update=True)
            if row is not None and row.status == GrantStatus.GRANTING:
                row.status, row.revoke_reason = GrantStatus.REVOKING, "grant_failed"
                row.expires_at, row.last_error = self._d.clock(), str(exc)[:500]
            await self._d.audit(session, actor="bot", action="grant.failed",
                                database=grant.database, grant_id=grant.id,
                                request_id=grant.request_id, error=str(exc)[:500])

    async def extend(self, grant: Grant, request: AccessRequest) -> Grant:
        """Push an active grant's end out by the approved duration (capped at the maximum)."""
        db = self._database(grant.database)
        extra = timedelta(seconds=request.granted_duration_s or request.duration_s)
        now = self._d.clock()
        base = max(grant.expires_at or now, now)
        new_end = min(base + extra, now + db.max_duration)
        await self._d.iam.attach(db, replace(target_of(grant), expires_at=new_end))
        async with transaction(self._d.sessions) as session:
            row = await repo.get_grant(session, grant_id=grant.id, for_update=True)
            if row is None:
                raise NotFound(f"Grant {grant.id} no longer exists.")
            row.expires_at, row.warned_at = new_end, None
            await self._d.audit(session, actor="bot", action="grant.extended", database=db.name,
                                grant_id=grant.id, request_id=request.id,
                                expires_at=str(new_end), added=format_duration(extra))
        if self._d.on_grant_active is not None:
            result = self._d.on_grant_active(grant.id, new_end)
            if result is not None:
                await result
        return row

    async def deliver(self, grant: Grant, *, actor: str) -> bool:
        """Mint a credential as the user and DM it as a one-time link; True when delivered."""
        db = self._database(grant.database)
        watch = Stopwatch(self._d.timings)
        now = self._d.clock()
        where = {"host": db.host, "port": db.port, "dbname": db.dbname}
        kind = "link"
        try:
            with watch.step("mint"):
                credential = await self._d.minter.mint(db, target_of(grant))
            if credential.kind == CredentialKind.COMMAND:
                kind = "command"
                blocks = command_dm(grant, command=credential.value, **where)
            else:
                text = paste_text(db, grant_id=grant.id, db_user=grant.db_user,
                                  token=credential.value, token_expires=credential.expires_at,
                                  access_ends=grant.expires_at)
                with watch.step("share"):
                    link = await self._d.share.share(text, expire=self._d.paste_expire)
                blocks = link_dm(grant, link=link, **where)
            delivered, problem = True, ""
        except ProviderError as exc:
            delivered, problem = False, exc.user_message
            blocks = link_failed_dm(grant, problem=problem, **where)
        with watch.step("slack"):
            await self._d.slack.dm(grant.user_id, blocks=blocks,
                                   text=_delivery_text(grant, kind, delivered, problem))
        async with transaction(self._d.sessions) as session:
            await repo.add_token_issue(session, grant_id=grant.id, at=now, actor=actor,
                                       kind=kind, delivered=delivered)
            row = await repo.get_grant(session, grant_id=grant.id)
            if row is not None and delivered:
                row.last_token_at = now
            await self._d.audit(session, actor=actor,
                                action="token.issued" if delivered else "token.failed",
                                database=grant.database, grant_id=grant.id, kind=kind,
                                **({"error": problem} if problem else {}))
        self._d.metrics.tokens.labels("delivered" if delivered else "failed").inc()
        return delivered


def _delivery_text(grant: Grant, kind: str, delivered: bool, problem: str) -> str:
    """Fallback text of the credential DM: what is ready, never the token or the link."""
    until = "no fixed end" if grant.expires_at is None else \
        f"until {grant.expires_at:%Y-%m-%d %H:%M} UTC"
    head = f"Your {grant.level} access to {grant.database} (grant {grant.id}, {until})"
    if not delivered:
        return f"{head} is active, but the login link could not be created: {problem}"
    if kind == "command":
        return f"{head} is ready: this message has the command that makes a login token."
    return f"{head} is ready: this message has your one-time login link."
