"""Who may read the audit trail, asked of Slack at once, with as few Slack calls as it takes."""

from bot.authorization import audit_readers
from bot.domain import SlackUser
from bot.identity import People
from tests.support import catalogs

CATALOG = catalogs.make_catalog(catalogs.catalog_data())
BY_GROUP = [
    db.model_copy(update={"approvers": ("S0DBAS",)}) for db in CATALOG.databases.values()
] * 20  # a large catalog whose approvers are user groups


class Directory:
    """A Slack directory that counts usergroups.users.list calls."""

    def __init__(self) -> None:
        self.group_calls = 0

    async def user(self, user_id: str) -> SlackUser:
        raise AssertionError("audit readers need no users.info")

    async def group_members(self, group_id: str) -> frozenset[str]:
        self.group_calls += 1
        return frozenset({"U0DBA"})


async def test_an_admin_reads_every_database_without_asking_slack_about_each() -> None:
    directory = Directory()
    people = People(directory, CATALOG)
    assert await audit_readers(people, "U0ADMIN", ("U0ADMIN",), BY_GROUP) == (True, [], None)
    assert directory.group_calls == 0


async def test_an_approver_reads_the_databases_their_group_approves() -> None:
    directory = Directory()
    people = People(directory, CATALOG)
    admin, approves, refusal = await audit_readers(people, "U0DBA", ("U0ADMIN",), BY_GROUP)
    assert (admin, refusal) == (False, None)
    assert sorted(set(approves)) == sorted(CATALOG.databases)
