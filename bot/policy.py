"""Pure decisions: is a request valid, what does it need, who may do what."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.catalog.database import DatabaseSpec
from bot.catalog.model import Catalog
from bot.catalog.rules import QuotaSpec
from bot.domain import ApprovalRule, Level
from bot.durations import format_duration, parse_duration
from bot.errors import InputError
from bot.requesters import not_a_requester
from bot.slack.blocks import quoted

MAX_REASON = 500
LEVEL_RANK = {Level.RO: 0, Level.RW: 1}


class Outcome(StrEnum):
    """What happens to a valid request."""

    DENY = "deny"
    AUTO_APPROVE = "auto_approve"
    NEEDS_APPROVAL = "needs_approval"


@dataclass(frozen=True)
class Verdict:
    """The decision for a request and, for a denial, why.

    `rule` names the catalog rule of an auto-approval and `note` what its card says about it;
    `quota` is a level's auto-approval quota, which may still grant a request that would
    otherwise need approvers (bot/quota.py counts it inside the filing transaction).
    """

    outcome: Outcome
    approvals: int = 0
    reason: str = ""
    rule: ApprovalRule | None = None
    note: str = ""
    quota: QuotaSpec | None = None


@dataclass(frozen=True)
class ValidRequest:
    """A request whose every field was checked against the catalog."""

    database: DatabaseSpec
    level: Level
    duration: timedelta
    reason: str
    ticket_url: str | None
    starts_at: datetime | None = None  # a scheduled start (None: as soon as it is approved)


def _allowed(database: DatabaseSpec) -> str:
    return ", ".join(format_duration(d) for d in database.durations)


def check_database(catalog: Catalog, name: str) -> DatabaseSpec:
    """The named database, or an InputError listing the known ones."""
    database = catalog.database(name.strip())
    if database is None:
        known = ", ".join(sorted(catalog.databases)) or "none"
        raise InputError(
            f"Unknown database {quoted(name)}. Known databases: {known}.", field="database"
        )
    return database


def check_level(database: DatabaseSpec, text: str) -> Level:
    """The level if this database offers it, else an InputError naming the offered ones."""
    offered = ", ".join(level.value for level in database.levels)
    if text not in {level.value for level in database.levels}:
        raise InputError(
            f"Level {quoted(text, 16)} is not offered on {database.name} (offered: {offered}).",
            field="level",
        )
    return Level(text)


def check_duration(database: DatabaseSpec, text: str) -> timedelta:
    """The duration if it is one of the database's allowed durations."""
    try:
        duration = parse_duration(text)
    except ValueError:
        raise InputError(
            f"{quoted(text, 16)} is not a duration. Allowed on {database.name}: "
            f"{_allowed(database)}.",
            field="duration",
        ) from None
    if duration not in database.durations:
        raise InputError(
            f"Duration {quoted(text, 16)} is not allowed on {database.name}. "
            f"Allowed: {_allowed(database)}.",
            field="duration",
        )
    return duration


def check_reason(text: str | None) -> str:
    """A non-empty reason of at most MAX_REASON characters."""
    reason = (text or "").strip()
    if not reason:
        raise InputError(
            "A reason is required: say why you need access (e.g. a ticket or incident).",
            field="reason",
        )
    if len(reason) > MAX_REASON:
        raise InputError(
            f"The reason is {len(reason)} characters; keep it under {MAX_REASON}.", field="reason"
        )
    return reason


def check_ticket(text: str | None) -> str | None:
    """An optional http(s) URL."""
    url = (text or "").strip()
    if not url:
        return None
    if not url.startswith(("https://", "http://")) or len(url) > 500 or " " in url:
        raise InputError(
            "The ticket must be an http(s) link, e.g. https://jira.example.com/browse/OPS-1.",
            field="ticket",
        )
    return url


