"""Requests, grants and decisions to build Block Kit from, hostile text included."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.store.models import AccessRequest, ApprovalDecision, Grant
from tests.e2e.test_many import big_catalog
from tests.support import catalogs

HOSTILE = "<!channel> <@U123> <https://evil.example|click> <#C999> <!here> & `x` *y* "
LONG = HOSTILE * 40  # far over every cap, and it grows 4x when escaped
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
CATALOG = catalogs.make_catalog()
ORDERS = CATALOG.databases["orders-prod"]
BIG = catalogs.make_catalog(big_catalog())
# Markup the bot itself writes: user and channel ids from Slack, and localized dates.
BOT_MARKUP = re.compile(r"<@U0[A-Z0-9]+>|<#C0[A-Z0-9]+>|<!date\^\d+\^[^|>]*\|[^<>]*>")


def sample_request(**changes: Any) -> AccessRequest:
    fields: dict[str, Any] = dict(
        id="rabcdefgh",
        kind="new",
        status="pending",
        requester_id=catalogs.DEV,
        requester_email="alice.smith@example.com",
        handle="alice_smith",
        database="orders-prod",
        level="rw",
        duration_s=14400,
        reason=LONG,
        ticket_url="https://jira.example.com/" + LONG,
        extends_grant_id=None,
        approvals_required=2,
        approvals_channel=catalogs.ORDERS_CHANNEL,
        version=0,
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=30),
        deny_reason=None,
        decided_by=None,
        granted_level=None,
        granted_duration_s=None,
    )
    fields.update(changes)
    return AccessRequest(**fields)


def sample_grant(**changes: Any) -> Grant:
    fields: dict[str, Any] = dict(
        id="gabcdefgh",
        request_id="rabcdefgh",
        status="active",
        user_id=catalogs.DEV,
        email="alice.smith@example.com",
        handle="alice_smith",
        database="orders-prod",
        level="ro",
        account_id=catalogs.ACCOUNT,
        principal_arn="arn:aws:iam::1:role/R",
        db_user="alice_smith_ro",
        standing=False,
        created_at=NOW,
        granted_at=NOW,
        expires_at=NOW + timedelta(hours=1),
    )
    fields.update(changes)
    return Grant(**fields)


def many_grants(count: int) -> list[Grant]:
    return [
        sample_grant(id=f"g{i:08d}", expires_at=NOW + timedelta(hours=1, minutes=i))
        for i in range(count)
    ]


def many_requests(count: int) -> list[AccessRequest]:
    return [sample_request(id=f"r{i:08d}") for i in range(count)]


def approvals(count: int) -> list[ApprovalDecision]:
    return [
        ApprovalDecision(
            request_id="rabcdefgh", approver_id=f"U0APPR{i:04d}", decision="approve", created_at=NOW
        )
        for i in range(count)
    ]


def decisions() -> list[ApprovalDecision]:
    return [
        ApprovalDecision(
            request_id="rabcdefgh",
            approver_id=catalogs.APPROVER,
            decision="approve",
            created_at=NOW,
        ),
        ApprovalDecision(
            request_id="rabcdefgh",
            approver_id=catalogs.APPROVER2,
            decision="deny",
            reason=LONG,
            created_at=NOW,
        ),
    ]


def sample_parts(count: int, **changes: Any) -> list[AccessRequest]:
    states = ["pending", "approved", "denied", "expired", "withdrawn", "failed"]
    return [
        sample_request(
            id=f"rbundle-{n}",
            bundle_id="rbundle",
            database=f"db-{n}" + "x" * 60,
            status=changes.get("status", states[n % len(states)]),
            decided_by=catalogs.APPROVER,
            deny_reason=LONG,
            filed_by=catalogs.ADMIN,
            starts_at=NOW + timedelta(hours=1),
        )
        for n in range(1, count + 1)
    ]


def part_grants() -> dict[str, Grant]:
    statuses = {
        "rbundle-2": ("granting", None),
        "rbundle-4": ("scheduled", None),
        "rbundle-6": ("active", None),
        "rbundle-8": ("revoked", "grant_failed"),
        "rbundle-10": ("revoked", "expired"),
    }
    return {
        rid: sample_grant(
            id=f"g{rid[-2:]}",
            request_id=rid,
            status=status,
            revoke_reason=why,
            starts_at=NOW + timedelta(hours=1),
        )
        for rid, (status, why) in statuses.items()
    }
