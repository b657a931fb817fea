"""One Slack user id, one handle, for good: two people never share an IAM role or database user."""

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Deps
from bot.domain import Identity
from bot.effects import Effects
from bot.errors import IdentityError
from bot.slack.blocks import escape, section
from bot.steps import StepRunner
from bot.store.models import AuditEvent, IdentityBinding, Step
from bot.store.transactions import transaction

COLLISION = "identity.collision"


async def bind(deps: Deps, identity: Identity, steps: StepRunner) -> Identity:
    """The identity with the handle bound to its user id; a free handle is bound now.

    The Slack user id is the identity and the email only the lookup: after an email change
    the user keeps the handle bound first. A handle bound to another user id is refused (and
    the admins are told once, through the outbox), because that person's role and database
    user would be shared.
    """
    for attempt in range(2):
        try:
            return await _bind_once(deps, identity, steps)
        except IntegrityError:
            if attempt:
                raise
            # Someone bound this handle (or this user) a moment ago: look again.
    raise AssertionError("unreachable")


async def _bind_once(deps: Deps, identity: Identity, steps: StepRunner) -> Identity:
    notice: list[Step] = []
    async with transaction(deps.sessions) as session:
        mine = await session.scalar(
            select(IdentityBinding).where(IdentityBinding.user_id == identity.user_id)
        )
        if mine is not None:
            return (
                identity
                if mine.handle == identity.handle
                else replace(identity, handle=mine.handle)
            )
        owner = await session.get(IdentityBinding, identity.handle)
        if owner is not None and owner.user_id == identity.user_id:
            # Bound by a concurrent request of this same person between the two reads.
            return identity
        if owner is None:
            session.add(
                IdentityBinding(
                    handle=identity.handle,
                    user_id=identity.user_id,
                    email=identity.email,
                    bound_at=deps.clock(),
                )
            )
            await deps.audit(
                session,
                actor=identity.user_id,
                action="identity.bound",
                handle=identity.handle,
                email=identity.email,
            )
            await session.flush()  # a concurrent binding fails here, inside the retry
            return identity
        if not await _reported(session, identity.user_id, identity.handle):
            await deps.audit(
                session,
                actor=identity.user_id,
                action=COLLISION,
                handle=identity.handle,
                email=identity.email,
                owner=owner.user_id,
            )
            notice.append(_tell_admins(Effects(deps, session), deps, identity, owner.user_id))
    await steps.run_now(notice)
    raise IdentityError(
        f"Your Slack account maps to the handle `{identity.handle}`, which already belongs to "
        "another person, so I cannot give you access with it. I told the admins: they can "
        "give you your own handle with an identity.overrides entry for "
        f"{_shown(identity.email)} in the catalog.",
        code="handle_taken",
    )


def _shown(email: str) -> str:
    """An email address as inert text that cannot close a code span."""
    return escape(email.replace("`", "'"), 320)


async def _reported(session: AsyncSession, user_id: str, handle: str) -> bool:
    """Whether the admins were already told that user_id collides on handle."""
    earlier = await session.scalars(
        select(AuditEvent).where(AuditEvent.actor == user_id, AuditEvent.action == COLLISION)
    )
    return any(event.details.get("handle") == handle for event in earlier)


def _tell_admins(fx: Effects, deps: Deps, identity: Identity, owner_id: str) -> Step:
    """The collision and its fix, as a message step for the default approvals channel."""
    email, handle = _shown(identity.email), identity.handle
    text = (
        f":warning: <@{identity.user_id}> ({email}) maps to the handle `{handle}`, which "
        f"belongs to <@{owner_id}>. I refused them. If they are a different person, give "
        f"them their own handle in the catalog: identity.overrides: "
        f'`"{email}": {{handle: <new handle>}}`.'
    )
    return fx.post(
        deps.catalog.approvals_channel,
        key=f"collision:{identity.user_id}:{handle}",
        text=text,
        blocks=[section(text)],
    )