def validate(
    catalog: Catalog,
    *,
    database: str,
    level: str,
    duration: str,
    reason: str | None,
    ticket_url: str | None = None,
) -> ValidRequest:
    """Check every field; the first problem raises InputError naming its field."""
    db = check_database(catalog, database)
    return ValidRequest(
        db,
        check_level(db, level),
        check_duration(db, duration),
        check_reason(reason),
        check_ticket(ticket_url),
    )


def on_call_applies(request: ValidRequest) -> bool:
    """Whether being on call would approve this request (so PagerDuty is worth asking)."""
    rule = request.database.on_call
    return (
        rule is not None
        and request.level in rule.levels
        and request.duration <= request.database.on_call_max_duration
    )


def decide(
    request: ValidRequest,
    *,
    may_request: bool,
    eligible_approvers: frozenset[str],
    on_call: bool = False,
) -> Verdict:
    """Deny, auto-approve, or require N approvals (the requester never counts as an approver).

    on_call says the requester is on call in the database's schedule right now.
    """
    db, level = request.database, request.level
    if not may_request:
        return Verdict(Outcome.DENY, reason=not_a_requester(db))
    if request.duration > db.max_duration:
        return Verdict(
            Outcome.DENY,
            reason=f"{format_duration(request.duration)} is longer "
            f"than the {format_duration(db.max_duration)} allowed on {db.name}.",
        )
    if level in db.auto_approve and db.auto_approve[level] is None:
        return Verdict(Outcome.AUTO_APPROVE, rule=ApprovalRule.AUTO)
    if on_call and db.on_call is not None and on_call_applies(request):
        return Verdict(
            Outcome.AUTO_APPROVE,
            rule=ApprovalRule.ON_CALL,
            note=f"on call in PagerDuty schedule {db.on_call.pagerduty_schedule}",
        )
    quota = db.auto_approve.get(level)
    needed = db.levels[level].approvals
    if len(eligible_approvers) < needed:
        who = (
            "no approver other than you"
            if not eligible_approvers
            else f"only {len(eligible_approvers)} approver(s) other than you"
        )
        return Verdict(
            Outcome.DENY,
            reason=f"{db.name} {level.value} needs {needed} "
            f"approval(s) but has {who}. Ask an admin to add approvers.",
            quota=quota,
        )
    return Verdict(Outcome.NEEDS_APPROVAL, approvals=needed, quota=quota)


def check_narrowing(
    database: DatabaseSpec,
    *,
    requested_level: Level,
    requested: timedelta,
    level: Level,
    duration: timedelta,
) -> None:
    """An approver may grant a lower level or a shorter duration, never more."""
    if level not in database.levels or LEVEL_RANK[level] > LEVEL_RANK[requested_level]:
        raise InputError(
            f"You can approve {requested_level.value} or a lower level, not {level.value}.",
            field="level",
        )
    if duration > requested or duration not in database.durations:
        raise InputError(
            f"Pick an allowed duration up to the {format_duration(requested)} requested.",
            field="duration",
        )


@dataclass(frozen=True)
class Vote:
    """One approval, with what the approver narrowed it to (None: as requested)."""

    level: Level | None = None
    duration: timedelta | None = None


def quorum(
    database: DatabaseSpec | None,
    *,
    level: Level,
    duration: timedelta,
    required: int,
    approvals: Sequence[Vote],
) -> tuple[Level, timedelta] | None:
    """What the approvals grant (the lowest level, the shortest duration), or None if too few.

    A request narrowed to a lower level needs only that level's approvals: one approver may
    grant ro on an rw request (2 approvals) whose ro level needs one.
    """
    granted = min([v.level for v in approvals if v.level] + [level], key=LEVEL_RANK.__getitem__)
    needed = required
    if database is not None and granted != level and granted in database.levels:
        needed = min(needed, max(database.levels[granted].approvals, 1))
    if len(approvals) < needed:
        return None
    return granted, min([v.duration for v in approvals if v.duration] + [duration])
