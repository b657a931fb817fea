"""Every message and view the bot builds: valid Block Kit, hostile user text inert and capped."""

import json
from datetime import timedelta
from typing import Any

import pytest

from bot.slack import blocks as b
from bot.slack import grant_dms as dms
from bot.slack import views as v
from bot.slack import views_audit as va
from bot.slack import views_home as vh
from bot.slack.bundle_blocks import bundle_card
from bot.store.models import AuditEvent
from tests.support import catalogs
from tests.support.block_samples import (
    BIG,
    BOT_MARKUP,
    CATALOG,
    LONG,
    NOW,
    ORDERS,
    approvals,
    decisions,
    many_grants,
    many_requests,
    part_grants,
    sample_grant,
    sample_parts,
    sample_request,
)
from tests.support.slack_emulator_validation import (
    message_problems,
    view_problems,
)


def _messages() -> dict[str, list[dict[str, Any]]]:
    grant = sample_grant()
    where = {"host": ORDERS.host, "port": ORDERS.port, "dbname": ORDERS.dbname}
    return {
        "card pending": b.approval_card(sample_request(), decisions()[:1], note=b.escape(LONG)),
        "card extension": b.approval_card(
            sample_request(kind="extension", extends_grant_id="gabcdefgh"), []
        ),
        "card approved narrowed": b.approval_card(
            sample_request(
                status="approved",
                decided_by=catalogs.APPROVER,
                granted_level="ro",
                granted_duration_s=3600,
            ),
            decisions()[:1],
            note="Granted.",
        ),
        "card auto": b.approval_card(sample_request(status="approved", decided_by="auto"), []),
        "card denied": b.approval_card(
            sample_request(status="denied", decided_by=catalogs.APPROVER2, deny_reason=LONG),
            decisions(),
        ),
        "card expired": b.approval_card(sample_request(status="expired"), []),
        "card of 300 approvals": b.approval_card(
            sample_request(approvals_required=400), approvals(300)
        ),
        "card approved by 300": b.approval_card(
            sample_request(status="approved", decided_by="x"), approvals(300)
        ),
        "link dm": dms.link_dm(grant, link="https://paste.test/?abc#-key", **where),
        "command dm": dms.command_dm(grant, command="aws rds generate-db-auth-token", **where),
        "link failed dm": dms.link_failed_dm(grant, problem=LONG, **where),
        "expiry warning": dms.expiry_warning_dm(grant, NOW),
        "list": vh.my_access(
            [grant, sample_grant(id="gother", expires_at=None)],
            [sample_request(), sample_request(id="rsecond")],
            NOW,
        ),
        "list empty": vh.my_access([], [], NOW),
        "list of hundreds": vh.my_access(many_grants(300), many_requests(300), NOW),
        "audit": va.audit_blocks(
            [
                AuditEvent(
                    at=NOW,
                    actor=catalogs.DEV,
                    action="request.denied",
                    database="orders-prod",
                    request_id="rabcdefgh",
                    details={"why": LONG},
                )
            ]
            * 30,
            scope="for all",
            total=5000,
        ),
        "audit empty": va.audit_blocks([], scope="for orders-prod"),
        "card filed for someone, starting later": b.approval_card(
            sample_request(filed_by=catalogs.ADMIN, starts_at=NOW + timedelta(hours=2)), []
        ),
        "card withdrawn": b.approval_card(
            sample_request(status="withdrawn", decided_by=catalogs.DEV), []
        ),
        "card of ten databases": bundle_card(
            "rbundle",
            sample_parts(10),
            {"rbundle-1": decisions()},
            part_grants(),
            note=b.escape(LONG),
        ),
        "list of hundreds, in requests of ten databases": vh.my_access(
            [
                sample_grant(
                    id=f"g{i:08d}",
                    request_id=f"r{i // 10:08d}-{i % 10 + 1}",
                    status="scheduled" if i % 3 else "active",
                    starts_at=NOW + timedelta(hours=1),
                )
                for i in range(300)
            ],
            [
                sample_request(id=f"r{i // 10:08d}-{i % 10 + 1}", bundle_id=f"r{i // 10:08d}")
                for i in range(300)
            ],
            NOW,
            {f"r{i // 10:08d}-{i % 10 + 1}": f"r{i // 10:08d}" for i in range(300)},
        ),
        "list of several databases": vh.my_access(
            [sample_grant(id=f"g{n}", request_id=f"rbundle-{n}") for n in (2, 1, 3)]
            + [sample_grant(id="glater", status="scheduled", starts_at=NOW + timedelta(hours=1))],
            sample_parts(3, status="pending"),
            NOW,
            {f"rbundle-{n}": "rbundle" for n in (1, 2, 3)},
        ),
    }


def _views() -> dict[str, dict[str, Any]]:
    request, grant = sample_request(), sample_grant()
    return {
        "request form": v.request_modal(CATALOG, ORDERS),
        "request form analytics": v.request_modal(CATALOG, CATALOG.databases["analytics"]),
        "deny": v.deny_modal(request),
        "narrow": v.narrow_modal(request, ORDERS),
        "extend": v.extend_modal(grant, ORDERS),
        "home": vh.home_view([grant], [request], [request, sample_request(id="rthird")], NOW),
        "home no approver": vh.home_view([], [], None, NOW),
        "home of hundreds": vh.home_view(
            many_grants(300), many_requests(300), many_requests(500), NOW
        ),
        "request form of 150 databases": v.request_modal(BIG, BIG.databases["db-149"]),
        "request form, several databases": v.request_modal(
            CATALOG, [ORDERS, CATALOG.databases["analytics"]]
        ),
        "home, several databases": vh.home_view(
            [sample_grant(request_id="rbundle-1"), sample_grant(id="g2", request_id="rbundle-2")],
            sample_parts(2, status="pending"),
            sample_parts(2, status="pending"),
            NOW,
            {"rbundle-1": "rbundle", "rbundle-2": "rbundle"},
        ),
    }


def _check_inert(where: str, built: Any) -> None:
    text = BOT_MARKUP.sub("", json.dumps(built, ensure_ascii=False))
    assert "<" not in text and ">" not in text, f"{where}: raw markup in {text[:300]}"


@pytest.mark.parametrize("name", list(_messages()))
def test_message_blocks_are_valid_and_stay_inert(name: str) -> None:
    built = _messages()[name]
    assert built
    assert message_problems(built) == []
    _check_inert(name, built)


@pytest.mark.parametrize("name", list(_views()))
def test_views_are_valid_and_stay_inert(name: str) -> None:
    view = _views()[name]
    assert view_problems(view, home=view["type"] == "home") == []
    _check_inert(name, view)
