"""Large catalogs and long lists stay inside Slack's limits: they search, or say how many more."""

import copy
import json
import re
from datetime import UTC, datetime
from typing import Any

from bot.lifecycle import Lifecycle
from bot.slack.actions import ActionId, BlockId
from scheduler import drift
from tests.support import catalogs
from tests.support.bulk import add_rows
from tests.support.harness import BotHarness
from tests.support.slack_emulator_blocks import find_element

DATABASES = 150


def big_catalog() -> dict[str, Any]:
    """The base catalog plus 150 databases; db-137 alone offers a 2h duration."""
    data = catalogs.catalog_data()
    template = data["databases"]["orders-prod"]
    for i in range(DATABASES):
        db = copy.deepcopy(template)
        db.update(description=f"Service {i:03d}", resource_id=f"db-SERVICE{i:03d}")
        data["databases"][f"db-{i:03d}"] = db
    data["databases"]["db-137"]["durations"] = ["2h"]
    return data


def values(options: list[dict[str, Any]]) -> list[str]:
    return [o["value"] for o in options]


async def test_150_databases_get_a_request_form_that_searches_as_you_type(state_url: str) -> None:
    async with BotHarness(state_url, catalog=catalogs.make_catalog(big_catalog())) as h:
        await h.command("")
        [form] = h.emu.open_views_of(catalogs.DEV)
        _, select = find_element(form.blocks, ActionId.PICK_DATABASE)
        assert select["type"] == "multi_external_select"  # one or several, searched

        first = await h.emu.load_options(form.id, ActionId.PICK_DATABASE, "", user_id=catalogs.DEV)
        assert len(first) == 100
        assert values(
            await h.emu.load_options(form.id, ActionId.PICK_DATABASE, "db-13", user_id=catalogs.DEV)
        ) == [f"db-13{i}" for i in range(10)]
        [picked] = await h.emu.load_options(
            form.id, ActionId.PICK_DATABASE, "SERVICE 137", user_id=catalogs.DEV
        )
        assert picked["value"] == "db-137" and picked["description"]["text"] == "Service 137"

        await h.emu.click(
            user_id=catalogs.DEV,
            view_id=form.id,
            action_id=ActionId.PICK_DATABASE,
            selected_option=picked,
        )
        await h.settle()
        _, durations = find_element(h.emu.views[form.id].blocks, "value", BlockId.DURATION)
        assert values(durations["options"]) == ["2h"]

        await h.emu.submit_view(
            form.id,
            user_id=catalogs.DEV,
            values={
                BlockId.DATABASE: {ActionId.PICK_DATABASE: [picked]},
                BlockId.LEVEL: {"value": "ro"},
                BlockId.DURATION: {"value": "2h"},
                BlockId.REASON: {"value": "look at service 137"},
            },
        )
        await h.settle()
        [request] = await h.requests()
        assert (request.database, request.duration_s) == ("db-137", 7200)
        assert "`db-137`" in json.dumps(h.card_of(request.id).blocks)


def shown_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


async def test_hundreds_of_grants_and_requests_list_and_home_say_how_many_more(
    h: BotHarness,
) -> None:
    now = datetime.now(UTC)
    await add_rows(
        h.sessions,
        user_id=catalogs.DEV,
        email="alice.smith@example.com",
        grants=200,
        pending=150,
        waiting=150,
        now=now,
    )

    await h.command("list")
    listed = h.emu.responses[-1].params["blocks"]
    assert "…and 185 more active grants" in shown_text(listed)
    assert "…and 140 more pending requests" in shown_text(listed)
    assert sum(b["type"] == "actions" for b in listed) == 15  # buttons of the soonest ending

    await h.emu.app_home_opened(catalogs.DEV)
    await h.settle()
    home = h.emu.home_of(catalogs.DEV)
    assert home is not None and "…and 185 more active grants" in shown_text(home.blocks)

    await h.emu.app_home_opened(catalogs.APPROVER)
    await h.settle()
    waiting = h.emu.home_of(catalogs.APPROVER)
    assert waiting is not None and "…and 125 more waiting" in shown_text(waiting.blocks)


async def test_audit_of_hundreds_of_events_shows_the_newest_and_counts_the_rest(
    h: BotHarness,
) -> None:
    await add_rows(
        h.sessions,
        user_id=catalogs.DEV,
        email="alice.smith@example.com",
        events=500,
        now=datetime.now(UTC),
    )
    await h.command("audit", user_id=catalogs.ADMIN)
    shown = shown_text(h.emu.responses[-1].params["blocks"])
    older = re.search(r"…and (\d+) older event\(s\)", shown)
    assert older is not None, shown[:500]
    assert int(older.group(1)) == len(await h.audit()) - 30
    assert "db-access-bot audit --csv" in shown


async def test_a_drift_summary_of_hundreds_of_fixes_shows_whole_lines_and_counts_the_rest(
    h: BotHarness,
) -> None:
    fixes = [drift.Fix("orphan_deleted", f"fix {i:03d}: " + "x" * 400) for i in range(300)]
    await drift.report(h.workflow.d, Lifecycle(h.workflow.d).steps, fixes)
    [summary] = h.emu.messages_in(catalogs.CHANNEL)
    body = summary.blocks[1]["text"]["text"].split("\n")
    shown, more = body[:-1], body[-1]
    assert all(line.startswith("• fix ") and line.endswith("…") for line in shown)
    assert more == f"…and {300 - len(shown)} more (see `/db-access audit`)."
