"""Identity: email -> handle -> principal and database user; the Slack lookups and their cache."""

import pytest

from bot.domain import Identity, Level, SlackUser
from bot.errors import IdentityError, SlackError
from bot.identity import People, TtlCache, db_user_for, handle_for, principal_for
from tests.support import catalogs

DATA = catalogs.catalog_data(identity={
    "principal": "arn:aws:iam::{account_id}:role/DatabasesRole_{handle}",
    "db_user": "{handle}_{level}",
    "overrides": {"Alice@Example.com": {"handle": "alice2"},
                  "ops@example.com": {"principal": "arn:aws:iam::{account_id}:user/ops",
                                      "db_user": "ops_{level}"}}})
CATALOG = catalogs.make_catalog(DATA)
ORDERS = CATALOG.databases["orders-prod"]


@pytest.mark.parametrize(("email", "handle"), [
    ("bob@example.com", "bob"),
    ("Jean-Luc.Picard+db@Example.com", "jean_luc_picard_db"),
    ("ALICE@example.com", "alice2"),  # override, whatever the case
    ("o'brien@example.com", "o_brien"),
])
def test_handle_for(email: str, handle: str) -> None:
    assert handle_for(email, CATALOG) == handle


def test_principal_and_db_user_from_templates_and_overrides() -> None:
    bob = Identity("U1", "bob@example.com", "bob", "Bob")
    assert principal_for(CATALOG, ORDERS, bob, Level.RO) == \
        f"arn:aws:iam::{catalogs.ACCOUNT}:role/DatabasesRole_bob"
    assert db_user_for(CATALOG, bob, Level.RW) == "bob_rw"
    ops = Identity("U2", "ops@example.com", "ops", "Ops")
    assert principal_for(CATALOG, ORDERS, ops, Level.RO) == \
        f"arn:aws:iam::{catalogs.ACCOUNT}:user/ops"
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
            "UGUEST": SlackUser("UGUEST", None, "Guest", False, False),
            "UBOT": SlackUser("UBOT", "bot@example.com", "Bot", True, False),
            "UGONE": SlackUser("UGONE", "gone@example.com", "Gone", False, True),
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
        return self.groups[group_id]


async def test_people_resolves_and_caches_identities() -> None:
    directory = Directory()
    people = People(directory, CATALOG)
    first = await people.identity("U1")
    assert first == Identity("U1", "bob@example.com", "bob", "Bob")
    assert await people.identity("U1") == first
    assert directory.calls == ["U1"]


@pytest.mark.parametrize(("user_id", "words"), [
    ("UGUEST", "no email address"),
    ("UBOT", "Bots and deactivated users"),
    ("UGONE", "Bots and deactivated users"),
])
async def test_people_refuses_users_without_a_usable_email(user_id: str, words: str) -> None:
    people = People(Directory(), CATALOG)
    with pytest.raises(IdentityError, match=words):
        await people.identity(user_id)


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
