"""Named boundaries between the lifecycle's side effects, where tests inject faults.

Every boundary a durable step crosses is declared here with `boundary()`; the crash-matrix test
walks `BOUNDARIES`, so a new boundary is covered as soon as it is declared. In production no
fault is armed and `reach()` costs one dictionary lookup. A test process arms faults through
the environment (`DB_ACCESS_BOT_FAILPOINTS="provision.attach=kill"`) or `arm()`.
"""

import logging
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.errors import ProviderError

log = logging.getLogger(__name__)
ENV = "DB_ACCESS_BOT_FAILPOINTS"


@dataclass(frozen=True)
class Boundary:
    """A point just before a side effect (or before the commit that records them)."""

    name: str
    step: str
    before: str  # what happens next: "iam", "database", "sts", "privatebin", "slack", "commit"


BOUNDARIES: dict[str, Boundary] = {}
Fault = Callable[[Boundary], Awaitable[None]]
_armed: dict[str, Fault] = {}


def boundary(step: str, before: str) -> str:
    """Declare the boundary `<step>.<before>` and return its name."""
    name = f"{step}.{before}"
    BOUNDARIES[name] = Boundary(name, step, before)
    return name


async def reach(name: str) -> None:
    """Mark that execution reached a boundary; an armed fault fires here."""
    fault = _armed.get(name)
    if fault is not None:
        await fault(BOUNDARIES[name])


class InjectedFault(ProviderError):
    """A provider failure injected at a boundary (retryable, like a throttle or an outage)."""


async def kill(point: Boundary) -> None:
    """Die at once, like SIGKILL or a lost node: nothing after this line runs."""
    log.warning("failpoint: killing the process", extra={"failpoint": point.name})
    os.kill(os.getpid(), signal.SIGKILL)


async def fail(point: Boundary) -> None:
    """Fail like the outside system that comes next would."""
    raise InjectedFault(f"injected failure before {point.before} at {point.name}")


FAULTS: dict[str, Fault] = {"kill": kill, "raise": fail}


def arm(name: str, fault: Fault, *, times: int = 1) -> None:
    """Make the next `times` arrivals at a boundary run fault."""
    if name not in BOUNDARIES:
        raise KeyError(f"no failpoint named {name!r}; known: {', '.join(sorted(BOUNDARIES))}")
    left = [times]

    async def once(point: Boundary) -> None:
        left[0] -= 1
        if left[0] <= 0:
            _armed.pop(name, None)
        await fault(point)

    _armed[name] = once


def disarm_all() -> None:
    """Remove every armed fault."""
    _armed.clear()


def arm_from_environment() -> None:
    """Arm the faults named in DB_ACCESS_BOT_FAILPOINTS (`name=kill|raise`, comma-separated)."""
    for item in filter(None, (os.environ.get(ENV) or "").split(",")):
        name, _, kind = item.strip().partition("=")
        arm(name, FAULTS[kind or "raise"])
        log.warning("failpoint armed", extra={"failpoint": name, "fault": kind or "raise"})
