"""On-behalf, withdrawn, several-database and scheduled requests on real parts.

Moto for IAM, STS and Secrets Manager, a PostgreSQL and a MariaDB target, the PrivateBin-
compatible server (links decrypted by pbincli), the Slack emulator driving the real bolt app.
"""

import asyncio
import itertools
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from bot.catalog.schema import parse_catalog
from bot.lifecycle import Lifecycle
from bot.slack.actions import ActionId
from providers.aws_policy import grant_policy
from providers.aws_secrets import AwsAdminSecrets
from providers.aws_session import AwsClients
from providers.database_admin import DatabaseAdminRouter
from providers.mysql_admin import MysqlAdmin
from providers.postgres_admin import PostgresAdmin
from tests.e2e import asks
from tests.e2e import helpers as x
from tests.integration.real_parts import RealSetup, real_setup
from tests.integration.test_grant_delivery import links_in_dms
from tests.scheduler.support import MovableClock
from tests.support import aws_seed, catalogs
from tests.support.fixtures_privatebin import PrivateBinProcess
from tests.support.harness import BotHarness
from tests.support.mariadb_server import MariadbServer
from tests.support.pbin_reader import pbincli_read
from tests.support.postgres_server import PostgresServer

MARIADB_ADMIN_PASSWORD = "Maria-Adm1n-never-shown"
STAND_IN_AUTH = "IDENTIFIED BY 'stand-in-user-pw'"  # MariaDB has no AWSAuthenticationPlugin
_n = itertools.count()


async def token_in(link: str) -> dict[str, str]:
    """The query of the IAM auth token inside a one-time link (decrypted by pbincli)."""
    text = await asyncio.to_thread(pbincli_read, link)
    token = re.search(r"^password: (\S+)$", text, re.M).group(1)
    return {k: v[0] for k, v in parse_qs(urlsplit("https://" + token).query).items()}


def with_mariadb(setup: RealSetup, server: MariadbServer) -> RealSetup:
    """The real setup plus `analytics` on MariaDB, approved by carol only, admin from moto."""
    n = next(_n)
    admin, dbname = f"ab_admin_{n}", f"ab_target_{n}"
    server.sql(f"CREATE USER {admin}@'%' IDENTIFIED BY '{MARIADB_ADMIN_PASSWORD}'")
    server.sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON *.* TO {admin}@'%' WITH GRANT OPTION")
    server.sql(f"GRANT CREATE USER, PROCESS, CONNECTION ADMIN ON *.* TO {admin}@'%'")
    server.sql(f"CREATE DATABASE {dbname}")
    secret = aws_seed.create_secret(
        f"analytics-admin-{n}", {"username": admin, "password": MARIADB_ADMIN_PASSWORD}
    )
    data = setup.catalog_data
    data["identity"]["db_user"] = f"{{handle}}_{{level}}_ab{n}"  # MariaDB users outlive tests
    data["databases"]["analytics"].update(
        host=server.host,
        port=server.port,
        dbname=dbname,
        admin={"secret_arn": secret},
        approvers=[catalogs.APPROVER2],
        auto_approve=[],
        verify_login=False,  # MariaDB takes no IAM token: no first login to prove here
    )
    catalog = parse_catalog(data)
    secrets = AwsAdminSecrets(catalog, clients=AwsClients(catalog))
    setup.catalog = catalog
    setup.providers.dbadmin = DatabaseAdminRouter(
        PostgresAdmin(secrets), MysqlAdmin(secrets, auth_clause=STAND_IN_AUTH)
    )
    return setup


