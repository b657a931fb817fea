"""What people do with grants and history: list, new token, extend, revoke, audit, home, forms."""

from collections.abc import Sequence
from typing import Any

from bot.authorization import audit_readers, revoker_refusal
from bot.catalog.database import DatabaseSpec
from bot.delivery import is_live
from bot.domain import GrantStatus, Level
from bot.durations import parse_duration
from bot.effects import Effects
from bot.errors import InputError, NotAuthorized, NotFound
from bot.ids import new_id
from bot.policy import ValidRequest, check_duration, check_reason
from bot.requesters import nothing_requestable, requestable
from bot.revoking import Revoked
from bot.slack.blocks import Block, quoted, when
from bot.slack.breakglass_blocks import unreviewed_blocks
from bot.slack.views import deny_modal, extend_modal, narrow_modal, request_modal
from bot.slack.views_audit import COUNTED_AT_MOST, audit_blocks, event_count
from bot.slack.views_elements import database_options
from bot.slack.views_home import home_view, my_access, my_access_text
from bot.store import audit_repo, repo
from bot.store import breakglass_repo as breakglass_store
from bot.store import steps_repo as step_store
from bot.store.models import Grant
from bot.store.transactions import transaction
from bot.workflow import Submitted, Workflow

DEFAULT_AUDIT_SINCE = "7d"
HELD = (GrantStatus.ACTIVE, GrantStatus.SCHEDULED)  # shown in `list` and the App Home
SCOPE_NAMES = 5  # databases named in an audit heading before "and N more"


def _scope_of(databases: list[str]) -> str:
    """The heading's list of databases an approver approves, short however many there are."""
    named = ", ".join(databases[:SCOPE_NAMES])
    left = len(databases) - SCOPE_NAMES
    return f"for {named}" + (f" and {left} more" if left > 0 else "")


