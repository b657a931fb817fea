"""Hostile user text is shown as text: no broadcast, mention or link survives in anything sent."""

from bot.slack.actions import VALUE, ActionId, BlockId
from tests.e2e import helpers as x
from tests.support import catalogs
from tests.support.harness import BotHarness

INERT = "&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt; &amp; &lt;#C999&gt;"


async def test_hostile_text_is_inert_everywhere(h: BotHarness) -> None:
    acks = [await h.command(f"request orders-prod ro 1h {x.HOSTILE}")]
    [request] = await h.requests()
    # Slack's markup (the command escapes mentions, channels and links) is stored as the text
    # people read, never as markup, and escaped again when shown.
    assert request.reason == "@channel @U123 https://evil.example & #C999"
    card = h.card_of(request.id)
    assert "*Reason:* @channel @U123 https://evil.example &amp; #C999" in str(card.blocks)

    view = await x.open_form(h, catalogs.DEV2)
    await x.submit_form(
        h,
        view,
        catalogs.DEV2,
        database="orders-prod",
        level="rw",
        duration="1h",
        reason=x.HOSTILE,
        ticket="https://tickets.example/<@U123>",
    )
    second = next(r for r in await h.requests() if r.requester_id == catalogs.DEV2)
    assert "*Ticket:* https://tickets.example/&lt;@U123&gt;" in str(h.card_of(second.id).blocks)

    # Deny with a hostile reason: the card and the DM show it as text.
    since = len(h.emu.calls)
    await h.click_card(request.id, ActionId.DENY, catalogs.APPROVER)
    opened = await h.emu.wait_for_call("views.open", since=since)
    acks.append(
        await h.emu.submit_view(
            opened.response["view"]["id"],
            user_id=catalogs.APPROVER,
            values={BlockId.REASON: {VALUE: x.HOSTILE}},
        )
    )
    await h.settle()
    assert f"{INERT}" in str(h.card_of(request.id).blocks)
    assert INERT in x.dm_texts(h, catalogs.DEV)[-1]

    # Lists, homes and error messages echo user text too.
    acks.append(await h.command("list", user_id=catalogs.DEV2))
    for user in (catalogs.DEV2, catalogs.APPROVER):
        since = len(h.emu.calls)
        await h.emu.app_home_opened(user)
        await h.emu.wait_for_call("views.publish", since=since)
    assert "&lt;!channel&gt;" in str(h.emu.home_of(catalogs.APPROVER).blocks)
    for line in (
        "request <!channel> ro 1h x",
        "request orders-prod <@U123> 1h x",
        "request orders-prod ro <#C999> x",
        "<https://evil.example|click>",
        "token <!channel>",
        "extend <@U123> 1h",
        "audit <!channel>",
    ):
        acks.append(await h.command(line))
    await h.settle()
    x.assert_no_raw_markup(h, *acks)
    x.assert_readable_fallbacks(h)


async def test_every_command_works_as_slack_sends_it_with_escaping_on(h: BotHarness) -> None:
    typed = "request orders-prod ro 1h see https://jira.example.com/b?x=1&y=2 & ask @bob #ops"
    await h.command(h.emu.typed(typed))
    request = await x.only_request(h)
    assert request.reason == "see https://jira.example.com/b?x=1&y=2 & ask @bob #ops"
    await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)
    grant = await x.only_grant(h)
    for line in (
        f"token {grant.id}",
        f"extend {grant.id} 1h",
        "list",
        "audit",
        "help",
        "audit orders-prod 7d",
    ):
        ack = await h.command(h.emu.typed(line))
        assert "Unknown command" not in str(ack) and "Usage" not in str(ack), (line, ack)
    extension = next(r for r in await h.requests() if r.status == "pending")
    await h.command(h.emu.typed(f"withdraw {extension.id}"))
    assert {r.status for r in await h.requests()} == {"approved", "withdrawn"}
    await h.command(h.emu.typed(f"revoke {grant.id}"))
    assert (await x.only_grant(h)).status == "revoked"
    # An admin names someone with @: Slack sends the mention the grammar reads.
    ack = await h.command(
        h.emu.typed("request @dave orders-prod ro 1h --at 2099-01-01T03:00+01:00 x"),
        user_id=catalogs.ADMIN,
    )
    assert "at most 7d ahead" in ack["text"]  # the offset came through as typed
    await h.command(h.emu.typed("request @dave orders-prod ro 1h x"), user_id=catalogs.ADMIN)
    assert any(
        r.requester_id == catalogs.DEV2 and r.filed_by == catalogs.ADMIN for r in await h.requests()
    )
