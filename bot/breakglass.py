"""Break-glass: access at once, without approval, for the people a database lists; loudly.

A break-glass is a request approved by the catalog rule in the transaction that files it, and
carried out like any approval (a new grant and its PROVISION step). The same transaction writes
the loud card, a DM to every admin and the audit row; the review comes afterwards
(bot/breakglass_review.py), and an unreviewed one is re-posted to the admins
(scheduler/breakglass_overdue.py).
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.authorization import UNKNOWN
from bot.carry_out import carry_out
from bot.catalog.database import DatabaseSpec
from bot.catalog.model import Catalog
from bot.domain import ApprovalRule, Identity, RequestKind, RequestStatus
from bot.durations import format_duration, parse_duration
from bot.effects import Effects
from bot.errors import InputError, NotAuthorized, SlackError
from bot.ids import new_id
from bot.policy import ValidRequest, check_database, check_level, check_reason, check_ticket
from bot.slack.blocks import when
from bot.slack.breakglass_blocks import breakglass_alert, breakglass_card_text
from bot.store import repo
from bot.store.models import AccessRequest
from bot.store.transactions import transaction
from bot.workflow import Submitted, Workflow


def check_breakglass(database: DatabaseSpec, level: str, duration: str) -> ValidRequest:
    """Level and duration checked against the database's break-glass rule (reason left empty)."""
    rule = database.breakglass
    if rule is None:
        raise InputError(
            f"{database.name} has no break-glass. Ask for approval instead: "
            f"`/db-access request {database.name} …`.",
            field="database",
        )
    chosen = check_level(database, level)
    if chosen not in rule.levels:
        covered = ", ".join(lv.value for lv in rule.levels)
        raise InputError(
            f"Break-glass on {database.name} covers {covered} only, not {chosen.value}.",
            field="level",
        )
    longest = format_duration(rule.max_duration)
    try:
        span = parse_duration(duration)
    except ValueError:
        raise InputError(
            f"`{duration[:16]}` is not a duration; break-glass on {database.name} "
            f"lasts up to {longest} (e.g. {longest}).",
            field="duration",
        ) from None
    if span > rule.max_duration:
        raise InputError(
            f"Break-glass on {database.name} lasts at most {longest}; ask for {longest} or less.",
            field="duration",
        )
    return ValidRequest(database, chosen, span, "", None)


def validate_breakglass(
    catalog: Catalog,
    *,
    database: str,
    level: str,
    duration: str,
    reason: str | None,
    ticket_url: str | None = None,
) -> ValidRequest:
    """Every field of a break-glass; the first problem raises InputError naming its field."""
    valid = check_breakglass(check_database(catalog, database), level, duration)
    return ValidRequest(
        valid.database, valid.level, valid.duration, check_reason(reason), check_ticket(ticket_url)
    )


