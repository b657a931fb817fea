"""The emulator refuses what Slack refuses: Block Kit limits on messages, views and acks."""

import json
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.support.slack_emulator import DEFAULT_CHANNEL_ID, DEFAULT_USER_ID, SlackEmulator

CHANNEL = DEFAULT_CHANNEL_ID


def text(value: str, kind: str = "mrkdwn") -> dict[str, Any]:
    return {"type": kind, "text": value}


def button(label: str = "Go", value: str = "v", action_id: str = "go") -> dict[str, Any]:
    return {
        "type": "button",
        "text": text(label, "plain_text"),
        "value": value,
        "action_id": action_id,
    }


def options(count: int, *, label: str = "o", value: str = "v") -> list[dict[str, Any]]:
    return [
        {"text": text(f"{label}{i}", "plain_text"), "value": f"{value}{i}"} for i in range(count)
    ]


def select(opts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "section",
        "text": text("pick"),
        "accessory": {"type": "static_select", "action_id": "pick", "options": opts},
    }


def modal(blocks: list[dict[str, Any]] | None = None, **changes: Any) -> dict[str, Any]:
    view = {
        "type": "modal",
        "callback_id": "cb",
        "title": text("Title", "plain_text"),
        "close": text("Cancel", "plain_text"),
        "blocks": blocks if blocks is not None else [{"type": "section", "text": text("x")}],
    }
    view.update(changes)
    return view


# (what breaks the rule, blocks, a phrase of Slack's error and where it points)
BAD_MESSAGES = [
    (
        "51 blocks",
        [{"type": "divider"}] * 51,
        "no more than 50 items allowed [json-pointer:/blocks]",
    ),
    ("section text of 3001", [{"type": "section", "text": text("x" * 3001)}], "/blocks/0"),
    ("11 section fields", [{"type": "section", "fields": [text("f")] * 11}], "10 items"),
    ("field of 2001", [{"type": "section", "fields": [text("f" * 2001)]}], "/blocks/0/fields/0"),
    ("button text of 76", [{"type": "actions", "elements": [button("b" * 76)]}], "75"),
    ("button value of 2001", [{"type": "actions", "elements": [button(value="v" * 2001)]}], "2000"),
    ("101 select options", [select(options(101))], "100 elements"),
    (
        "option text of 76",
        [select([{"text": text("t" * 76, "plain_text"), "value": "v"}])],
        "/blocks/0/accessory/options/0/text/text",
    ),
    (
        "option value of 151",
        [select([{"text": text("t", "plain_text"), "value": "v" * 151}])],
        "/blocks/0/accessory/options/0/value",
    ),
    ("empty section text", [{"type": "section", "text": text("")}], "more than 0 characters"),
    ("unknown block type", [{"type": "sectoin", "text": text("x")}], "unsupported type"),
    ("duplicate block_id", [{"type": "divider", "block_id": "a"}] * 2, "duplicate block_id"),
]


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator() as emulator:
        yield emulator


@pytest.fixture
def client(emu: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)


@pytest.mark.parametrize(
    ("rule", "blocks", "phrase"), BAD_MESSAGES, ids=[case[0] for case in BAD_MESSAGES]
)
async def test_messages_breaking_a_limit_get_invalid_blocks(
    emu: SlackEmulator, client: AsyncWebClient, rule: str, blocks: list[Any], phrase: str
) -> None:
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel=CHANNEL, text="fallback", blocks=blocks)
    assert refused.value.response["error"] == "invalid_blocks"
    messages = refused.value.response["response_metadata"]["messages"]
    assert any(phrase in m for m in messages), messages
    assert emu.messages_in(CHANNEL) == []
    [violation] = emu.take_violations()
    assert (violation.method, violation.error) == ("chat.postMessage", "invalid_blocks")


async def test_update_ephemeral_and_response_url_are_checked_too(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    too_long = [{"type": "section", "text": text("x" * 3001)}]
    posted = await client.chat_postMessage(channel=CHANNEL, text="first")
    with pytest.raises(SlackApiError) as update:
        await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="t", blocks=too_long)
    with pytest.raises(SlackApiError) as ephemeral:
        await client.chat_postEphemeral(
            channel=CHANNEL, user=DEFAULT_USER_ID, text="t", blocks=too_long
        )
    assert update.value.response["error"] == ephemeral.value.response["error"] == "invalid_blocks"
    assert [m.text for m in emu.messages_in(CHANNEL)] == ["first"]
    assert emu.ephemerals_to(DEFAULT_USER_ID) == []

    url = emu._response_url(DEFAULT_USER_ID, CHANNEL)
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json={"text": "t", "blocks": too_long}) as response,
    ):
        assert response.status == 400
        assert (await response.json())["error"] == "invalid_blocks"
    assert emu.ephemerals_to(DEFAULT_USER_ID) == []
    assert [v.method for v in emu.take_violations()] == [
        "chat.update",
        "chat.postEphemeral",
        "response_url",
    ]


