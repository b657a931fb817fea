"""Fixtures for approval-rule flows: a PagerDuty emulator, and a bot over real parts."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest

from tests.approvals.support import SCHEDULE, Rules, rules_setup
from tests.support.fixtures_privatebin import PrivateBinProcess
from tests.support.harness import BotHarness
from tests.support.pagerduty_emulator import PagerDutyEmulator
from tests.support.postgres_server import PostgresServer

BotWith = Callable[..., AbstractAsyncContextManager[BotHarness]]


@pytest.fixture
async def pagerduty() -> AsyncIterator[PagerDutyEmulator]:
    """The PagerDuty emulator with the DBA schedule."""
    async with PagerDutyEmulator() as emulator:
        emulator.add_schedule(SCHEDULE, "DBA primary")
        yield emulator


@pytest.fixture
def bot_with(
    aws_env: object,
    postgres_server: PostgresServer,
    privatebin_server: PrivateBinProcess,
    state_url: str,
) -> BotWith:
    """`async with bot_with(**orders_keys) as h:` a bot whose orders-prod has those keys."""

    @asynccontextmanager
    async def start(
        pagerduty: PagerDutyEmulator | None = None, **orders: Any
    ) -> AsyncIterator[BotHarness]:
        rules: Rules = rules_setup(
            postgres_server, privatebin_server.url, pagerduty=pagerduty, **orders
        )
        async with BotHarness(
            state_url, catalog=rules.setup.catalog, providers=rules.setup.providers
        ) as h:
            h.real = rules.setup  # type: ignore[attr-defined]
            try:
                yield h
            finally:
                if rules.setup.providers.oncall is not None:
                    await rules.setup.providers.oncall.close()  # type: ignore[attr-defined]

    return start
