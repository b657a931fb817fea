"""The MESSAGE step (the outbox): send one Slack message once, whatever fails in between."""

import logging
from typing import Any

from bot.bundles import card_holder
from bot.context import Deps
from bot.domain import MessageRef, StepStatus
from bot.effects import Effects
from bot.errors import DbAccessError, SlackError
from bot.failpoints import boundary, reach
from bot.steps import LEASE, earlier_messages_sent
from bot.store import repo
from bot.store import steps_repo as step_store
from bot.store.models import Step
from bot.store.transactions import transaction
from bot.unreachable import approvers_unreachable

log = logging.getLogger(__name__)
SLACK = boundary("message", "slack")
COMMIT = boundary("message", "commit")
CHANNEL_PROBLEMS = {"not_in_channel", "channel_not_found", "is_archived"}


class Messages:
    """Sends outbox messages: DMs, channel posts, thread replies and approval cards."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def run(self, step: Step) -> list[Step]:
        """Send the message (unless an earlier attempt already did) and record it sent."""
        await earlier_messages_sent()
        p: dict[str, Any] = step.payload
        card_ref: MessageRef | None = None
        if p["to"] == "card":
            card_ref = await self._send_card(step, p)
        elif p["to"] == "user":
            if not await self._already_sent(step, user_id=p["user"]):
                await reach(SLACK)
                await self._d.slack.dm(p["user"], text=p["text"], blocks=p["blocks"], key=step.key)
        else:
            channel, thread_ts = await self._where(step, p)
            if not await self._already_sent(step, channel=channel, thread_ts=thread_ts):
                await reach(SLACK)
                await self._d.slack.post(
                    channel, text=p["text"], blocks=p["blocks"], thread_ts=thread_ts, key=step.key
                )
        await reach(COMMIT)
        async with transaction(self._d.sessions) as session:
            if card_ref is not None and step.request_id:
                request = await repo.get_request(session, request_id=step.request_id)
                if request is not None and not request.card_ts:
                    request.card_channel, request.card_ts = card_ref.channel, card_ref.ts
            if await step_store.finish(session, step=step, now=self._d.clock()):
                return []
            # The content was replaced while this version went out: send the newest now.
            return await step_store.claim_due(
                session,
                owner=self._d.owner,
                now=self._d.clock(),
                lease=LEASE,
                limit=1,
                ids=[step.id],
            )

    async def _send_card(self, step: Step, p: dict[str, Any]) -> MessageRef | None:
        """Post the card the first time (returning where), update it in place after that."""
        async with transaction(self._d.sessions) as session:
            request = await repo.get_request(session, request_id=step.request_id or "")
        if request is not None and request.card_channel and request.card_ts:
            await reach(SLACK)
            await self._d.slack.update(
                MessageRef(request.card_channel, request.card_ts),
                text=p["text"],
                blocks=p["blocks"],
            )
            return None
        found = await self._already_sent(step, channel=p["channel"])
        if found is not None:
            # Posted before a crash could record it: record it, then bring it up to date.
            await self._d.slack.update(found, text=p["text"], blocks=p["blocks"])
            return found
        await reach(SLACK)
        return await self._d.slack.post(
            p["channel"], text=p["text"], blocks=p["blocks"], key=step.key
        )

    async def _where(self, step: Step, p: dict[str, Any]) -> tuple[str, str | None]:
        """A channel post goes where it says; a thread reply goes under the request's card."""
        if p["to"] != "thread" or not step.request_id:
            return p["channel"], None
        async with transaction(self._d.sessions) as session:
            request = await repo.get_request(session, request_id=step.request_id)
            if request is not None:
                request = await card_holder(session, request)  # several databases, one card
        if request is None or not request.card_ts:
            return p["channel"], None
        return request.card_channel or p["channel"], request.card_ts

    async def _already_sent(
        self,
        step: Step,
        *,
        channel: str | None = None,
        user_id: str | None = None,
        thread_ts: str | None = None,
    ) -> MessageRef | None:
        """After an attempt with an unknown outcome, the copy Slack already has, if any."""
        if not getattr(step, "recheck", False):
            return None
        return await self._d.slack.find_sent(
            key=step.key,
            since=step.created_at,
            channel=channel,
            user_id=user_id,
            thread_ts=thread_ts,
        )

    async def give_up(self, step: Step, error: DbAccessError) -> list[Step]:
        """A message Slack will never take: record it; a card nobody can see frees its request."""
        code = error.code if isinstance(error, SlackError) else ""
        unreachable = step.payload.get("to") == "card" and code in CHANNEL_PROBLEMS
        admins = await self._d.people.members(self._d.catalog.admins) if unreachable else []
        async with transaction(self._d.sessions) as session:
            fx = Effects(self._d, session)
            await step_store.finish(
                session,
                step=step,
                now=self._d.clock(),
                status=StepStatus.FAILED,
                error=str(error)[:500],
            )
            await self._d.audit(
                session,
                actor="bot",
                action="message.undeliverable",
                request_id=step.request_id,
                key=step.key,
                error=str(error)[:300],
            )
            if unreachable and step.request_id:
                await approvers_unreachable(
                    self._d,
                    fx,
                    session,
                    request_id=step.request_id,
                    channel=step.payload["channel"],
                    code=code,
                    admins=sorted(admins),
                )
            await fx.flush()
        return fx.steps
