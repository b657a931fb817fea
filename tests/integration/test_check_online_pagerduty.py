"""`check --online` asks PagerDuty about every schedule the catalog's on_call rules name."""

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.ops.online_check import run_online_checks
from providers.pagerduty import PagerDutyOnCall
from tests.approvals.support import SCHEDULE, rules_setup
from tests.support import aws_seed
from tests.support.fixtures_privatebin import PrivateBinProcess
from tests.support.harness import PEOPLE
from tests.support.online_check_setup import settings_for
from tests.support.pagerduty_emulator import PagerDutyEmulator
from tests.support.postgres_server import PostgresServer
from tests.support.slack_emulator import SlackEmulator

ON_CALL = {"pagerduty_schedule": SCHEDULE, "levels": ["rw"], "max_duration": "4h"}


@pytest.fixture
async def slack() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator() as emulator:
        for user_id, (name, email) in PEOPLE.items():
            emulator.add_user(user_id, name, email=email)
        yield emulator


@pytest.fixture
async def pagerduty() -> AsyncIterator[PagerDutyEmulator]:
    async with PagerDutyEmulator() as emulator:
        emulator.add_schedule(SCHEDULE, "DBA primary")
        yield emulator


def _settings(
    slack: SlackEmulator, privatebin: str, state_url: str, pagerduty: PagerDutyEmulator
) -> Settings:
    return settings_for(slack, privatebin, state_url).model_copy(
        update={
            "pagerduty_token": SecretStr(pagerduty.token),
            "pagerduty_api_url": pagerduty.base_url,
        }
    )


async def test_a_schedule_that_answers_passes(
    aws_env: object,
    postgres_server: PostgresServer,
    privatebin_server: PrivateBinProcess,
    slack: SlackEmulator,
    state_url: str,
    pagerduty: PagerDutyEmulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pagerduty.put_on_call(SCHEDULE, "dave@example.com")
    setup = rules_setup(
        postgres_server, privatebin_server.url, pagerduty=pagerduty, on_call=ON_CALL
    ).setup
    aws_seed.create_role("DatabasesRole_ada")
    code = await run_online_checks(
        _settings(slack, privatebin_server.url, state_url, pagerduty),
        setup.catalog,
        setup.providers,
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"✓ PagerDuty schedule {SCHEDULE}: 'DBA primary' answers, 1 on call now" in out
    assert pagerduty.token not in out


async def test_a_missing_schedule_or_a_refused_token_fails_with_the_fix(
    aws_env: object,
    postgres_server: PostgresServer,
    privatebin_server: PrivateBinProcess,
    slack: SlackEmulator,
    state_url: str,
    pagerduty: PagerDutyEmulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup = rules_setup(
        postgres_server,
        privatebin_server.url,
        pagerduty=pagerduty,
        on_call={**ON_CALL, "pagerduty_schedule": "PNOPE99"},
    ).setup
    aws_seed.create_role("DatabasesRole_ada")
    settings = _settings(slack, privatebin_server.url, state_url, pagerduty)
    code = await run_online_checks(settings, setup.catalog, setup.providers)
    out = capsys.readouterr().out
    assert code == 2
    [line] = [x for x in out.splitlines() if x.startswith("✗")]
    assert line.startswith("✗ PagerDuty schedule PNOPE99: PagerDuty answered HTTP 404")
    assert "check on_call.pagerduty_schedule in the catalog" in line

    setup.providers.oncall = PagerDutyOnCall(pagerduty.base_url, SecretStr("pd-wrong-token"))
    code = await run_online_checks(settings, setup.catalog, setup.providers)
    out = capsys.readouterr().out
    assert code == 2 and "HTTP 401" in out and "pd-wrong-token" not in out
