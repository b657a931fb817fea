"""The durable effects a transaction commits to: steps written with the decision that needs them.

    async with transaction(deps.sessions) as session:
        fx = Effects(deps, session)
        request.status = APPROVED
        fx.provision(grant)
        fx.dm(request.requester_id, key=f"approved:{request.id}", text="…")
    await deps.steps.run_now(fx.steps)   # the scheduler runs them if this process dies here

Each step is leased to this instance when written, so it runs inline at once; if the instance
dies, the lease lapses and any replica's scheduler picks the step up.
"""

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.bundles import card_payloads
from bot.context import Deps
from bot.domain import ApprovalRule, StepKind
from bot.slack.blocks import Block, approval_card, card_text
from bot.slack.breakglass_blocks import breakglass_card, breakglass_card_text
from bot.store import steps_repo as step_store
from bot.store.models import AccessRequest, ApprovalDecision, Grant, Step

LEASE = timedelta(minutes=2)


def provision_key(grant_id: str) -> str:
    """The key of the step that makes a grant (its lease holder is named after it)."""
    return f"provision:{grant_id}"


class Effects:
    """Collects the steps one transaction writes, in the order they should run."""

    def __init__(self, deps: Deps, session: AsyncSession) -> None:
        self._d, self._session = deps, session
        self.steps: list[Step] = []

    def _add(self, kind: StepKind, key: str, **fields: Any) -> Step:
        step = step_store.new_step(
            kind=kind, key=key, now=self._d.clock(), owner=self._d.owner, lease=LEASE, **fields
        )
        self._session.add(step)
        self.steps.append(step)
        return step

    def provision(self, grant: Grant) -> Step:
        """Make the grant: database user and IAM policy, then mark it active."""
        return self._add(
            StepKind.PROVISION,
            provision_key(grant.id),
            grant_id=grant.id,
            request_id=grant.request_id,
        )

    def extend(self, grant: Grant, request: AccessRequest, *, old_end: str) -> Step:
        """Re-write an active grant's policy with the end its row now has."""
        return self._add(
            StepKind.EXTEND,
            f"extend:{request.id}",
            grant_id=grant.id,
            request_id=request.id,
            payload={"old_end": old_end},
        )

    def deliver(self, grant: Grant, *, key: str, actor: str) -> Step:
        """Mint a token as the user and DM it as a one-time link."""
        return self._add(
            StepKind.DELIVER,
            f"deliver:{grant.id}:{key}",
            grant_id=grant.id,
            request_id=grant.request_id,
            payload={"actor": actor},
        )

    def dm(
        self,
        user_id: str,
        *,
        key: str,
        text: str,
        blocks: list[Block] | None = None,
        request_id: str | None = None,
    ) -> Step:
        """A direct message to a person."""
        return self._add(
            StepKind.MESSAGE,
            f"dm:{user_id}:{key}",
            request_id=request_id,
            payload={"to": "user", "user": user_id, "text": text, "blocks": blocks or []},
        )

    def post(
        self,
        channel: str,
        *,
        key: str,
        text: str,
        blocks: list[Block] | None = None,
        thread_of: str | None = None,
    ) -> Step:
        """A message in a channel (in the thread of a request's card when thread_of is given)."""
        return self._add(
            StepKind.MESSAGE,
            f"post:{channel}:{key}",
            request_id=thread_of,
            payload={
                "to": "thread" if thread_of else "channel",
                "channel": channel,
                "text": text,
                "blocks": blocks or [],
            },
        )

    async def card(
        self, request: AccessRequest, decisions: list[ApprovalDecision], note: str = ""
    ) -> Step:
        """The request's approval card as it should look now (posted once, then updated).

        A database of a several-database request shows on its request's one card (read
        afresh, decisions and all), so whatever changes one part updates that card.
        """
        if request.bundle_id:
            warnings = {
                db.name: db.warning for db in self._d.catalog.databases.values() if db.warning
            }
            cards = await card_payloads(self._session, request, note, warnings)
        else:
            db = self._d.catalog.database(request.database)
            if request.rule == ApprovalRule.BREAKGLASS:
                text, blocks = breakglass_card_text(request), breakglass_card(request, note)
            else:
                text = card_text(request)
                blocks = approval_card(request, decisions, note, warning=db.warning if db else None)
            cards = [
                (
                    f"card:{request.id}",
                    request.id,
                    {
                        "to": "card",
                        "channel": request.approvals_channel,
                        "text": text,
                        "blocks": blocks,
                    },
                )
            ]
        steps = []
        for key, holder_id, payload in cards:
            step, leased = await step_store.replace_message(
                self._session,
                key=key,
                request_id=holder_id,
                payload=payload,
                now=self._d.clock(),
                owner=self._d.owner,
                lease=LEASE,
            )
            if leased and step not in self.steps:
                self.steps.append(step)
            steps.append(step)
        return steps[0]

    async def flush(self) -> None:
        """Write the steps now, so their ids are known before the transaction ends."""
        await self._session.flush()
