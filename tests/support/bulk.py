"""Bulk state for benchmarks and tests: grants written straight into the state store and IAM."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert

from bot.domain import GrantStatus, RequestKind, RequestStatus
from bot.ids import new_id
from bot.models import AccessRequest, Grant
from bot.state import make_engine
from providers.aws_policy import grant_policy, policy_json, policy_name
from tests.support import aws_seed, catalogs

GRANTS_PER_ROLE = 20  # 20 policies of ~330 characters stay well inside a role's 10,240


def _request_row(now: datetime) -> dict:
    return {"id": new_id("r"), "kind": RequestKind.NEW, "status": RequestStatus.APPROVED,
            "requester_id": "U0BULK", "requester_email": "bulk@example.com", "handle": "bulk",
            "database": "orders-prod", "level": "ro", "duration_s": 3600, "reason": "benchmark",
            "approvals_required": 1, "approvals_channel": catalogs.ORDERS_CHANNEL, "version": 1,
            "created_at": now, "expires_at": now}


async def seed_grants(state_url: str, *, ends: list[datetime], now: datetime,
                      resource_id: str, with_policies: bool, prefix: str = "bulk",
                      emu: Any = None) -> list[tuple[str, str]]:
    """One ACTIVE grant per end time (roles shared GRANTS_PER_ROLE at a time); (id, role).

    Each role's person is added to the Slack emulator `emu`, when given, so revoke DMs land.
    """
    request = _request_row(now)
    rows, made = [], []
    roles: dict[int, str] = {}
    for i, end in enumerate(ends):
        slot = i // GRANTS_PER_ROLE
        handle, user_id = f"{prefix}{slot:04d}", f"U0{prefix.upper()}{slot:04d}"
        if slot not in roles:
            roles[slot] = (aws_seed.create_role(f"DatabasesRole_{handle}") if with_policies
                           else f"arn:aws:iam::{catalogs.ACCOUNT}:role/DatabasesRole_{handle}")
            if emu is not None:
                emu.add_user(user_id, handle, email=f"{handle}@example.com")
        grant_id, role = new_id("g"), roles[slot]
        rows.append({"id": grant_id, "request_id": request["id"], "status": GrantStatus.ACTIVE,
                     "user_id": user_id, "email": f"{handle}@example.com",
                     "handle": handle, "database": "orders-prod", "level": "ro",
                     "account_id": catalogs.ACCOUNT, "principal_arn": role,
                     "db_user": f"{handle}_ro", "standing": False,
                     "created_at": now - timedelta(hours=1), "granted_at": now - timedelta(hours=1),
                     "expires_at": end, "attempts": 0})
        made.append((grant_id, role))
        if with_policies:
            document = grant_policy(grant_id=grant_id, region="eu-west-1",
                                    account_id=catalogs.ACCOUNT, resource_id=resource_id,
                                    db_user=f"{handle}_ro", expires_at=end)
            aws_seed.put_inline_policy(role, policy_name(grant_id), policy_json(document))
    engine = make_engine(state_url)
    async with engine.begin() as conn:
        await conn.execute(insert(AccessRequest), [request])
        for start in range(0, len(rows), 1000):
            await conn.execute(insert(Grant), rows[start:start + 1000])
    await engine.dispose()
    return made
