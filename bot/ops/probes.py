"""The lines of `check --online`: how a probe went, and running one with a time limit."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

import aiohttp
from botocore.exceptions import BotoCoreError, ClientError
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.errors import DbAccessError
from bot.ops.probe_failures import Cause, Service

PROBE_TIMEOUT = 15.0
# What a probe of an outside system may raise; anything else is a bug and is not hidden.
EXPECTED = (
    TimeoutError,
    DbAccessError,
    SlackClientError,
    ClientError,
    BotoCoreError,
    OSError,
    aiohttp.ClientError,
)


class Mark(StrEnum):
    """How a probe went."""

    OK = "✓"
    FAILED = "✗"
    NOT_CHECKED = "–"


@dataclass(frozen=True)
class Probe:
    """One line of the report."""

    mark: Mark
    what: str
    detail: str
    cause: Cause | None = None

    def line(self) -> str:
        return f"{self.mark} {self.what}: {self.detail}"


def not_checked(what: str, why: str) -> Probe:
    """A line for a check that could not run, and why."""
    return Probe(Mark.NOT_CHECKED, what, f"not checked — {why}")


def failed(what: str, exc: BaseException, *, service: Service, where: str, fix: str) -> Probe:
    """The line for a probe that raised exc: unreachable or refused, or what it said and fix."""
    found = service.failure(exc, where=where, waited=PROBE_TIMEOUT)
    if found:
        cause, text = found
        return Probe(Mark.FAILED, what, f"{cause} — {text}", cause)
    if isinstance(exc, DbAccessError):
        said = exc.user_message
    elif isinstance(exc, SlackApiError):
        said = f"Slack said {(exc.response or {}).get('error')!r}"
    else:
        said = f"{type(exc).__name__}: {str(exc)[:200]}"
    return Probe(Mark.FAILED, what, f"{said} — {fix}")


async def run_probe(
    what: str, check: Callable[[], Awaitable[str]], *, service: Service, where: str, fix: str
) -> Probe:
    """Run check with a time limit; its answer, or its failure, is one line."""
    try:
        return Probe(Mark.OK, what, await asyncio.wait_for(check(), PROBE_TIMEOUT))
    except EXPECTED as exc:
        return failed(what, exc, service=service, where=where, fix=fix)


def why_not(probe: Probe, system: str, *, refused: str) -> str | None:
    """Why the checks that need probe's system cannot run (None: they can)."""
    if probe.mark is Mark.OK:
        return None
    if probe.cause is None:
        return f"{probe.what} failed"
    if probe.cause.unreachable:
        return f"{system} could not be reached ({probe.cause.reason})"
    if probe.cause is Cause.NO_CREDENTIALS:
        return f"the bot found no {system} credentials"
    return refused
