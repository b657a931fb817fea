"""Requests of several databases: their parts, and the one card that shows them all.

Each database of such a request is its own request row (`<bundle>-1`, `<bundle>-2`, …) with its
own approvers, quorum, decisions and grant; `bundle_id` ties them together and is the id people
see. The card lives on the first part of each approvals channel involved (one channel: one
card; databases approved in different channels: the same card in each of them).
"""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.slack.bundle_blocks import bundle_card, bundle_card_text
from bot.store import repo
from bot.store.models import AccessRequest


def is_part(request: AccessRequest) -> bool:
    """Whether the request is one database of a several-database request."""
    return bool(request.bundle_id)


async def parts_of(session: AsyncSession, request: AccessRequest) -> list[AccessRequest]:
    """Every part filed with request (just request itself for a one-database request)."""
    if not request.bundle_id:
        return [request]
    return await repo.bundle_parts(session, bundle_id=request.bundle_id)


async def find(session: AsyncSession, *, request_id: str) -> list[AccessRequest]:
    """The request with that id, or every part of the several-database request with that id."""
    parts = await repo.bundle_parts(session, bundle_id=request_id)
    if parts:
        return parts
    request = await repo.get_request(session, request_id=request_id)
    return [request] if request is not None else []


def card_leads(parts: Sequence[AccessRequest]) -> list[AccessRequest]:
    """The part that holds the card in each approvals channel, in the order asked."""
    leads: dict[str, AccessRequest] = {}
    for part in parts:
        leads.setdefault(part.approvals_channel, part)
    return list(leads.values())


async def card_holder(session: AsyncSession, request: AccessRequest) -> AccessRequest:
    """The part whose row holds the card request appears on (request itself if single)."""
    if not request.bundle_id:
        return request
    parts = await repo.bundle_parts(session, bundle_id=request.bundle_id)
    return next(
        (lead for lead in card_leads(parts) if lead.approvals_channel == request.approvals_channel),
        request,
    )


async def card_payloads(
    session: AsyncSession, request: AccessRequest, note: str, warnings: Mapping[str, str]
) -> list[tuple[str, str, dict[str, Any]]]:
    """(step key, holding part id, message payload) of the bundle's card in each channel."""
    assert request.bundle_id
    parts = await repo.bundle_parts(session, bundle_id=request.bundle_id)
    parts = [request if p.id == request.id else p for p in parts]  # the caller's newest state
    decisions = {p.id: await repo.decisions(session, request_id=p.id) for p in parts}
    grants = await repo.grants_of_requests(session, request_ids=[p.id for p in parts])
    blocks = bundle_card(request.bundle_id, parts, decisions, grants, note, warnings)
    text = bundle_card_text(request.bundle_id, parts)
    return [
        (
            f"card:{lead.id}",
            lead.id,
            {"to": "card", "channel": lead.approvals_channel, "text": text, "blocks": blocks},
        )
        for lead in card_leads(parts)
    ]
