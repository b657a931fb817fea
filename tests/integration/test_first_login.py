"""The link works on the first try: before saying "ready" the bot logs in with the new token.

The test target trusts loopback logins, so a pg_hba rule refuses the granted user for a while,
as RDS does until IAM has caught up; the server log shows each attempt by application name.
"""

import json
import logging
import ssl
from collections.abc import AsyncIterator

import pytest

from bot.catalog.schema import parse_catalog
from bot.domain import Engine
from bot.errors import LoginCheckError
from bot.store.models import AuditEvent
from providers.login_check import APPLICATION_NAME, DatabaseLogins
from tests.e2e import helpers as x
from tests.integration.real_parts import RealSetup, real_setup
from tests.integration.test_grant_delivery import grant_through_slack, links_in_dms
from tests.support import catalogs
from tests.support.fixtures_privatebin import PrivateBinProcess
from tests.support.harness import BotHarness
from tests.support.mariadb_server import MariadbServer
from tests.support.pg_hba import LoginGate
from tests.support.postgres_server import PostgresServer

USER = "alice_smith_ro"
REFUSED = f'password authentication failed for user "{USER}"'


@pytest.fixture
def setup(
    aws_env: object, postgres_server: PostgresServer, privatebin_server: PrivateBinProcess
) -> RealSetup:
    return real_setup(postgres_server, privatebin_server.url)


@pytest.fixture
async def gate(setup: RealSetup, postgres_server: PostgresServer) -> AsyncIterator[LoginGate]:
    made = LoginGate(postgres_server, dbname=setup.target_db, user=USER)
    await made.refuse()
    try:
        yield made
    finally:
        await made.close()


def login_lines(server: PostgresServer, setup: RealSetup, since: int) -> list[str]:
    """Log lines of logins as the user on the test's target database (only the bot's: the
    test logs in as nobody else, and the server names the application once it let one in)."""
    return [
        line
        for line in server.log_text()[since:].splitlines()
        if f"{USER}@{setup.target_db} " in line
        and (REFUSED in line or "connection authorized" in line)
    ]


def link_dm(h: BotHarness) -> str:
    [dm] = [d for d in x.dm_texts(h, catalogs.DEV) if "one-time login link" in d]
    return dm


