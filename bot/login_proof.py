"""Proof that a fresh grant works: log in as the user with the new token before saying "ready".

IAM changes take seconds to reach RDS authentication, so a first login right after the grant
may be refused (`PAM authentication failed`). The DELIVER step retries a refused login with
backoff for up to VERIFY_LOGIN_TIMEOUT seconds; past that, or at once when the database cannot
be reached at all, the link goes out with a note instead.
"""

import asyncio
import logging
import time
from dataclasses import dataclass

from bot.catalog.database import DatabaseSpec
from bot.context import Deps, Stopwatch
from bot.domain import CredentialKind, DbCredential
from bot.errors import LoginCheckError
from bot.failpoints import boundary, reach
from bot.store.models import Grant

log = logging.getLogger(__name__)
LOGIN = boundary("deliver", "login")
FIRST_PAUSE, MAX_PAUSE = 0.25, 1.0  # a refusal costs at most a second more than it lasts
ATTEMPT_TIMEOUT = 10.0  # one login attempt; the whole proof is bounded by the setting


@dataclass(frozen=True)
class Proof:
    """How the login went: verified, not verified within the limit, or not tried (None)."""

    verified: bool | None
    attempts: int = 0
    refused: bool = False  # the database said no (rather than: could not be reached)
    problem: str = ""  # the last failure, safe to show (never the token)


def applies(deps: Deps, database: DatabaseSpec, credential: DbCredential) -> bool:
    """Whether to prove this credential: a token, a verifier, and no opt-out."""
    return (
        deps.logins is not None
        and database.verify_login
        and credential.kind == CredentialKind.TOKEN
    )


async def prove_login(
    deps: Deps, database: DatabaseSpec, grant: Grant, credential: DbCredential
) -> Proof:
    """Log in as the grant's user with the token, retrying until it works or time is up."""
    if not applies(deps, database, credential):
        return Proof(verified=None)
    assert deps.logins is not None
    await reach(LOGIN)
    deadline = time.monotonic() + deps.verify_timeout
    pause, attempts = FIRST_PAUSE, 0
    with Stopwatch(deps.timings).step("verify"):
        while True:
            attempts += 1
            left = deadline - time.monotonic()
            try:
                await deps.logins.try_login(
                    database,
                    db_user=grant.db_user,
                    password=credential.value,
                    seconds=max(1.0, min(ATTEMPT_TIMEOUT, left)),
                )
                return Proof(verified=True, attempts=attempts)
            except LoginCheckError as exc:
                last = exc
            # Only a refusal passes with time (IAM propagating); no route or a TLS failure
            # will not, so the link goes out at once with a note instead of after the limit.
            if not last.refused or time.monotonic() + pause >= deadline:
                break
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE)
    log.info(
        "the first login was not verified; sending the link with a note",
        extra={
            "grant_id": grant.id,
            "attempts": attempts,
            "refused": last.refused,
            "error": str(last)[:300],
        },
    )
    return Proof(verified=False, attempts=attempts, refused=last.refused, problem=last.user_message)


def proof_note(proof: Proof) -> str:
    """What the link DM adds when the login could not be proved in time ('' otherwise)."""
    if proof.verified is not False:
        return ""
    why = (
        "the database still refused the token when I tried it"
        if proof.refused
        else f"I could not check it myself ({proof.problem[:200]})"
    )
    return (
        ":hourglass_flowing_sand: Not verified yet: " + why + ". IAM changes can take a "
        "minute to reach the database, so if your first login is refused (e.g. `PAM "
        "authentication failed`), wait a moment and try again."
    )