BAD_VIEWS = [
    ("title of 25", modal(title=text("t" * 25, "plain_text")), "/view/title/text"),
    ("submit of 25", modal(submit=text("s" * 25, "plain_text")), "/view/submit/text"),
    ("close of 25", modal(close=text("c" * 25, "plain_text")), "/view/close/text"),
    ("private_metadata of 3001", modal(private_metadata="m" * 3001), "private_metadata"),
    ("101 blocks", modal([{"type": "divider"}] * 101), "no more than 100 items"),
    (
        "input without submit",
        modal(
            [
                {
                    "type": "input",
                    "label": text("L", "plain_text"),
                    "element": {"type": "plain_text_input", "action_id": "a"},
                }
            ]
        ),
        "submit is required",
    ),
]


@pytest.mark.parametrize(("rule", "view", "phrase"), BAD_VIEWS, ids=[c[0] for c in BAD_VIEWS])
async def test_views_breaking_a_limit_get_invalid_arguments(
    emu: SlackEmulator, client: AsyncWebClient, rule: str, view: dict[str, Any], phrase: str
) -> None:
    with pytest.raises(SlackApiError) as refused:
        await client.views_open(trigger_id=emu.workspace.issue_trigger(DEFAULT_USER_ID), view=view)
    assert refused.value.response["error"] == "invalid_arguments"
    assert any(phrase in m for m in refused.value.response["response_metadata"]["messages"])
    assert emu.open_views_of(DEFAULT_USER_ID) == []
    assert [v.method for v in emu.take_violations()] == ["views.open"]


async def test_update_push_and_publish_are_checked_too(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    opened = await client.views_open(
        trigger_id=emu.workspace.issue_trigger(DEFAULT_USER_ID), view=modal()
    )
    bad = modal(title=text("t" * 25, "plain_text"))
    for call in (
        client.views_update(view_id=opened["view"]["id"], view=bad),
        client.views_push(trigger_id=emu.workspace.issue_trigger(DEFAULT_USER_ID), view=bad),
        client.views_publish(
            user_id=DEFAULT_USER_ID, view={"type": "home", "blocks": [{"type": "divider"}] * 101}
        ),
    ):
        with pytest.raises(SlackApiError) as refused:
            await call
        assert refused.value.response["error"] == "invalid_arguments"
    assert emu.views[opened["view"]["id"]].data["title"]["text"] == "Title"
    assert emu.home_of(DEFAULT_USER_ID) is None
    assert [v.method for v in emu.take_violations()] == [
        "views.update",
        "views.push",
        "views.publish",
    ]


async def test_a_valid_payload_at_every_limit_is_accepted(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    at_limits = [
        {"type": "section", "text": text("x" * 3000), "fields": [text("f" * 2000)] * 10},
        select([{"text": text("t" * 75, "plain_text"), "value": "v" * 150}, *options(99)]),
        {"type": "actions", "elements": [button("b" * 75, "v" * 2000)]},
    ]
    at_limits += [{"type": "divider"}] * (50 - len(at_limits))
    await client.chat_postMessage(channel=CHANNEL, text="t", blocks=at_limits)
    await client.views_open(
        trigger_id=emu.workspace.issue_trigger(DEFAULT_USER_ID),
        view=modal(
            [{"type": "divider"}] * 100,
            title=text("t" * 24, "plain_text"),
            private_metadata="m" * 3000,
        ),
    )
    assert emu.violations == []


INNER_TEST = """
    import pytest
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient
    from tests.support.slack_emulator import SlackEmulator


    async def test_bot_sends_an_oversized_section():
        async with SlackEmulator() as emu:
            client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
            blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
            with pytest.raises(SlackApiError):  # the bot swallows the error...
                await client.chat_postMessage(channel="C0GENERAL1", text="t", blocks=blocks)


    async def test_expects_the_refusal():
        async with SlackEmulator() as emu:
            client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
            with pytest.raises(SlackApiError):
                await client.chat_postMessage(channel="C0GENERAL1", text="t",
                                              blocks=[{"type": "nope"}])
            assert [v.error for v in emu.take_violations()] == ["invalid_blocks"]
"""


def test_a_refused_payload_fails_the_test_that_sent_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """...and still the test fails, at teardown, naming the method and Slack's reason."""
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[1]))
    pytester.makeconftest("from tests.conftest import slack_refused_nothing  # noqa: F401\n")
    pytester.makepyfile(test_inner=textwrap.dedent(INNER_TEST))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-o", "asyncio_mode=auto")
    result.assert_outcomes(passed=2, errors=1)
    output = result.stdout.str()
    assert "ERROR at teardown of test_bot_sends_an_oversized_section" in output
    assert "chat.postMessage -> invalid_blocks" in output
    assert json.dumps("[json-pointer:/blocks/0]")[1:-1] in output
