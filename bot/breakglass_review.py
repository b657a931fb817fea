"""Reviewing a break-glass afterwards: Acknowledge, or Flag with a note (the access stays).

Approvers of the database and admins review; the person who broke the glass never reviews
their own. A review is a compare-and-set on the request row, and what it tells people (the
card, the thread reply, the admins' DMs) is written in the same transaction.
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.authorization import UNKNOWN
from bot.domain import ApprovalRule, Review
from bot.effects import Effects
from bot.errors import AlreadyDecided, InputError, NotAuthorized, NotFound, SlackError
from bot.policy import MAX_REASON
from bot.slack.blocks import quoted, section
from bot.slack.breakglass_blocks import flag_modal, flagged_note, grant_note
from bot.store import repo
from bot.store.breakglass_repo import fresh_request, grant_of, record_review
from bot.store.models import AccessRequest
from bot.store.transactions import transaction
from bot.workflow import Workflow


class BreakGlassReviews:
    """Acknowledge and Flag, with their permission rules and audit trail."""

    def __init__(self, workflow: Workflow) -> None:
        self.w = workflow
        self.d = workflow.d

    async def authorize(self, request_id: str, actor_id: str, verb: str) -> AccessRequest:
        """The break-glass, if actor may review it; a refusal is audited, then raised."""
        async with transaction(self.d.sessions) as session:
            request = await repo.get_request(session, request_id=request_id.strip())
        if request is None or request.rule != ApprovalRule.BREAKGLASS:
            raise NotFound(f"There is no break-glass {quoted(request_id, 16)}.")
        refusal = None
        if request.requester_id == actor_id:
            refusal = (
                f"You cannot {verb} your own break-glass; an approver of "
                f"{request.database} or an admin reviews it."
            )
        else:
            refusal = await self._not_a_reviewer(actor_id, request.database, verb)
        if refusal:
            await self.w.note(
                actor_id,
                "breakglass.review_refused",
                database=request.database,
                request_id=request.id,
                attempted=verb,
                why=refusal,
            )
            raise NotAuthorized(refusal)
        return request

    async def _not_a_reviewer(self, actor_id: str, database: str, verb: str) -> str | None:
        """None when actor approves the database or is an admin (asked of Slack now)."""
        db = self.d.catalog.database(database)
        membership = self.d.people.fresh()
        try:
            if (
                db is not None and await membership.is_member(actor_id, db.approvers)
            ) or await membership.is_member(actor_id, self.d.catalog.admins):
                return None
        except SlackError:
            return UNKNOWN.format(verb=f"{verb} the break-glass")
        return f"Only approvers of {database} and admins can {verb} a break-glass."

    async def acknowledge(self, request_id: str, actor_id: str) -> str:
        """Mark a break-glass as seen and fine."""
        with self.w.inflight:
            request = await self.authorize(request_id, actor_id, "acknowledge")
            steps = await self._review(request, actor_id, Review.ACKNOWLEDGED, None, (None,))
            await self.w.lifecycle.steps.run_now(steps)
        return f"Acknowledged break-glass `{request.id}`."

    async def flag_form(self, actor_id: str, request_id: str) -> dict[str, Any]:
        """The modal asking why, only for someone who may review."""
        request = await self.authorize(request_id, actor_id, "flag")
        if request.review == Review.FLAGGED:
            raise AlreadyDecided(_already(request))
        return flag_modal(request)

    async def flag(self, request_id: str, actor_id: str, *, note: str) -> str:
        """Flag a break-glass: the note goes to the card's thread and to the admins."""
        with self.w.inflight:
            request = await self.authorize(request_id, actor_id, "flag")
            steps = await self._review(
                request, actor_id, Review.FLAGGED, note, (None, Review.ACKNOWLEDGED)
            )
            await self.w.lifecycle.steps.run_now(steps)
        return f"Flagged break-glass `{request.id}`; the admins were told."

    async def _review(
        self,
        request: AccessRequest,
        actor_id: str,
        review: Review,
        note: str | None,
        replaces: tuple[Review | None, ...],
    ) -> list[Any]:
        admins = sorted(await self.d.people.members(self.d.catalog.admins) - {actor_id})
        async with transaction(self.d.sessions) as session:
            done = await record_review(
                session,
                request_id=request.id,
                review=review,
                by=actor_id,
                at=self.d.clock(),
                note=note,
                replaces=replaces,
            )
            row = await fresh_request(session, request_id=request.id)
            assert row is not None
            if not done:
                raise AlreadyDecided(_already(row))
            await self.d.audit(
                session,
                actor=actor_id,
                action=f"breakglass.{review}",
                database=row.database,
                request_id=row.id,
                **({"note": note} if note else {}),
            )
            fx = Effects(self.d, session)
            await fx.card(row, [], grant_note(await grant_of(session, request_id=row.id)))
            if review == Review.FLAGGED:
                await self._tell_flagged(session, fx, row, admins)
            await fx.flush()
        self.d.metrics.breakglass_reviews.labels(review.value).inc()
        return fx.steps

    async def _tell_flagged(
        self, session: AsyncSession, fx: Effects, row: AccessRequest, admins: list[str]
    ) -> None:
        text = flagged_note(row)
        fx.post(
            row.card_channel or row.approvals_channel,
            key=f"flagged:{row.id}",
            text=text,
            blocks=[section(text)],
            thread_of=row.id,
        )
        for admin in admins:
            fx.dm(
                admin, key=f"flagged:{row.id}", request_id=row.id, text=text, blocks=[section(text)]
            )


def check_note(text: str | None) -> str:
    """A flag's note: what is wrong, in at most MAX_REASON characters."""
    note = (text or "").strip()
    if not note:
        raise InputError(
            "Say what is wrong with this break-glass; the admins read it.", field="note"
        )
    if len(note) > MAX_REASON:
        raise InputError(
            f"The note is {len(note)} characters; keep it under {MAX_REASON}.", field="note"
        )
    return note


def _already(request: AccessRequest) -> str:
    return (
        f"Break-glass `{request.id}` was already {request.review} by "
        f"<@{request.reviewed_by}>; nothing was changed."
    )
