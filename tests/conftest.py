"""Test configuration: real servers on loopback, started once per session by fixtures."""

from collections.abc import Iterator

import pytest

from tests.support.slack_emulator import SlackEmulator

pytest_plugins = [
    "tests.support.fixtures_postgres",
    "tests.support.fixtures_mariadb",
    "tests.support.fixtures_moto",
    "tests.support.fixtures_privatebin",
    "tests.support.fixtures_admin_targets",
    "pytester",
]


@pytest.fixture(autouse=True)
def slack_refused_nothing() -> Iterator[None]:
    """Fail the test if the bot sent any Slack emulator a payload real Slack would refuse.

    A test that provokes such a payload on purpose takes it with ``emu.take_violations()``.
    """
    first = len(SlackEmulator.started)
    yield
    emulators = SlackEmulator.started[first:]
    del SlackEmulator.started[first:]
    violations = [v for emu in emulators for v in emu.violations]
    if violations:
        details = "\n".join(v.describe() for v in violations)
        pytest.fail(
            f"Slack would have refused {len(violations)} payload(s):\n{details}", pytrace=False
        )
