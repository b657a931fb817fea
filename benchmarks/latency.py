"""Ack latency under concurrent load, and approve-click → DM-link latency with a step breakdown."""

import asyncio
import json
import re
import time
from typing import Any

from bot.actions import ActionId
from providers.privatebin_crypto import encrypt
from tests.support import aws_seed, catalogs
from tests.support.bot_process import BotProcess
from tests.support.harness import BotHarness
from tests.support.slack_emulator import SlackEmulator

LINK = re.compile(r"#-[1-9A-HJ-NP-Za-km-z]{20,}")
CARD_ID = re.compile(r"Request `(r[a-z0-9]{8})` ·")


def add_users(emu: SlackEmulator, count: int, *, roles: bool) -> list[str]:
    """count requesters in the emulator (and, with roles, each an IAM role in moto)."""
    users = []
    for i in range(count):
        user_id, handle = f"U0BENCH{i:03d}", f"bench{i:03d}"
        emu.add_user(user_id, handle, email=f"{handle}@example.com")
        if roles:
            aws_seed.create_role(f"DatabasesRole_{handle}")
        users.append(user_id)
    return users


def pending_cards(emu: SlackEmulator, channel: str) -> list[tuple[str, Any]]:
    """(request id, card) of every card in channel that still has its buttons."""
    found = []
    for message in emu.messages_in(channel):
        text = json.dumps(message.blocks, ensure_ascii=False)
        match = CARD_ID.search(text)
        if match and ActionId.APPROVE in text:
            found.append((match.group(1), message))
    return found


async def ack_latency(bot: BotProcess, emu: SlackEmulator,
                      users: list[str]) -> dict[str, list[float]]:
    """Acks from a real bot process: `/db-access request …`, the form, Approve; all at once."""
    await asyncio.to_thread(bot.wait_health, 200, "/readyz", 60)
    commands = await asyncio.gather(*(
        emu.slash_command("request orders-prod ro 1h load test", user_id=u) for u in users))
    forms = await asyncio.gather(*(emu.slash_command("", user_id=u) for u in users))
    cards = await emu.wait_until(
        lambda: (c := pending_cards(emu, catalogs.ORDERS_CHANNEL)) and len(c) == len(users)
        and c, 60)
    clicks = await asyncio.gather(*(
        emu.click(user_id=catalogs.APPROVER, action_id=ActionId.APPROVE, value=request_id,
                  message=(card.channel, card.ts)) for request_id, card in cards))
    return {"slash /db-access request": [a.elapsed for a in commands],
            "slash /db-access (form)": [a.elapsed for a in forms],
            "Approve click": [a.elapsed for a in clicks]}


def _dm_with_link(h: BotHarness, user_id: str, since: int) -> Any:
    channel = h.emu.dm_channel(user_id)
    for call in h.emu.calls[since:]:
        if call.method == "chat.postMessage" and call.params.get("channel") == channel \
                and LINK.search(json.dumps(call.params.get("blocks") or [])):
            return call
    return None


async def click_to_link(h: BotHarness, users: list[str]) -> tuple[list[float], list[dict]]:
    """One grant at a time: Approve click until the DM with the link is sent; step timings."""
    totals, steps = [], []
    for user in users:
        await h.command("request orders-prod ro 1h click to link", user_id=user)
        request = next(r for r in await h.requests()
                       if r.requester_id == user and r.status == "pending")
        card = h.card_of(request.id)
        since = len(h.emu.calls)
        h.workflow.d.timings.clear()
        started = time.perf_counter()
        await h.emu.click(user_id=catalogs.APPROVER, action_id=ActionId.APPROVE,
                          value=request.id, message=(card.channel, card.ts))
        await h.emu.wait_until(lambda user=user, since=since: _dm_with_link(h, user, since), 30)
        totals.append(time.perf_counter() - started)
        await h.settle()
        steps.append(dict(h.workflow.d.timings))
    return totals, steps


def pbkdf2_seconds(samples: int = 10) -> list[float]:
    """Time of the paste encryption alone (PBKDF2 100k iterations dominates it)."""
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        encrypt("x" * 900, expire="10min")
        times.append(time.perf_counter() - started)
    return times