async def test_one_request_on_postgres_and_mariadb_gives_two_grants_and_two_links(
    aws_env: object,
    postgres_server: PostgresServer,
    mariadb_server: MariadbServer,
    privatebin_server: PrivateBinProcess,
    state_url: str,
) -> None:
    setup = with_mariadb(real_setup(postgres_server, privatebin_server.url), mariadb_server)
    async with BotHarness(state_url, catalog=setup.catalog, providers=setup.providers) as h:
        await h.command("request orders-prod,analytics ro 1h month-end numbers")
        orders, analytics = sorted(await h.requests(), key=lambda r: r.id)
        rid = orders.bundle_id
        assert rid and analytics.bundle_id == rid and len(asks.cards(h, rid)) == 2
        await asks.click_part(h, orders, ActionId.APPROVE, catalogs.APPROVER)
        await asks.click_part(h, analytics, ActionId.APPROVE, catalogs.APPROVER2)
        grants = {g.database: g for g in await h.grants()}
        assert {g.status for g in grants.values()} == {"active"}, h.emu.transcript()
        policies = aws_seed.inline_policies(setup.role_arn)
        assert set(policies) == {f"db-access-{g.id}" for g in grants.values()}
        analytics_policy = policies[f"db-access-{grants['analytics'].id}"]["Statement"][0]
        assert analytics_policy["Resource"].endswith(f"db-ANALYTICS/{grants['analytics'].db_user}")

        links = links_in_dms(h, catalogs.DEV)
        assert len(links) == 2
        users = {(await token_in(link))["DBUser"] for link in links}
        assert users == {grants["orders-prod"].db_user, grants["analytics"].db_user}
        pg_user, my_user = grants["orders-prod"].db_user, grants["analytics"].db_user
        assert (
            postgres_server.psql(
                f"SELECT pg_has_role('{pg_user}', 'app_reader', 'MEMBER')", setup.target_db
            )
            == "t"
        )
        shown = " ".join(r[0] for r in mariadb_server.sql(f"SHOW GRANTS FOR {my_user}@'%'"))
        assert "GRANT SELECT ON" in shown

        # Each grant is its own: revoking one leaves the other and its policy.
        await h.command(f"revoke {grants['analytics'].id}")
        assert set(aws_seed.inline_policies(setup.role_arn)) == {
            f"db-access-{grants['orders-prod'].id}"
        }


async def test_admin_files_for_carol_she_gets_her_own_role_user_and_link(
    aws_env: object,
    postgres_server: PostgresServer,
    privatebin_server: PrivateBinProcess,
    state_url: str,
) -> None:
    setup = real_setup(postgres_server, privatebin_server.url)
    carol_role = aws_seed.create_role("DatabasesRole_carol")
    carol = catalogs.APPROVER2  # an approver of orders-prod, through the DBA group
    async with BotHarness(state_url, catalog=setup.catalog, providers=setup.providers) as h:
        await h.command(
            f"request {asks.mention(carol)} orders-prod ro 1h audit for INC-40",
            user_id=catalogs.ADMIN,
        )
        request = await x.only_request(h)
        assert any(request.id in d and f"<@{catalogs.ADMIN}>" in d for d in x.dm_texts(h, carol))
        await h.click_card(request.id, ActionId.APPROVE, carol)
        assert await h.grants() == []  # her own request, approver or not
        await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)
        grant = await x.only_grant(h)
        assert grant.status == "active" and grant.principal_arn == carol_role
        assert set(aws_seed.inline_policies(carol_role)) == {f"db-access-{grant.id}"}
        assert aws_seed.inline_policies(setup.role_arn) == {}  # nothing on anyone else
        [link] = links_in_dms(h, carol)
        token = await token_in(link)
        assert token["DBUser"] == "carol_ro"
        assert links_in_dms(h, catalogs.ADMIN) == []
        assert (
            postgres_server.psql(
                "SELECT pg_has_role('carol_ro', 'app_reader', 'MEMBER')", setup.target_db
            )
            == "t"
        )


async def test_withdrawn_request_leaves_nothing_in_iam_or_the_database(
    aws_env: object,
    postgres_server: PostgresServer,
    privatebin_server: PrivateBinProcess,
    state_url: str,
) -> None:
    setup = real_setup(postgres_server, privatebin_server.url)
    async with BotHarness(state_url, catalog=setup.catalog, providers=setup.providers) as h:
        await h.command("request orders-prod rw 1h INC-41 fix")
        request = await x.only_request(h)
        await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)  # 1 of 2
        await h.command(f"withdraw {request.id}", user_id=catalogs.DEV2)
        assert "is not yours" in x.ephemeral_texts(h, catalogs.DEV2)[-1]
        await h.command(f"withdraw {request.id}")
        assert (await x.only_request(h)).status == "withdrawn"
        assert not any(b["type"] == "actions" for b in h.card_of(request.id).blocks)
        assert await h.grants() == [] and aws_seed.inline_policies(setup.role_arn) == {}


