"""An approver who clicks the instant the card appears still sees the card move on."""

import json
import re

from bot.slack.actions import ActionId
from tests.support import catalogs
from tests.support.harness import BotHarness


async def test_click_racing_the_card_post_still_updates_the_card(h: BotHarness) -> None:
    # Slack is slow to confirm the card, so the click lands before the bot knows its ts.
    h.emu.delay_next("chat.postMessage", 0.5)
    await h.emu.slash_command("request orders-prod ro 1h quick look", user_id=catalogs.DEV)
    posted = await h.emu.wait_for_call(
        "chat.postMessage", lambda c: c.params.get("channel") == catalogs.ORDERS_CHANNEL
    )
    request_id = re.search(
        r"Request `(r\w+)`", json.dumps(posted.params["blocks"], ensure_ascii=False)
    ).group(1)
    await h.emu.click(
        user_id=catalogs.APPROVER,
        action_id=ActionId.APPROVE,
        value=request_id,
        message=(catalogs.ORDERS_CHANNEL, posted.response["ts"]),
    )
    await h.settle()
    card = json.dumps(h.card_of(request_id).blocks, ensure_ascii=False)
    assert "*Approved* by <@U0APPROVER1>" in card, h.emu.transcript()
    assert "dab_approve" not in card  # no buttons left to click
