"""The crash matrix's parts: which user action crosses each step, and the invariants after."""

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import bot.wiring  # noqa: F401 - imports every module, so every boundary is declared
from bot.domain import GrantStatus, RequestStatus, StepKind, StepStatus
from bot.failpoints import BOUNDARIES
from bot.slack.actions import ActionId
from bot.store.models import AccessRequest, AuditEvent, Grant, Step
from tests.support import catalogs
from tests.support.slack_emulator import SlackEmulator

SLACK_FAULTS = ("ratelimited", "internal_error", "http_500", "http_500_after")
LINE = "orders-prod ro 1h crash matrix"


@dataclass(frozen=True)
class Scenario:
    """What a person does to reach a step: a setup done cleanly, then the action under fault."""

    needs_grant: bool
    act: str  # "request", "schedule" (a request that starts later), "extend" or "revoke"


# Each step kind, and the action that crosses its boundaries. A new step kind without an
# entry fails test_every_boundary_has_a_scenario, so the matrix grows with the lifecycle.
SCENARIOS: dict[str, Scenario] = {
    "provision": Scenario(needs_grant=False, act="request"),
    "deliver": Scenario(needs_grant=False, act="request"),
    "message": Scenario(needs_grant=False, act="request"),
    "extend": Scenario(needs_grant=True, act="extend"),
    "revoke": Scenario(needs_grant=True, act="revoke"),
    "start": Scenario(needs_grant=False, act="schedule"),
}


def cases() -> list[tuple[str, str]]:
    """(boundary, fault) for every declared boundary: a raise everywhere, Slack errors at Slack."""
    found = []
    for name, point in sorted(BOUNDARIES.items()):
        found.append((name, "raise"))
        if point.before == "slack":
            found.extend((name, fault) for fault in SLACK_FAULTS)
    return found


def message_keys(emu: SlackEmulator) -> Counter[str]:
    """How many messages Slack holds for each outbox key."""
    keys: Counter[str] = Counter()
    for message in emu.messages.values():
        payload = (message.metadata or {}).get("event_payload") or {}
        if "key" in payload:
            keys[payload["key"]] += 1
    return keys


@dataclass
class State:
    """What the invariants look at: rows, IAM policies, Slack's messages, the log."""

    requests: list[AccessRequest]
    grants: list[Grant]
    steps: list[Step]
    audit: list[AuditEvent]
    policies: set[str]  # grant ids with a db-access policy on some principal
    keys: Counter[str]
    dms: dict[str, list[str]]
    log: str


def assert_invariants(state: State, *, secrets: tuple[str, ...]) -> None:
    """The lifecycle's promises, whatever failed on the way."""
    active = {g.id for g in state.grants if g.status == GrantStatus.ACTIVE}
    assert state.policies == active, f"policies {state.policies} vs active grants {active}"
    per_request = Counter(g.request_id for g in state.grants)
    assert all(n == 1 for n in per_request.values()), per_request
    unfinished = [
        (s.key, s.status, s.last_error) for s in state.steps if s.status != StepStatus.DONE
    ]
    assert unfinished == [], unfinished
    twice = {key: n for key, n in state.keys.items() if n > 1}
    assert twice == {}, f"sent more than once: {twice}"
    for step in state.steps:
        if (
            step.kind in (StepKind.MESSAGE, StepKind.DELIVER)
            and step.payload.get("outcome") != "skipped"
        ):
            assert state.keys[step.key] == 1, f"{step.key} never reached Slack"
    extended = {e.request_id for e in state.audit if e.action == "grant.extended"}
    for request in state.requests:
        if request.status != RequestStatus.APPROVED:
            continue
        granted = request.id in per_request or request.id in extended
        told = any(
            request.id in dm and "could not" in dm for dm in state.dms.get(request.requester_id, [])
        )
        assert granted or told, f"approved request {request.id} neither granted nor explained"
    for secret in secrets:
        assert secret not in state.log, f"a secret ({secret[:12]}…) was logged"


async def act(
    scenario: Scenario,
    grant: Grant | None,
    *,
    command: Callable[[str], Awaitable[Any]],
    approve: Callable[[], Awaitable[Any]],
    start_at: datetime | None = None,
) -> None:
    """The action under fault, as the person would type it (start_at: when a later start is)."""
    if scenario.act == "request":
        await command(f"request {LINE}")
    elif scenario.act == "schedule":
        assert start_at is not None
        at = start_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        db, level, duration, reason = LINE.split(" ", 3)
        await command(f"request {db} {level} {duration} --at {at} {reason}")
    elif scenario.act == "extend":
        assert grant is not None
        await command(f"extend {grant.id} 1h")
    else:
        assert grant is not None
        await command(f"revoke {grant.id}")
    await approve()


def pending_card(emu: SlackEmulator, requests: list[AccessRequest]) -> tuple[str, Any] | None:
    """A pending request whose card is in Slack, and the card."""
    for request in requests:
        if request.status != RequestStatus.PENDING:
            continue
        for message in emu.messages_in(request.approvals_channel):
            if f"Request `{request.id}` ·" in str(message.blocks) and ActionId.APPROVE in str(
                message.blocks
            ):
                return request.id, message
    return None


APPROVER = catalogs.APPROVER
