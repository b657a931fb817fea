"""Identity: email -> handle -> principal and database user; the Slack lookups and their cache."""

import re

import pytest

from bot.domain import Identity, Level, SlackUser
from bot.errors import IdentityError, SlackError
from bot.identity import People, TtlCache, db_user_for, handle_for, principal_for
from tests.support import catalogs

DATA = catalogs.catalog_data(
    identity={
        "principal": "arn:aws:iam::{account_id}:role/DatabasesRole_{handle}",
        "db_user": "{handle}_{level}",
        "overrides": {
            "Alice@Example.com": {"handle": "alice2"},
            "ops@example.com": {
                "principal": "arn:aws:iam::{account_id}:user/ops",
                "db_user": "ops_{level}",
            },
        },
    }
)
CATALOG = catalogs.make_catalog(DATA)
LISTED_DOMAINS = catalogs.make_catalog(catalogs.catalog_data())  # email_domains: [example.com]
ORDERS = CATALOG.databases["orders-prod"]


@pytest.mark.parametrize(
    ("email", "handle"),
    [
        ("bob@example.com", "bob"),
        ("Jean-Luc.Picard+db@Example.com", "jean_luc_picard_db"),
        ("ALICE@example.com", "alice2"),  # override, whatever the case
        ("o'brien@example.com", "o_brien"),
    ],
)
def test_handle_for(email: str, handle: str) -> None:
    assert handle_for(email, CATALOG) == handle


def test_principal_and_db_user_from_templates_and_overrides() -> None:
    bob = Identity("U1", "bob@example.com", "bob", "Bob")
    assert (
        principal_for(CATALOG, ORDERS, bob, Level.RO)
        == f"arn:aws:iam::{catalogs.ACCOUNT}:role/DatabasesRole_bob"
    )
    assert db_user_for(CATALOG, bob, Level.RW) == "bob_rw"
    ops = Identity("U2", "ops@example.com", "ops", "Ops")
    assert (
        principal_for(CATALOG, ORDERS, ops, Level.RO) == f"arn:aws:iam::{catalogs.ACCOUNT}:user/ops"
    )
    assert db_user_for(CATALOG, ops, Level.RO) == "ops_ro"


def test_unsafe_db_user_is_refused() -> None:
    odd = Identity("U3", "9lives@example.com", "9lives", "Nine")
    with pytest.raises(IdentityError, match="not a safe SQL identifier"):
        db_user_for(CATALOG, odd, Level.RO)


class Directory:
    """users.info and usergroups.users.list from dicts, counting calls."""

    def __init__(self) -> None:
        self.users = {
            "U1": SlackUser("U1", "Bob@Example.com", "Bob", False, False),
            "UNOMAIL": SlackUser("UNOMAIL", None, "No Mail", False, False),
            "UGUEST": SlackUser(
                "UGUEST", "guest@example.com", "Guest", False, False, is_guest=True
            ),
            "UCONNECT": SlackUser(
                "UCONNECT", "carl@partner.example", "Carl", False, False, is_external=True
            ),
            "UAPP": SlackUser("UAPP", "app@example.com", "App", False, False, is_app_user=True),
            "UBOT": SlackUser("UBOT", "bot@example.com", "Bot", True, False),
            "UGONE": SlackUser("UGONE", "gone@example.com", "Gone", False, True),
            "UVENDOR": SlackUser("UVENDOR", "bob@vendor.example", "Vendor Bob", False, False),
        }
        self.groups = {"S1": frozenset({"U7", "U8"})}
        self.calls: list[str] = []
        self.failing = False

    async def user(self, user_id: str) -> SlackUser:
        self.calls.append(user_id)
        if self.failing:
            raise SlackError("Slack users.info failed (ratelimited).")
        return self.users[user_id]

    async def group_members(self, group_id: str) -> frozenset[str]:
        self.calls.append(group_id)
        if self.failing:
            raise SlackError("Slack usergroups.users.list failed (ratelimited).")
        return self.groups[group_id]


async def test_people_resolves_and_caches_identities() -> None:
    directory = Directory()
    people = People(directory, CATALOG)
    first = await people.identity("U1")
    assert first == Identity("U1", "bob@example.com", "bob", "Bob")
    assert await people.identity("U1") == first
    assert directory.calls == ["U1"]


@pytest.mark.parametrize(
    ("user_id", "code", "words"),
    [
        ("UNOMAIL", "no_email", "no email address"),
        ("UGUEST", "guest", "Guest accounts cannot be mapped"),
        ("UCONNECT", "external", "another organisation's Slack (Slack Connect)"),
        ("UAPP", "app_user", "an app's account"),
        ("UBOT", "bot", "Bots cannot request"),
        ("UGONE", "deactivated", "deactivated"),
        ("UVENDOR", "email_domain", "vendor.example is not one I map to AWS roles (example.com)"),
    ],
)
async def test_people_refuses_whoever_may_not_be_mapped(
    user_id: str, code: str, words: str
) -> None:
    people = People(Directory(), LISTED_DOMAINS)
    with pytest.raises(IdentityError, match=re.escape(words)) as refused:
        await people.identity(user_id)
    assert refused.value.code == code
    assert (await people.identity("U1")).handle == "bob"


async def test_without_email_domains_any_domain_is_mapped() -> None:
    people = People(Directory(), CATALOG)
    assert (await people.identity("UVENDOR")).handle == "bob"


async def test_a_slack_failure_is_not_cached() -> None:
    directory = Directory()
    people = People(directory, CATALOG)
    directory.failing = True
    with pytest.raises(IdentityError, match=r"users\.info failed"):
        await people.identity("U1")
    directory.failing = False
    assert (await people.identity("U1")).handle == "bob"


async def test_group_membership_is_cached() -> None:
    directory = Directory()
    people = People(directory, CATALOG)
    assert await people.is_member("U7", ("U1", "S1"))
    assert await people.is_member("U1", ("U1", "S1"))
    assert not await people.is_member("U9", ("U1", "S1"))
    assert await people.members(("U1", "S1")) == {"U1", "U7", "U8"}
    assert directory.calls == ["S1"]


async def test_ttl_cache_reloads_after_the_ttl() -> None:
    now = [0.0]
    cache: TtlCache[int] = TtlCache(10, clock=lambda: now[0])
    loads = []

    async def load() -> int:
        loads.append(now[0])
        return len(loads)

    assert await cache.get("k", load) == 1
    now[0] = 9.9
    assert await cache.get("k", load) == 1
    now[0] = 10.1
    assert await cache.get("k", load) == 2
