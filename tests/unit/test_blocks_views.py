"""Every message and view the bot builds: valid Block Kit, hostile user text inert and capped."""

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.slack import blocks as b
from bot.slack import views as v
from bot.slack import views_audit as va
from bot.slack import views_elements as ve
from bot.slack import views_home as vh
from bot.slack.bundle_blocks import bundle_card
from bot.store.models import AccessRequest, ApprovalDecision, AuditEvent, Grant
from tests.e2e.test_many import big_catalog
from tests.support import catalogs
from tests.support.slack_emulator_validation import (
    message_problems,
    options_problems,
    view_problems,
)

HOSTILE = "<!channel> <@U123> <https://evil.example|click> <#C999> <!here> & `x` *y* "
LONG = HOSTILE * 40  # far over every cap, and it grows 4x when escaped
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
CATALOG = catalogs.make_catalog()
ORDERS = CATALOG.databases["orders-prod"]
BIG = catalogs.make_catalog(big_catalog())
# Markup the bot itself writes: user and channel ids from Slack, and localized dates.
BOT_MARKUP = re.compile(r"<@U0[A-Z0-9]+>|<#C0[A-Z0-9]+>|<!date\^\d+\^[^|>]*\|[^<>]*>")


def _request(**changes: Any) -> AccessRequest:
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


def _grant(**changes: Any) -> Grant:
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


def _many_grants(count: int) -> list[Grant]:
    return [
        _grant(id=f"g{i:08d}", expires_at=NOW + timedelta(hours=1, minutes=i)) for i in range(count)
    ]


def _many_requests(count: int) -> list[AccessRequest]:
    return [_request(id=f"r{i:08d}") for i in range(count)]


def _approvals(count: int) -> list[ApprovalDecision]:
    return [
        ApprovalDecision(
            request_id="rabcdefgh", approver_id=f"U0APPR{i:04d}", decision="approve", created_at=NOW
        )
        for i in range(count)
    ]


def _decisions() -> list[ApprovalDecision]:
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


def _messages() -> dict[str, list[dict[str, Any]]]:
    grant = _grant()
    where = {"host": ORDERS.host, "port": ORDERS.port, "dbname": ORDERS.dbname}
    return {
        "card pending": b.approval_card(_request(), _decisions()[:1], note=b.escape(LONG)),
        "card extension": b.approval_card(
            _request(kind="extension", extends_grant_id="gabcdefgh"), []
        ),
        "card approved narrowed": b.approval_card(
            _request(
                status="approved",
                decided_by=catalogs.APPROVER,
                granted_level="ro",
                granted_duration_s=3600,
            ),
            _decisions()[:1],
            note="Granted.",
        ),
        "card auto": b.approval_card(_request(status="approved", decided_by="auto"), []),
        "card denied": b.approval_card(
            _request(status="denied", decided_by=catalogs.APPROVER2, deny_reason=LONG), _decisions()
        ),
        "card expired": b.approval_card(_request(status="expired"), []),
        "card of 300 approvals": b.approval_card(_request(approvals_required=400), _approvals(300)),
        "card approved by 300": b.approval_card(
            _request(status="approved", decided_by="x"), _approvals(300)
        ),
        "link dm": b.link_dm(grant, link="https://paste.test/?abc#-key", **where),
        "command dm": b.command_dm(grant, command="aws rds generate-db-auth-token", **where),
        "link failed dm": b.link_failed_dm(grant, problem=LONG, **where),
        "expiry warning": b.expiry_warning_dm(grant, NOW),
        "list": vh.my_access(
            [grant, _grant(id="gother", expires_at=None)], [_request(), _request(id="rsecond")], NOW
        ),
        "list empty": vh.my_access([], [], NOW),
        "list of hundreds": vh.my_access(_many_grants(300), _many_requests(300), NOW),
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
            _request(filed_by=catalogs.ADMIN, starts_at=NOW + timedelta(hours=2)), []
        ),
        "card withdrawn": b.approval_card(
            _request(status="withdrawn", decided_by=catalogs.DEV), []
        ),
        "card of ten databases": bundle_card(
            "rbundle", _parts(10), {"rbundle-1": _decisions()}, _part_grants(), note=b.escape(LONG)
        ),
        "list of hundreds, in requests of ten databases": vh.my_access(
            [
                _grant(
                    id=f"g{i:08d}",
                    request_id=f"r{i // 10:08d}-{i % 10 + 1}",
                    status="scheduled" if i % 3 else "active",
                    starts_at=NOW + timedelta(hours=1),
                )
                for i in range(300)
            ],
            [
                _request(id=f"r{i // 10:08d}-{i % 10 + 1}", bundle_id=f"r{i // 10:08d}")
                for i in range(300)
            ],
            NOW,
            {f"r{i // 10:08d}-{i % 10 + 1}": f"r{i // 10:08d}" for i in range(300)},
        ),
        "list of several databases": vh.my_access(
            [_grant(id=f"g{n}", request_id=f"rbundle-{n}") for n in (2, 1, 3)]
            + [_grant(id="glater", status="scheduled", starts_at=NOW + timedelta(hours=1))],
            _parts(3, status="pending"),
            NOW,
            {f"rbundle-{n}": "rbundle" for n in (1, 2, 3)},
        ),
    }


