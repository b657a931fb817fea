"""The DELIVER step: a token minted as the user, in a one-time link, DMed once."""

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.catalog.database import DatabaseSpec
from bot.context import Deps, Stopwatch
from bot.domain import CredentialKind, DbCredential, GrantStatus, StepStatus
from bot.errors import DbAccessError, ProviderError, SlackError
from bot.failpoints import boundary, reach
from bot.login_proof import Proof, proof_note, prove_login
from bot.paste import paste_text
from bot.provisioning import database_of, target_of
from bot.slack.blocks import Block
from bot.slack.grant_dms import command_dm, link_dm, link_failed_dm
from bot.steps import earlier_messages_sent
from bot.store import repo
from bot.store import steps_repo as step_store
from bot.store.models import Grant, Step
from bot.store.transactions import transaction

log = logging.getLogger(__name__)
STS = boundary("deliver", "sts")
PRIVATEBIN = boundary("deliver", "privatebin")
SLACK = boundary("deliver", "slack")
COMMIT = boundary("deliver", "commit")


@dataclass(frozen=True)
class Composed:
    """A credential DM made ready but not sent; the token lives in memory only, for the proof."""

    kind: str  # "link", "command" or "failed"
    database: DatabaseSpec
    link: str = ""
    command: str = ""
    problem: str = ""
    credential: DbCredential | None = None

    @property
    def outcome(self) -> str:
        """What the token issue records: delivered, or failed (the DM says why)."""
        return "failed" if self.kind == "failed" else "delivered"

    def message(self, grant: Grant, proof: Proof) -> tuple[list[Block], str]:
        """The DM's blocks and fallback text, saying whether the login was proved."""
        db = self.database
        where = {"host": db.host, "port": db.port, "dbname": db.dbname}
        if self.kind == "command":
            return (
                command_dm(grant, command=self.command, **where),
                delivery_text(grant, "command", True, ""),
            )
        if self.kind == "failed":
            return (
                link_failed_dm(grant, problem=self.problem, **where),
                delivery_text(grant, "link", False, self.problem),
            )
        return (
            link_dm(
                grant, link=self.link, verified=proof.verified, note=proof_note(proof), **where
            ),
            delivery_text(grant, "link", True, "", verified=proof.verified),
        )


def is_live(grant: Grant | None, now: datetime) -> bool:
    """Whether a grant may have tokens: active and not past its end (swept or not)."""
    return (
        grant is not None
        and grant.status == GrantStatus.ACTIVE
        and (grant.expires_at is None or grant.expires_at > now)
    )


class Delivery:
    """Delivers one-time links for live grants; the token is never stored or logged."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def run(self, step: Step) -> list[Step]:
        """Mint, share, DM; a link that cannot be made is explained in the DM instead.

        Run right after the grant was made, the link was prepared meanwhile (`prepared`) and
        the grant row is at hand (`grant`); otherwise both are made here.
        """
        grant: Grant | None = getattr(step, "grant", None)
        if grant is None:
            async with transaction(self._d.sessions) as session:
                grant = await repo.get_grant(session, grant_id=step.grant_id or "")
        if not is_live(grant, self._d.clock()):
            await self._record(step, grant, outcome="skipped")
            return []
        assert grant is not None
        if getattr(step, "recheck", False) and await self._d.slack.find_sent(
            key=step.key, since=step.created_at, user_id=grant.user_id
        ):
            await self._record(step, grant, outcome="delivered")  # sent before a crash
            return []
        prepared = getattr(step, "prepared", None)
        composed: Composed = await (prepared if prepared is not None else self.compose(grant))
        proof = Proof(verified=None)
        if composed.credential is not None:
            # Only now: the grant is active, so the token can open the database.
            proof = await prove_login(self._d, composed.database, grant, composed.credential)
        blocks, text = composed.message(grant, proof)
        outcome = composed.outcome
        await earlier_messages_sent()  # the approval DM before the link, never after
        watch = Stopwatch(self._d.timings)
        await reach(SLACK)
        with watch.step("slack"):
            await self._d.slack.dm(grant.user_id, blocks=blocks, text=text, key=step.key)
        await reach(COMMIT)
        await self._record(step, grant, outcome=outcome, verified=proof.verified)
        return []

    async def compose(self, grant: Grant) -> Composed:
        """The DM's content (link, command, or why there is none) and the token to prove."""
        db = database_of(self._d, grant)
        watch = Stopwatch(self._d.timings)
        try:
            await reach(STS)
            with watch.step("mint"):
                credential = await self._d.minter.mint(db, target_of(grant))
            if credential.kind == CredentialKind.COMMAND:
                return Composed("command", db, command=credential.value)
            text = paste_text(
                db,
                grant_id=grant.id,
                db_user=grant.db_user,
                token=credential.value,
                token_expires=credential.expires_at,
                access_ends=grant.expires_at,
            )
            await reach(PRIVATEBIN)
            with watch.step("share"):
                link = await self._d.share.share(text, expire=self._d.paste_expire)
        except SlackError:
            raise
        except ProviderError as exc:
            return Composed("failed", db, problem=exc.user_message)
        return Composed("link", db, link=link, credential=credential)

    async def _record(
        self, step: Step, grant: Grant | None, *, outcome: str, verified: bool | None = None
    ) -> None:
        now = self._d.clock()
        actor = str(step.payload.get("actor") or "bot")
        async with transaction(self._d.sessions) as session:
            await step_store.finish(
                session, step=step, now=now, payload={**step.payload, "outcome": outcome}
            )
            if grant is None or outcome == "skipped":
                return
            kind = "command" if ":user/" in grant.principal_arn else "link"
            await repo.add_token_issue(
                session,
                grant_id=grant.id,
                at=now,
                actor=actor,
                kind=kind,
                delivered=outcome == "delivered",
            )
            row = await repo.get_grant(session, grant_id=grant.id)
            if row is not None and outcome == "delivered":
                row.last_token_at = now
            await self._d.audit(
                session,
                actor=actor,
                action="token.issued" if outcome == "delivered" else "token.failed",
                database=grant.database,
                grant_id=grant.id,
                kind=kind,
                **({} if verified is None else {"login_verified": verified}),
            )
        self._d.metrics.tokens.labels(outcome).inc()

    async def give_up(self, step: Step, error: DbAccessError) -> list[Step]:
        """The DM can never be sent (the user left Slack, say): record that."""
        async with transaction(self._d.sessions) as session:
            await step_store.finish(
                session,
                step=step,
                now=self._d.clock(),
                status=StepStatus.FAILED,
                error=str(error)[:500],
                payload={**step.payload, "outcome": "failed"},
            )
            await self._d.audit(
                session,
                actor="bot",
                action="token.failed",
                grant_id=step.grant_id,
                error=str(error)[:300],
            )
        self._d.metrics.tokens.labels("failed").inc()
        return []


def delivery_text(
    grant: Grant, kind: str, delivered: bool, problem: str, *, verified: bool | None = None
) -> str:
    """Fallback text of the credential DM: what is ready, never the token or the link."""
    until = (
        "no fixed end"
        if grant.expires_at is None
        else f"until {grant.expires_at:%Y-%m-%d %H:%M} UTC"
    )
    head = f"Your {grant.level} access to {grant.database} (grant {grant.id}, {until})"
    if not delivered:
        return f"{head} is active, but the login link could not be created: {problem}"
    if kind == "command":
        return f"{head} is ready: this message has the command that makes a login token."
    ready = "is ready — verified" if verified else "is ready"
    return f"{head} {ready}: this message has your one-time login link."