async def test_refused_for_a_few_seconds_then_the_dm_says_verified(
    setup: RealSetup,
    gate: LoginGate,
    postgres_server: PostgresServer,
    state_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    since = len(postgres_server.log_text())
    gate.allow_after(2.0)
    async with BotHarness(state_url, catalog=setup.catalog, providers=setup.providers) as h:
        await grant_through_slack(h)
        await h.settle()
        dm = link_dm(h)
        assert "is ready — verified" in dm and "I logged in with this token" in dm
        assert len(links_in_dms(h, catalogs.DEV)) == 1
        [issued] = await h.rows(AuditEvent, AuditEvent.action == "token.issued")
        assert issued.details["login_verified"] is True
    lines = login_lines(postgres_server, setup, since)
    refusals = [line for line in lines if REFUSED in line]
    accepted = [line for line in lines if "connection authorized" in line]
    assert len(refusals) >= 2, lines  # retried while refused
    [last] = accepted
    assert lines[-1] == last and f"application_name={APPLICATION_NAME}" in last
    assert "X-Amz-Signature" not in caplog.text


async def test_past_the_limit_the_link_goes_out_with_a_note(
    setup: RealSetup,
    gate: LoginGate,
    postgres_server: PostgresServer,
    state_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    since = len(postgres_server.log_text())
    async with BotHarness(state_url, catalog=setup.catalog, providers=setup.providers) as h:
        h.workflow.d.verify_timeout = 1.5
        await grant_through_slack(h)
        await h.settle()
        dm = link_dm(h)
        assert "is ready — verified" not in dm
        assert "Not verified yet: the database still refused the token when I tried it" in dm
        assert "IAM changes can take a minute to reach the database" in dm
        assert len(links_in_dms(h, catalogs.DEV)) == 1  # the link went out anyway
        [issued] = await h.rows(AuditEvent, AuditEvent.action == "token.issued")
        assert issued.details["login_verified"] is False
        audit_text = json.dumps([e.details for e in await h.audit()])
    lines = login_lines(postgres_server, setup, since)
    assert len(lines) >= 2 and all(REFUSED in line for line in lines), lines
    assert "the first login was not verified" in caplog.text
    for where in (caplog.text, dm, audit_text):
        assert "X-Amz-Signature" not in where and "X-Amz-Security-Token" not in where


async def test_opted_out_databases_are_not_tried(
    aws_env: object,
    postgres_server: PostgresServer,
    privatebin_server: PrivateBinProcess,
    state_url: str,
) -> None:
    def opt_out(data: dict) -> None:
        data["databases"]["orders-prod"]["verify_login"] = False

    setup = real_setup(postgres_server, privatebin_server.url, tweak=opt_out)
    gate = LoginGate(postgres_server, dbname=setup.target_db, user=USER)
    await gate.refuse()
    since = len(postgres_server.log_text())
    try:
        async with BotHarness(state_url, catalog=setup.catalog, providers=setup.providers) as h:
            await grant_through_slack(h)
            dm = link_dm(h)
            assert "is ready (grant" in dm
            assert "verified" not in dm.lower()
            [issued] = await h.rows(AuditEvent, AuditEvent.action == "token.issued")
            assert "login_verified" not in issued.details
    finally:
        await gate.close()
    assert login_lines(postgres_server, setup, since) == []


async def test_with_fakes_refusals_are_retried(state_url: str) -> None:
    async with BotHarness(state_url) as h:
        h.logins.refuse = 2
        await x.request_and_approve(h)
        await h.settle()
        assert h.logins.attempts == 3 and "is ready — verified" in link_dm(h)
        assert h.workflow.d.timings["verify"] > 0  # the benchmark's "verify" row
        assert h.logins.passwords[-1] == h.providers.minter.minted[-1]  # the token it sent


async def test_with_fakes_an_unreachable_database_is_explained(state_url: str) -> None:
    async with BotHarness(state_url) as h:
        h.logins.unreachable = True
        await x.request_and_approve(h)
        await h.settle()
        assert "I could not check it myself" in link_dm(h)
        assert "no answer within" in link_dm(h)
        assert h.logins.attempts == 1  # no route will not pass with time: no retry


async def test_an_iam_user_gets_a_command_and_no_login_is_tried(state_url: str) -> None:
    async with BotHarness(state_url) as h:
        h.workflow.d.catalog = catalogs.make_catalog(
            catalogs.catalog_data(
                identity={
                    "principal": "arn:aws:iam::{account_id}:user/{handle}",
                    "db_user": "{handle}_{level}",
                }
            )
        )
        await x.request_and_approve(h)
        await h.settle()
        assert h.logins.attempts == 0  # an IAM user gets a command, not a token to try


# --- the verifier itself, on both engines -------------------------------------------------


async def test_postgres_login_refusal_and_success(setup: RealSetup, gate: LoginGate) -> None:
    db = setup.catalog.databases["orders-prod"]
    await setup.providers.dbadmin.ensure_user(db, db_user=USER, level=db.levels["ro"])
    secret = "Sekr1t-token-never-shown"
    with pytest.raises(LoginCheckError) as refused:
        await DatabaseLogins().try_login(db, db_user=USER, password=secret, seconds=5)
    assert refused.value.refused and secret not in str(refused.value)
    await gate.allow()
    await DatabaseLogins().try_login(db, db_user=USER, password=secret, seconds=5)


async def test_unreachable_database_is_not_a_refusal(setup: RealSetup) -> None:
    from tests.support.ports import free_port

    data = json.loads(json.dumps(setup.catalog_data))
    data["databases"]["orders-prod"]["port"] = free_port()
    db = parse_catalog(data).databases["orders-prod"]
    with pytest.raises(LoginCheckError) as failed:
        await DatabaseLogins().try_login(db, db_user=USER, password="x", seconds=2)
    assert not failed.value.refused


async def test_mysql_logins_use_tls_and_refuse_a_wrong_token(mariadb_server: MariadbServer) -> None:
    user, password = "verify_me", "Right-token-1"
    mariadb_server.sql(
        f"CREATE USER IF NOT EXISTS {user}@'%' IDENTIFIED BY '{password}' REQUIRE SSL"
    )
    mariadb_server.sql("CREATE DATABASE IF NOT EXISTS verify_target")
    mariadb_server.sql(f"GRANT SELECT ON verify_target.* TO {user}@'%'")
    data = catalogs.catalog_data()
    analytics = data["databases"]["analytics"]
    analytics.update(host=mariadb_server.tls_host, port=mariadb_server.port, dbname="verify_target")
    db = parse_catalog(data).databases["analytics"]
    assert db.engine == Engine.MYSQL
    logins = DatabaseLogins(tls=ssl.create_default_context(cafile=str(mariadb_server.ca_file)))
    await logins.try_login(db, db_user=user, password=password, seconds=5)
    with pytest.raises(LoginCheckError) as refused:
        await logins.try_login(db, db_user=user, password="Wrong-token-2", seconds=5)
    assert refused.value.refused and "Wrong-token-2" not in str(refused.value)
