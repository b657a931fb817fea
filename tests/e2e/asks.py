"""Shortcuts for requests filed for someone else, withdrawn, for several databases, or for later."""

import copy
from datetime import UTC, datetime
from typing import Any

from bot.catalog.model import Catalog
from bot.store.models import AccessRequest
from tests.support import catalogs
from tests.support.harness import PEOPLE, BotHarness
from tests.support.slack_emulator import StoredMessage

BILLING_CHANNEL = "C0BILLING"
BILLING: dict[str, Any] = {
    "description": "Billing, production",
    "account_id": catalogs.ACCOUNT,
    "region": "eu-west-1",
    "engine": "postgres",
    "host": "billing.abc.eu-west-1.rds.amazonaws.com",
    "port": 5432,
    "dbname": "billing",
    "resource_id": "db-BILLINGPROD",
    "levels": {
        "ro": {"grants": ["pg_read_all_data"]},
        "rw": {"grants": ["app_writer"], "approvals": 2},
    },
    "durations": ["15m", "1h", "4h"],
    "approvers": [catalogs.APPROVER2],
    "approvals_channel": catalogs.ORDERS_CHANNEL,
}


def catalog_data(billing: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    """The base catalog plus billing-prod (approved by APPROVER2 only), with changes."""
    data = catalogs.catalog_data(**top)
    data["databases"]["billing-prod"] = {**copy.deepcopy(BILLING), **(billing or {})}
    return data


def catalog(billing: dict[str, Any] | None = None, **top: Any) -> Catalog:
    """catalog_data, validated."""
    return catalogs.make_catalog(catalog_data(billing, **top))


def mention(user_id: str) -> str:
    """A user mention as Slack sends it in a slash command with escaping on."""
    return f"<@{user_id}|{PEOPLE[user_id][0]}>"


def iso(moment: datetime) -> str:
    """A time as people type it for `--at` (UTC, minutes, `Z`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


async def parts(h: BotHarness, bundle_id: str) -> list[AccessRequest]:
    """The requests (one per database) of a several-database request, in order."""
    found = [r for r in await h.requests() if r.bundle_id == bundle_id]
    return sorted(found, key=lambda r: int(r.id.rsplit("-", 1)[1]))


def cards(h: BotHarness, request_id: str) -> list[StoredMessage]:
    """Every approval card showing a request (one per approvals channel involved)."""
    marker = f"Request `{request_id}` ·"
    return [
        m
        for m in h.emu.messages.values()
        if any(b.get("type") == "context" and marker in str(b) for b in m.blocks or [])
    ]


def card_in(h: BotHarness, request_id: str, channel: str) -> StoredMessage:
    """The card of a request in one channel."""
    [card] = [m for m in cards(h, request_id) if m.channel == channel]
    return card


async def click_part(
    h: BotHarness, part: AccessRequest, action_id: str, user_id: str
) -> dict[str, Any]:
    """Click a database's button on its request's card (the one in that database's channel)."""
    card = card_in(h, part.bundle_id or part.id, part.approvals_channel)
    ack = await h.emu.click(
        user_id=user_id,
        action_id=action_id,
        block_id=f"decide_{part.id}",
        message=(card.channel, card.ts),
    )
    await h.settle()
    return ack


def actions_of(message: StoredMessage) -> set[tuple[str, str]]:
    """(action id, value) of every button in a message, accessories included."""
    found = set()
    for block in message.blocks or []:
        elements = list(block.get("elements", [])) if block.get("type") == "actions" else []
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        found |= {(e["action_id"], e.get("value", "")) for e in elements if "action_id" in e}
    return found