async def test_scheduled_start_policy_window_user_ahead_link_at_start(
    aws_env: object,
    postgres_server: PostgresServer,
    privatebin_server: PrivateBinProcess,
    state_url: str,
) -> None:
    setup = real_setup(postgres_server, privatebin_server.url)
    user = f"alice_smith_ro_s{next(_n)}"  # a database user no other test made
    setup.catalog_data["identity"]["db_user"] = user.replace("alice_smith_ro", "{handle}_{level}")
    catalog = parse_catalog(setup.catalog_data)
    role_exists = f"SELECT count(*) FROM pg_roles WHERE rolname = '{user}'"
    async with BotHarness(state_url, catalog=catalog, providers=setup.providers) as h:
        clock = MovableClock()
        h.workflow.d.clock = clock
        start = (clock() + timedelta(hours=3)).replace(second=0, microsecond=0)
        assert postgres_server.psql(role_exists) == "0"
        await h.command(f"request orders-prod ro 1h --at {asks.iso(start)} DB upgrade window")
        await h.click_card((await x.only_request(h)).id, ActionId.APPROVE, catalogs.APPROVER)
        grant = await x.only_grant(h)
        assert grant.status == "scheduled", h.emu.transcript()
        # IAM itself allows nothing before the start and nothing after the end.
        assert aws_seed.inline_policies(setup.role_arn) == {
            f"db-access-{grant.id}": grant_policy(
                grant_id=grant.id,
                region="eu-west-1",
                account_id=catalogs.ACCOUNT,
                resource_id=setup.resource_id,
                db_user=user,
                starts_at=start,
                expires_at=start + timedelta(hours=1),
            )
        }
        condition = aws_seed.inline_policies(setup.role_arn)[f"db-access-{grant.id}"]["Statement"][
            0
        ]["Condition"]
        assert condition["DateGreaterThan"]["aws:CurrentTime"] == start.strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        # The database user is ready ahead; the link is not.
        assert (
            postgres_server.psql(
                f"SELECT pg_has_role('{user}', 'app_reader', 'MEMBER')", setup.target_db
            )
            == "t"
        )
        assert links_in_dms(h, catalogs.DEV) == []

        clock.move_to(start + timedelta(seconds=1))
        await Lifecycle(h.workflow.d).steps.run_due()
        await h.settle()
        assert (await x.only_grant(h)).status == "active"
        [link] = links_in_dms(h, catalogs.DEV)
        assert (await token_in(link))["DBUser"] == user


async def test_refusals_leave_iam_the_database_and_the_state_untouched(
    aws_env: object,
    postgres_server: PostgresServer,
    privatebin_server: PrivateBinProcess,
    state_url: str,
) -> None:
    setup = real_setup(postgres_server, privatebin_server.url)
    async with BotHarness(state_url, catalog=setup.catalog, providers=setup.providers) as h:
        clock = MovableClock()
        h.workflow.d.clock = clock
        past, too_far = (
            asks.iso(clock() + delta) for delta in (-timedelta(hours=1), timedelta(days=9))
        )
        refusals = {
            f"request {asks.mention(catalogs.DEV2)} orders-prod ro 1h x": "Only admins",
            f"request orders-prod ro 1h --at {past} x": "is in the past",
            f"request orders-prod ro 1h --at {too_far} x": "at most 7d ahead",
            "request orders-prod ro 1h --at 2026-12-02T02:00 x": "has no time zone",
            "request orders-prod ro 1h --at soon x": "is not an ISO 8601 time",
        }
        for line, problem in refusals.items():
            ack = await h.command(line)
            shown = ack.get("text") or x.ephemeral_texts(h, catalogs.DEV)[-1]
            assert problem in shown, (line, shown)
        assert await h.requests() == [] and await h.grants() == []
        assert aws_seed.inline_policies(setup.role_arn) == {}
        assert (
            postgres_server.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'dave_ro'") == "0"
        )
