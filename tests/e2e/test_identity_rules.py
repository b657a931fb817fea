"""Who may be mapped to an AWS role, and one Slack user per handle, through the emulator."""

from collections.abc import Callable
from typing import Any

import pytest

from bot.catalog.model import Catalog
from tests.e2e import helpers as x
from tests.support import catalogs
from tests.support import slack_emulator_people as people
from tests.support.harness import BotHarness

LINE = "request analytics ro 1h INC-7"  # analytics ro is auto-approved: no human in the loop


def only_example_com() -> Catalog:
    """The test catalog, which maps only @example.com addresses (identity.email_domains)."""
    catalog = catalogs.make_catalog()
    assert catalog.identity.email_domains == ("example.com",)
    return catalog


def notices(h: BotHarness) -> list[str]:
    """Texts of the collision notices in the default approvals channel."""
    return [m.text for m in h.emu.messages_in(catalogs.CHANNEL) if "maps to the handle" in m.text]


REFUSED = {
    "multi-channel guest": (
        lambda emu: people.add_guest(emu, "U0GUEST1", "gus", "gus@example.com"),
        "guest",
        "Guest accounts cannot be mapped",
    ),
    "single-channel guest": (
        lambda emu: people.add_guest(
            emu, "U0GUEST2", "gil", "gil@example.com", single_channel=True
        ),
        "guest",
        "Guest accounts cannot be mapped",
    ),
    "Slack Connect member": (
        lambda emu: people.add_slack_connect_user(emu, "U0CONNECT1", "alice", "alice@example.com"),
        "external",
        "Slack Connect",
    ),
    "Slack Connect stranger": (
        lambda emu: people.add_slack_connect_user(
            emu, "U0CONNECT2", "sam", "sam@example.com", stranger=True
        ),
        "external",
        "Slack Connect",
    ),
    "app user": (
        lambda emu: people.add_app_user(emu, "U0APPUSER1", "helper", "helper@example.com"),
        "app_user",
        "an app's account",
    ),
    "bot": (
        lambda emu: people.add_bot_user(emu, "U0OTHERBOT", "otherbot", "bot@example.com"),
        "bot",
        "Bots cannot request",
    ),
    "deactivated user": (
        lambda emu: people.add_deactivated_user(emu, "U0LEFT1", "leaver", "leaver@example.com"),
        "deactivated",
        "deactivated",
    ),
    "unlisted email domain": (
        lambda emu: emu.add_user("U0VENDOR1", "alice", email="alice@vendor.example"),
        "email_domain",
        "vendor.example is not one I map",
    ),
}


@pytest.mark.parametrize("kind", list(REFUSED))
async def test_who_may_not_be_mapped_is_refused_and_audited(state_url: str, kind: str) -> None:
    async with BotHarness(state_url, catalog=only_example_com()) as h:
        await _refused(h, *REFUSED[kind])


async def _refused(
    h: BotHarness, add: Callable[[Any], dict[str, Any]], code: str, words: str
) -> None:
    user_id = add(h.emu)["id"]
    await h.command(LINE, user_id=user_id)
    [refusal] = x.ephemeral_texts(h, user_id)
    assert words in refusal
    assert await h.requests() == [] and await h.grants() == []
    assert h.iam.attached == []
    [audited] = await h.audit("request.refused")
    assert (audited.actor, audited.details["code"]) == (user_id, code)
    assert audited.details["why"] in refusal
    views = len(h.emu.views)
    await h.command("", user_id=user_id)  # nor is the request form opened for them
    assert len(h.emu.views) == views


async def test_a_colliding_user_is_refused_and_the_admins_are_told(h: BotHarness) -> None:
    h.emu.add_user("U0ALICE1", "a.lice", email="a.lice@example.com")
    h.emu.add_user("U0ALICE2", "a_lice", email="a_lice@example.com")  # also handle a_lice
    await h.command(LINE, user_id="U0ALICE1")
    [first] = await h.grants()
    assert (first.handle, first.db_user) == ("a_lice", "a_lice_ro")

    await h.command(LINE, user_id="U0ALICE2")
    refusal = x.ephemeral_texts(h, "U0ALICE2")[-1]
    assert "already belongs to another person" in refusal
    assert "identity.overrides entry for a_lice@example.com" in refusal
    assert len(await h.grants()) == 1
    [notice] = notices(h)
    assert "<@U0ALICE2> (a_lice@example.com) maps to the handle `a_lice`" in notice
    assert "belongs to <@U0ALICE1>" in notice and "identity.overrides" in notice
    [collision] = await h.audit("identity.collision")
    assert collision.details == {
        "handle": "a_lice",
        "email": "a_lice@example.com",
        "owner": "U0ALICE1",
    }
    assert [e.details["code"] for e in await h.audit("request.refused")] == ["handle_taken"]

    await h.command(LINE, user_id="U0ALICE2")  # trying again tells the admins nothing new
    assert len(notices(h)) == 1
    assert len(await h.audit("request.refused")) == 2


async def test_an_override_gives_the_second_person_their_own_handle(state_url: str) -> None:
    data = catalogs.catalog_data(
        identity={
            **catalogs.BASE["identity"],
            "overrides": {"a_lice@example.com": {"handle": "alice_l"}},
        }
    )
    async with BotHarness(state_url, catalog=catalogs.make_catalog(data)) as h:
        h.emu.add_user("U0ALICE1", "a.lice", email="a.lice@example.com")
        h.emu.add_user("U0ALICE2", "a_lice", email="a_lice@example.com")
        await h.command(LINE, user_id="U0ALICE1")
        await h.command(LINE, user_id="U0ALICE2")
        handles = {g.user_id: (g.handle, g.db_user) for g in await h.grants()}
        assert handles == {
            "U0ALICE1": ("a_lice", "a_lice_ro"),
            "U0ALICE2": ("alice_l", "alice_l_ro"),
        }
        assert notices(h) == []


async def test_an_email_change_keeps_the_handle_bound_to_the_slack_user(state_url: str) -> None:
    async with BotHarness(state_url) as h:
        await h.command(LINE, user_id=catalogs.DEV)  # alice.smith@example.com
    async with BotHarness(state_url) as h:  # a restarted bot: nothing cached
        people.change_email(h.emu, catalogs.DEV, "alice@example.com")
        await h.command("request orders-prod ro 1h INC-8", user_id=catalogs.DEV)
        [request] = [r for r in await h.requests() if r.database == "orders-prod"]
        assert (request.handle, request.requester_email) == ("alice_smith", "alice@example.com")
        # The old handle stays Alice's: someone else whose email maps to it is refused.
        h.emu.add_user("U0NEWSMITH", "alice.smith", email="alice_smith@example.com")
        await h.command(LINE, user_id="U0NEWSMITH")
        assert "already belongs to another person" in x.ephemeral_texts(h, "U0NEWSMITH")[-1]