def _parts(count: int, **changes: Any) -> list[AccessRequest]:
    states = ["pending", "approved", "denied", "expired", "withdrawn", "failed"]
    return [
        _request(
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


def _part_grants() -> dict[str, Grant]:
    statuses = {
        "rbundle-2": ("granting", None),
        "rbundle-4": ("scheduled", None),
        "rbundle-6": ("active", None),
        "rbundle-8": ("revoked", "grant_failed"),
        "rbundle-10": ("revoked", "expired"),
    }
    return {
        rid: _grant(
            id=f"g{rid[-2:]}",
            request_id=rid,
            status=status,
            revoke_reason=why,
            starts_at=NOW + timedelta(hours=1),
        )
        for rid, (status, why) in statuses.items()
    }


def _views() -> dict[str, dict[str, Any]]:
    request, grant = _request(), _grant()
    return {
        "request form": v.request_modal(CATALOG, ORDERS),
        "request form analytics": v.request_modal(CATALOG, CATALOG.databases["analytics"]),
        "deny": v.deny_modal(request),
        "narrow": v.narrow_modal(request, ORDERS),
        "extend": v.extend_modal(grant, ORDERS),
        "home": vh.home_view([grant], [request], [request, _request(id="rthird")], NOW),
        "home no approver": vh.home_view([], [], None, NOW),
        "home of hundreds": vh.home_view(
            _many_grants(300), _many_requests(300), _many_requests(500), NOW
        ),
        "request form of 150 databases": v.request_modal(BIG, BIG.databases["db-149"]),
        "request form, several databases": v.request_modal(
            CATALOG, [ORDERS, CATALOG.databases["analytics"]]
        ),
        "home, several databases": vh.home_view(
            [_grant(request_id="rbundle-1"), _grant(id="g2", request_id="rbundle-2")],
            _parts(2, status="pending"),
            _parts(2, status="pending"),
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


@pytest.mark.parametrize("typed", ["", "db-1", "service", "no such database", "ORDERS"])
def test_database_search_offers_at_most_100_valid_options(typed: str) -> None:
    assert options_problems(ve.database_options(BIG, typed)) == []


def test_long_lists_say_how_many_they_leave_out() -> None:
    listed = json.dumps(
        vh.my_access(_many_grants(300), _many_requests(300), NOW), ensure_ascii=False
    )
    assert "…and 285 more active grants" in listed and "…and 290 more pending" in listed
    card = json.dumps(
        b.approval_card(_request(approvals_required=400), _approvals(300)), ensure_ascii=False
    )
    assert "300 of 400 approvals" in card and "and 280 more" in card
    assert json.dumps(ve.database_options(BIG, "")["option_groups"][0]["label"]["text"]) == (
        '"First 100 of 152 matches; type more to narrow"'
    )


def test_escape_caps_after_escaping() -> None:
    shown = b.escape(LONG, 500)
    assert len(shown) <= 500 and shown.endswith("…")
    assert "<" not in shown and ">" not in shown
    assert b.escape("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    assert b.quoted("`<!here>`") == "`'&lt;!here&gt;'`"


def test_card_shows_every_fact_of_the_request() -> None:
    request = _request(reason="INC-42", ticket_url="https://jira.example.com/INC-42")
    text = json.dumps(b.approval_card(request, _decisions()[:1]))
    for fact in (
        f"<@{catalogs.DEV}>",
        "alice.smith@example.com",
        "orders-prod",
        "`rw`",
        "4h",
        "INC-42",
        "https://jira.example.com/INC-42",
        "rabcdefgh",
        f"1 of 2 approvals: <@{catalogs.APPROVER}>",
    ):
        assert fact in text, fact
    actions = [
        e["action_id"]
        for blk in b.approval_card(request, [])
        if blk["type"] == "actions"
        for e in blk["elements"]
    ]
    assert actions == ["dab_approve", "dab_approve_changed", "dab_deny"]


def test_fallback_text_of_list_names_grants_and_requests() -> None:
    text = vh.my_access_text([_grant()], [_request()], NOW)
    assert "gabcdefgh (ro on orders-prod, 1h left)" in text
    assert "rabcdefgh (rw on orders-prod, 4h)" in text
    assert vh.my_access_text([], [], NOW) == (
        "Your active grants: none. Your pending requests: none."
    )


def test_bundle_card_shows_each_database_with_its_own_state_and_buttons() -> None:
    parts = _parts(3, status="pending")
    parts[1].status, parts[1].decided_by = "approved", catalogs.APPROVER2
    grants = {"rbundle-2": _grant(request_id="rbundle-2", status="active")}
    blocks = bundle_card("rbundle", parts, {}, grants)
    text = json.dumps(blocks)
    assert "Request `rbundle`" in text and f"*Filed by:* <@{catalogs.ADMIN}>" in text
    assert "*Starts:*" in text and "grant `gabcdefgh` until" in text
    decide = [
        (blk["block_id"], [e["value"] for e in blk["elements"]])
        for blk in blocks
        if blk["type"] == "actions"
    ]
    assert decide == [
        ("decide_rbundle-1", ["rbundle-1"] * 3),
        ("decide_rbundle-3", ["rbundle-3"] * 3),
    ]


def test_a_form_for_several_databases_offers_what_they_share() -> None:
    form = v.request_modal(CATALOG, [ORDERS, CATALOG.databases["analytics"]])
    by_block = {blk["block_id"]: blk for blk in form["blocks"] if "block_id" in blk}
    assert [o["value"] for o in by_block["level"]["element"]["options"]] == ["ro"]
    assert [o["value"] for o in by_block["duration"]["element"]["options"]] == ["1h", "8h"]
    assert [o["value"] for o in by_block["database"]["element"]["initial_options"]] == [
        "orders-prod",
        "analytics",
    ]
    assert by_block["start"]["element"]["type"] == "datetimepicker"
    assert form["private_metadata"] == "orders-prod,analytics"
