"""Bulk state for benchmarks and tests: grants written straight into the state store and IAM."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert

from bot.domain import GrantStatus, RequestKind, RequestStatus
from bot.ids import new_id
from bot.store import audit_repo
from bot.store.engine import make_engine
from bot.store.models import AccessRequest, Grant
from providers.aws_policy import grant_policy, policy_json, policy_name
from tests.support import aws_seed, catalogs

GRANTS_PER_ROLE = 20  # 20 policies of ~330 characters stay well inside a role's 10,240


def _request_row(now: datetime) -> dict:
    return {
        "id": new_id("r"),
        "kind": RequestKind.NEW,
        "status": RequestStatus.APPROVED,
        "requester_id": "U0BULK",
        "requester_email": "bulk@example.com",
        "handle": "bulk",
        "database": "orders-prod",
        "level": "ro",
        "duration_s": 3600,
        "reason": "benchmark",
        "approvals_required": 1,
        "approvals_channel": catalogs.ORDERS_CHANNEL,
        "version": 1,
        "created_at": now,
        "expires_at": now,
    }


async def seed_grants(
    state_url: str,
    *,
    ends: list[datetime],
    now: datetime,
    resource_id: str,
    with_policies: bool,
    prefix: str = "bulk",
    emu: Any = None,
    per_role: int = GRANTS_PER_ROLE,
) -> list[tuple[str, str]]:
    """One ACTIVE grant per end time (roles shared per_role at a time); (id, role).

    Each role's person is added to the Slack emulator `emu`, when given, so revoke DMs land.
    """
    request = _request_row(now)
    rows, made = [], []
    roles: dict[int, str] = {}
    for i, end in enumerate(ends):
        slot = i // per_role
        handle, user_id = f"{prefix}{slot:04d}", f"U0{prefix.upper()}{slot:04d}"
        if slot not in roles:
            roles[slot] = (
                aws_seed.create_role(f"DatabasesRole_{handle}")
                if with_policies
                else f"arn:aws:iam::{catalogs.ACCOUNT}:role/DatabasesRole_{handle}"
            )
            if emu is not None:
                emu.add_user(user_id, handle, email=f"{handle}@example.com")
        grant_id, role = new_id("g"), roles[slot]
        rows.append(
            {
                "id": grant_id,
                "request_id": request["id"],
                "status": GrantStatus.ACTIVE,
                "user_id": user_id,
                "email": f"{handle}@example.com",
                "handle": handle,
                "database": "orders-prod",
                "level": "ro",
                "account_id": catalogs.ACCOUNT,
                "principal_arn": role,
                "db_user": f"{handle}_ro",
                "standing": False,
                "created_at": now - timedelta(hours=1),
                "granted_at": now - timedelta(hours=1),
                "expires_at": end,
                "attempts": 0,
            }
        )
        made.append((grant_id, role))
        if with_policies:
            document = grant_policy(
                grant_id=grant_id,
                region="eu-west-1",
                account_id=catalogs.ACCOUNT,
                resource_id=resource_id,
                db_user=f"{handle}_ro",
                expires_at=end,
            )
            aws_seed.put_inline_policy(role, policy_name(grant_id), policy_json(document))
    engine = make_engine(state_url)
    async with engine.begin() as conn:
        await conn.execute(insert(AccessRequest), [request])
        for start in range(0, len(rows), 1000):
            await conn.execute(insert(Grant), rows[start : start + 1000])
    await engine.dispose()
    return made


async def add_rows(
    sessions: Any,
    *,
    user_id: str,
    email: str,
    grants: int = 0,
    pending: int = 0,
    waiting: int = 0,
    events: int = 0,
    database: str = "orders-prod",
    now: datetime,
) -> None:
    """Rows in bulk: one person's active grants on database and pending requests (one per
    database, as only one may be pending per person, database and level), requests of
    `waiting` other people on database, and audit events."""
    handle = email.split("@")[0].replace(".", "_")
    request = {
        **_request_row(now),
        "requester_id": user_id,
        "requester_email": email,
        "handle": handle,
        "database": database,
    }
    pendings = [
        {
            **request,
            "id": new_id("r"),
            "status": RequestStatus.PENDING,
            "database": f"{database}-{i:03d}",
            "reason": f"bulk request {i}",
            "created_at": now + timedelta(seconds=i),
            "expires_at": now + timedelta(minutes=30),
        }
        for i in range(pending)
    ]
    pendings += [
        {
            **request,
            "id": new_id("r"),
            "status": RequestStatus.PENDING,
            "requester_id": f"U0WAIT{i:04d}",
            "requester_email": f"wait{i}@example.com",
            "handle": f"wait{i}",
            "reason": f"waiting request {i}",
            "created_at": now + timedelta(seconds=i),
            "expires_at": now + timedelta(minutes=30),
        }
        for i in range(waiting)
    ]
    active = [
        {
            "id": new_id("g"),
            "request_id": request["id"],
            "status": GrantStatus.ACTIVE,
            "user_id": user_id,
            "email": email,
            "handle": handle,
            "database": database,
            "level": "ro",
            "account_id": catalogs.ACCOUNT,
            "principal_arn": f"arn:aws:iam::{catalogs.ACCOUNT}:role/DatabasesRole_{handle}",
            "db_user": f"{handle}_ro",
            "standing": False,
            "created_at": now,
            "granted_at": now,
            "expires_at": now + timedelta(hours=1, minutes=i),
            "attempts": 0,
        }
        for i in range(grants)
    ]
    async with sessions() as session, session.begin():
        await session.execute(insert(AccessRequest), [request, *pendings])
        if active:
            await session.execute(insert(Grant), active)
        for i in range(events):  # the bot's own path, so the rows join the audit hash chain
            await audit_repo.add_audit(
                session,
                at=now - timedelta(seconds=i),
                actor=user_id,
                action="command.list",
                database=database,
            )
