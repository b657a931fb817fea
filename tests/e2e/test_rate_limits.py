"""Slack's rate limits: a burst of requests is throttled by Slack and still reaches everyone."""

import asyncio
import json
from collections import Counter

from tests.support import catalogs
from tests.support.harness import BotHarness

BURST = 50
# Slack's limits refilled four times faster: past the burst of 25 the cards still meet 429s
# again and again (enough to tell a queue from 25 posts hammering Slack), while the test takes
# ~7 s instead of the ~26 s real Slack needs to accept 50 cards in one channel.
SPEED = 4


async def test_a_burst_of_50_requests_reaches_every_requester_and_every_card(
    state_url: str,
) -> None:
    async with BotHarness(state_url, rate_limit_speed=SPEED) as h:
        people = [f"U0BURST{i:03d}" for i in range(BURST)]
        for i, user in enumerate(people):
            h.emu.add_user(user, f"burst{i}", email=f"burst{i}@example.com")

        acks = await asyncio.gather(
            *(
                h.emu.slash_command(f"request orders-prod ro 1h burst {i}", user_id=user)
                for i, user in enumerate(people)
            )
        )
        assert all(ack.within_deadline for ack in acks)
        assert await h.workflow.inflight.drained(60)

        requests = await h.requests()
        assert sorted(r.requester_id for r in requests) == people
        cards = {r.id: h.card_of(r.id) for r in requests}
        assert {c.channel for c in cards.values()} == {catalogs.ORDERS_CHANNEL}
        assert len(h.emu.messages_in(catalogs.ORDERS_CHANNEL)) == BURST
        for request in requests:
            user = request.requester_id
            assert any(
                request.id in m.text and "was sent to" in m.text for m in h.emu.ephemerals_to(user)
            ), user
            assert any(
                request.id in m.text and "is waiting for" in m.text for m in h.emu.dms_to(user)
            ), user

        refused = [
            c
            for c in h.emu.throttled
            if c.method == "chat.postMessage" and c.params["channel"] == catalogs.ORDERS_CHANNEL
        ]
        assert refused, "the burst never met Slack's limit; the test proves nothing"
        per_card = Counter(
            next(r.id for r in requests if r.id in json.dumps(c.params)) for c in refused
        )
        assert max(per_card.values()) <= 2, per_card  # queued, not hammering Slack


async def test_a_call_whose_connection_was_cut_is_sent_again(h: BotHarness) -> None:
    h.emu.drop_next("chat.postMessage")
    await h.command("request orders-prod ro 1h the network blinked")
    [request] = await h.requests()
    assert h.card_of(request.id).channel == catalogs.ORDERS_CHANNEL
    assert h.emu.transcript().count("=> connection cut") == 1