class BreakGlass:
    """Takes break-glass access for the people a database's `breakglass.users` lists."""

    def __init__(self, workflow: Workflow) -> None:
        self.w = workflow
        self.d = workflow.d

    async def may_break_glass(self, actor_id: str, database: DatabaseSpec) -> bool:
        """Whether actor is on the database's break-glass list (user groups asked of Slack now).

        NotAuthorized when Slack cannot say: taking access without approval needs a yes.
        """
        rule = database.breakglass
        if rule is None:
            return False
        try:
            return await self.d.people.fresh().is_member(actor_id, rule.users)
        except SlackError:
            raise NotAuthorized(UNKNOWN.format(verb="break the glass")) from None

    async def use(self, actor_id: str, valid: ValidRequest) -> Submitted:
        """Grant at once, tell the approvals channel and every admin; refusals are audited."""
        with self.w.inflight:
            identity = await self.w.identify(actor_id)
            db, level = valid.database, valid.level.value
            try:
                allowed = await self.may_break_glass(actor_id, db)
            except NotAuthorized as exc:
                await self.w.note(
                    actor_id,
                    "breakglass.refused",
                    database=db.name,
                    level=level,
                    why=exc.user_message,
                )
                raise
            if not allowed:
                why = (
                    f"You are not on the break-glass list of {db.name}. Ask for approval "
                    f"instead: `/db-access request {db.name} {level} …`."
                )
                await self.w.note(
                    actor_id, "breakglass.refused", database=db.name, level=level, why=why
                )
                raise NotAuthorized(why)
            await self.w.preflight(identity, valid)
            admins = sorted(await self.d.people.members(self.d.catalog.admins) - {actor_id})
            try:
                request, steps = await self._file(identity, valid, admins)
            except InputError as exc:
                await self.w.note(
                    actor_id,
                    "breakglass.refused",
                    database=db.name,
                    level=level,
                    why=exc.user_message,
                )
                raise
            self.d.metrics.requests.labels(request.kind).inc()
            self.d.metrics.decisions.labels("breakglass").inc()
            self.d.metrics.breakglass.labels(db.name, level).inc()
            await self.w.lifecycle.steps.run_now(steps)
        span = format_duration(valid.duration)
        return Submitted(
            request.id,
            (
                f":rotating_light: Break-glass `{request.id}`: you have `{level}` on `{db.name}` "
                f"for {span}; your login link is in your DMs. The admins were alerted, and an "
                f"approver of {db.name} will review it."
            ),
        )

    async def _file(
        self, identity: Identity, valid: ValidRequest, admins: list[str]
    ) -> tuple[AccessRequest, list[Any]]:
        """The approved request, its card, the admins' DMs and the grant, in one transaction."""
        db, rule = valid.database, valid.database.breakglass
        assert rule is not None
        async with transaction(self.d.sessions) as session:
            await _refuse_held(session, identity.user_id, valid)
            now = self.d.clock()
            seconds = int(valid.duration.total_seconds())
            request = AccessRequest(
                id=new_id("r"),
                kind=RequestKind.NEW,
                status=RequestStatus.APPROVED,
                requester_id=identity.user_id,
                requester_email=identity.email,
                handle=identity.handle,
                database=db.name,
                level=valid.level.value,
                duration_s=seconds,
                reason=valid.reason,
                ticket_url=valid.ticket_url,
                approvals_required=0,
                approvals_channel=db.approvals_channel,
                version=0,
                created_at=now,
                expires_at=now,
                decided_at=now,
                decided_by=identity.user_id,
                granted_level=valid.level.value,
                granted_duration_s=seconds,
                rule=ApprovalRule.BREAKGLASS,
                review_due_at=now + rule.review_within,
            )
            session.add(request)
            await session.flush()
            await self.d.audit(
                session,
                actor=identity.user_id,
                action="request.submitted",
                database=db.name,
                request_id=request.id,
                kind=request.kind,
                level=request.level,
                duration=format_duration(valid.duration),
                outcome="breakglass",
            )
            await self.d.audit(
                session,
                actor=identity.user_id,
                action="breakglass.used",
                database=db.name,
                request_id=request.id,
                level=request.level,
                duration=format_duration(valid.duration),
                review_due_at=str(request.review_due_at),
                admins=admins,
            )
            fx = Effects(self.d, session)
            await fx.card(request, [])
            for admin in admins:
                fx.dm(
                    admin,
                    key=f"breakglass:{request.id}",
                    request_id=request.id,
                    text=breakglass_card_text(request),
                    blocks=breakglass_alert(request),
                )
            await carry_out(self.d, session, fx, request, approver=identity.user_id)
            await fx.flush()
        return request, fx.steps


async def _refuse_held(session: AsyncSession, user_id: str, valid: ValidRequest) -> None:
    """Break-glass is for access one does not have; a held grant is extended as usual."""
    held = await repo.active_grant_for(
        session, user_id=user_id, database=valid.database.name, level=valid.level.value
    )
    if held is not None:
        end = when(held.expires_at) if held.expires_at else "no fixed end"
        raise InputError(
            f"You already hold {held.level} on {held.database} (grant `{held.id}`, "
            f"until {end}); break-glass is for access you do not have. "
            f"For more time: `/db-access extend {held.id} <duration>`."
        )