class GrantOps:
    """Grant-level operations with their permission rules."""

    def __init__(self, workflow: Workflow) -> None:
        self.w = workflow
        self.d = workflow.d

    async def _grant(self, grant_id: str) -> tuple[Grant, DatabaseSpec]:
        async with transaction(self.d.sessions) as session:
            grant = await repo.get_grant(session, grant_id=grant_id.strip())
        if grant is None:
            raise NotFound(
                f"There is no grant {quoted(grant_id, 16)}. `/db-access list` shows yours."
            )
        database = self.d.catalog.database(grant.database)
        if database is None:
            raise NotFound(f"Database {grant.database} is no longer in the catalog.")
        return grant, database

    async def _refuse(self, actor_id: str, action: str, grant: Grant, message: str) -> None:
        async with transaction(self.d.sessions) as session:
            await self.d.audit(
                session,
                actor=actor_id,
                action=f"{action}.refused",
                database=grant.database,
                grant_id=grant.id,
                why=message,
            )
        raise NotAuthorized(message)

    async def _holder(
        self, actor_id: str, grant_id: str, action: str
    ) -> tuple[Grant, DatabaseSpec]:
        grant, database = await self._grant(grant_id)
        if grant.user_id != actor_id:
            await self._refuse(
                actor_id,
                action,
                grant,
                f"Grant `{grant.id}` is not yours; only its holder can do that.",
            )
        if grant.status == GrantStatus.SCHEDULED:
            raise InputError(
                f"Grant `{grant.id}` starts {when(grant.starts_at)}; its login "
                "link comes then (nothing to mint or extend before). "
                f"`/db-access revoke {grant.id}` cancels it."
            )
        if grant.status != GrantStatus.ACTIVE:
            raise InputError(
                f"Grant `{grant.id}` is {grant.status}, not active. "
                "Request access again with `/db-access`."
            )
        if not is_live(grant, self.d.clock()):
            raise InputError(
                f"Grant `{grant.id}` ended {when(grant.expires_at)} and is being "
                "revoked. Request access again with `/db-access`."
            )
        return grant, database

    async def list_mine(self, actor_id: str) -> tuple[list[Block], str]:
        """My active grants (with buttons) and pending requests, as blocks and fallback text."""
        async with transaction(self.d.sessions) as session:
            grants = await repo.grants_of_user(session, user_id=actor_id, statuses=HELD)
            bundle_of = await repo.bundles_of_requests(
                session, request_ids=[g.request_id for g in grants]
            )
            pending = await repo.pending_requests(session, requester_id=actor_id)
            await self.d.audit(session, actor=actor_id, action="command.list")
        now = self.d.clock()
        return my_access(grants, pending, now, bundle_of), my_access_text(grants, pending, now)

    async def new_token(self, actor_id: str, grant_id: str) -> str:
        """Mint and DM a fresh one-time link for the actor's live grant."""
        with self.w.inflight:
            grant, _ = await self._holder(actor_id, grant_id, "token")
            async with transaction(self.d.sessions) as session:
                fx = Effects(self.d, session)
                step = fx.deliver(grant, key=new_id("t"), actor=actor_id)
                await fx.flush()
            await self.w.lifecycle.steps.run_now(fx.steps)
            async with transaction(self.d.sessions) as session:
                done = await step_store.get_step(session, step_id=step.id)
            outcome = (done.payload if done else {}).get("outcome")
            if outcome == "delivered":
                return "A fresh one-time link is in your DMs."
            if outcome == "failed":
                return "The grant is active but the link could not be created; see your DMs."
            if outcome == "skipped":
                return f"Grant `{grant.id}` ended meanwhile; no link was made."
            return "Slack is slow right now; your link will arrive in your DMs shortly."

    async def extend(
        self, actor_id: str, grant_id: str, duration: str, reason: str | None = None
    ) -> Submitted:
        """File an extension request for the actor's grant through the usual approval rules."""
        grant, database = await self._extendable(actor_id, grant_id)
        async with transaction(self.d.sessions) as session:
            pending = await repo.pending_extension(session, grant_id=grant.id)
            original = await repo.get_request(session, request_id=grant.request_id)
        if pending is not None:
            raise InputError(
                f"Extension `{pending.id}` of grant `{grant.id}` is already waiting for approval."
            )
        extra = check_duration(database, duration)
        why = check_reason(reason or (original.reason if original else "extension"))
        valid = ValidRequest(
            database, Level(grant.level), extra, why, original.ticket_url if original else None
        )
        return await self.w.submit(actor_id, valid)

    async def revoke(self, actor_id: str, grant_id: str) -> Revoked:
        """End a grant now: its holder, an approver of its database, or an admin."""
        with self.w.inflight:
            grant, database = await self._grant(grant_id)
            if grant.user_id != actor_id:
                refusal = await revoker_refusal(
                    self.d.people, actor_id, database, self.d.catalog.admins
                )
                if refusal:
                    await self._refuse(actor_id, "revoke", grant, refusal)
            return await self.w.revoker.revoke(grant.id, reason="revoked", actor=actor_id)

    async def audit(
        self, actor_id: str, database: str | None, since: str | None
    ) -> tuple[list[Block], str]:
        """Recent audit events for admins, and for approvers on the databases they approve."""
        if database is not None and self.d.catalog.database(database) is None:
            known = ", ".join(sorted(self.d.catalog.databases))
            raise InputError(f"Unknown database {quoted(database)}. Known databases: {known}.")
        try:
            window = parse_duration(since or DEFAULT_AUDIT_SINCE)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        scope_dbs = (
            [self.d.catalog.databases[database]]
            if database
            else list(self.d.catalog.databases.values())
        )
        admin, approves, unknown = await audit_readers(
            self.d.people, actor_id, self.d.catalog.admins, scope_dbs
        )
        allowed = admin or bool(approves)
        async with transaction(self.d.sessions) as session:
            await self.d.audit(
                session,
                actor=actor_id,
                action="command.audit" if allowed else "audit.refused",
                database=database,
                **({"why": unknown} if unknown else {}),
            )
        if not allowed:
            raise NotAuthorized(
                unknown or "Only approvers (of that database) and admins can read the audit trail."
            )
        start = self.d.clock() - window
        # An approver sees the history of the databases they approve, not all of it.
        databases = [database] if database and admin else None if admin else approves
        async with transaction(self.d.sessions) as session:
            events = await audit_repo.audit_events(session, since=start, databases=databases)
            total = await audit_repo.count_audit_events(
                session, since=start, databases=databases, at_most=COUNTED_AT_MOST
            )
            # Break-glass nobody reviewed yet comes first, whatever its age.
            unreviewed = await breakglass_store.unreviewed(session, databases=databases)
        scope = (
            f"for {database}" if database else "for all databases" if admin else _scope_of(approves)
        )
        scope = f"{scope}, last {since or DEFAULT_AUDIT_SINCE}"
        waiting = f", {len(unreviewed)} unreviewed break-glass" if unreviewed else ""
        return (
            unreviewed_blocks(unreviewed) + audit_blocks(events, scope=scope, total=total),
            f"Audit trail {scope}: {len(events)} of "
            f"{event_count(total, capped=total >= COUNTED_AT_MOST)} event(s){waiting}",
        )

    async def home(self, actor_id: str) -> dict[str, Any]:
        """The actor's App Home view."""
        async with transaction(self.d.sessions) as session:
            grants = await repo.grants_of_user(session, user_id=actor_id, statuses=HELD)
            bundle_of = await repo.bundles_of_requests(
                session, request_ids=[g.request_id for g in grants]
            )
            pending = await repo.pending_requests(session, requester_id=actor_id)
            approves = [
                db.name
                for db in self.d.catalog.databases.values()
                if await self.d.people.is_member(actor_id, db.approvers)
            ]
            waiting = None
            if approves:
                # Not their own requests, nor those they already approved (waiting on others).
                waiting = [
                    r
                    for r in await repo.pending_requests(session, databases=approves)
                    if r.requester_id != actor_id
                    and not any(
                        d.approver_id == actor_id
                        for d in await repo.decisions(session, request_id=r.id)
                    )
                ]
        return home_view(grants, pending, waiting, self.d.clock(), bundle_of)

    # -- forms ---------------------------------------------------------------------------------

    async def open_request_form(self, actor_id: str) -> dict[str, Any]:
        """The request modal, for someone the bot can map to an AWS role (not a guest)."""
        await self.w.identify(actor_id)
        return await self.request_form(actor_id=actor_id)

    async def request_form(
        self, databases: str | Sequence[str] | None = None, *, actor_id: str
    ) -> dict[str, Any]:
        """The request modal offering the databases actor_id may request, some of them chosen;
        level and duration offer what the chosen ones share."""
        offered = await requestable(self.d.catalog, actor_id, self.d.people.is_member)
        if not offered:
            raise NotAuthorized(nothing_requestable(self.d.catalog))
        names = [databases] if isinstance(databases, str) else list(databases or [])
        chosen = [db for name in names for db in offered if db.name == name] or [offered[0]]
        return request_modal(self.d.catalog, chosen, offered)

    async def database_choices(self, typed: str, *, actor_id: str) -> dict[str, Any]:
        """The databases actor_id may request that the form's search offers for typed text."""
        offered = await requestable(self.d.catalog, actor_id, self.d.people.is_member)
        return database_options(self.d.catalog, typed, offered)

    async def deny_form(self, actor_id: str, request_id: str) -> dict[str, Any]:
        """The deny modal, only for someone who may decide."""
        request, _ = await self.w.authorize_decision(request_id, actor_id, "deny")
        return deny_modal(request)

    async def narrow_form(self, actor_id: str, request_id: str) -> dict[str, Any]:
        """The approve-with-changes modal, only for someone who may decide."""
        request, database = await self.w.authorize_decision(request_id, actor_id, "approve")
        return narrow_modal(request, database)

    async def extend_form(self, actor_id: str, grant_id: str) -> dict[str, Any]:
        """The extend modal for the actor's own active grant."""
        grant, database = await self._extendable(actor_id, grant_id)
        return extend_modal(grant, database)

    async def _extendable(self, actor_id: str, grant_id: str) -> tuple[Grant, DatabaseSpec]:
        """The actor's live grant, if it has an end to move."""
        grant, database = await self._holder(actor_id, grant_id, "extend")
        if grant.standing or grant.expires_at is None:
            raise InputError(
                f"Grant `{grant.id}` is standing (it has no end), so there is nothing to extend."
            )
        return grant, database
