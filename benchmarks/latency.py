"""Ack latency during a burst of commands and clicks, and approve-click → DM-link latency."""

import asyncio
import json
import random
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.slack.actions import ActionId
from providers.privatebin_crypto import encrypt
from tests.support import aws_seed, catalogs
from tests.support.harness import BotHarness
from tests.support.slack_emulator import SlackEmulator
from tests.support.slack_emulator_models import Ack

LINK = re.compile(r"#-[1-9A-HJ-NP-Za-km-z]{20,}")
CARD_ID = re.compile(r"Request `(r[a-z0-9]{8})` ·")


def add_users(emu: SlackEmulator, count: int, *, roles: bool, first: int = 0) -> list[str]:
    """count requesters in the emulator (and, with roles, each an IAM role in moto)."""
    users = []
    for i in range(first, first + count):
        user_id, handle = f"U0BENCH{i:03d}", f"bench{i:03d}"
        emu.add_user(user_id, handle, email=f"{handle}@example.com")
        if roles:
            aws_seed.create_role(f"DatabasesRole_{handle}")
        users.append(user_id)
    return users


def cards_of(emu: SlackEmulator, channel: str, users: list[str]) -> list[tuple[str, Any]]:
    """(request id, card) of every card in channel with its buttons, filed by one of users."""
    found = []
    for message in emu.messages_in(channel):
        text = json.dumps(message.blocks, ensure_ascii=False)
        match = CARD_ID.search(text)
        if match and ActionId.APPROVE in text and any(f"<@{u}>" in text for u in users):
            found.append((match.group(1), message))
    return found


async def _after(delay: float, send: Callable[[], Awaitable[Ack]]) -> Ack:
    await asyncio.sleep(delay)
    return await send()


async def ack_burst(
    emu: SlackEmulator, users: list[str], *, spread: float, rng: random.Random
) -> dict[str, list[float]]:
    """Half the users file requests and the other half's requests are approved, every command
    and click at a random moment within `spread` seconds; the ack latency of each."""
    askers, approved = users[: len(users) // 2], users[len(users) // 2 :]
    # The requests approved in the burst are filed (and their cards posted) beforehand.
    await asyncio.gather(
        *(emu.slash_command("request orders-prod ro 1h burst", user_id=u) for u in approved)
    )
    cards = await emu.wait_until(
        lambda: (
            (c := cards_of(emu, catalogs.ORDERS_CHANNEL, approved))
            and len(c) == len(approved)
            and c
        ),
        120,
    )
    commands = [
        _after(
            rng.uniform(0, spread),
            lambda u=u: emu.slash_command("request orders-prod ro 1h burst", user_id=u),
        )
        for u in askers
    ]
    clicks = [
        _after(
            rng.uniform(0, spread),
            lambda r=r, c=c: emu.click(
                user_id=catalogs.APPROVER,
                action_id=ActionId.APPROVE,
                value=r,
                message=(c.channel, c.ts),
            ),
        )
        for r, c in cards
    ]
    acks = await asyncio.gather(*commands, *clicks)
    return {
        "slash /db-access request": [a.elapsed for a in acks[: len(commands)]],
        "Approve click": [a.elapsed for a in acks[len(commands) :]],
    }


async def settled(emu: SlackEmulator, users: list[str], within: float) -> int:
    """Wait until each of users got a DM with a link (the burst's background work is done)."""

    def linked() -> int:
        return sum(
            any(LINK.search(json.dumps(m.blocks or [])) for m in emu.dms_to(u)) for u in users
        )

    deadline = time.monotonic() + within
    while linked() < len(users) and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    return linked()


def _dm_with_link(h: BotHarness, user_id: str, since: int) -> Any:
    channel = h.emu.dm_channel(user_id)
    for call in h.emu.calls[since:]:
        if (
            call.method == "chat.postMessage"
            and call.params.get("channel") == channel
            and LINK.search(json.dumps(call.params.get("blocks") or []))
        ):
            return call
    return None


async def click_to_link(h: BotHarness, users: list[str]) -> tuple[list[float], list[dict]]:
    """One grant at a time: Approve click until the DM with the link is sent; step timings."""
    totals, steps = [], []
    for user in users:
        await h.command("request orders-prod ro 1h click to link", user_id=user)
        request = next(
            r for r in await h.requests() if r.requester_id == user and r.status == "pending"
        )
        card = h.card_of(request.id)
        since = len(h.emu.calls)
        h.workflow.d.timings.clear()
        started = time.perf_counter()
        await h.emu.click(
            user_id=catalogs.APPROVER,
            action_id=ActionId.APPROVE,
            value=request.id,
            message=(card.channel, card.ts),
        )
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
