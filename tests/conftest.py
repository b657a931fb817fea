"""Test configuration: real servers on loopback, started once per session by fixtures."""

pytest_plugins = [
    "tests.support.fixtures_postgres",
    "tests.support.fixtures_mariadb",
    "tests.support.fixtures_moto",
    "tests.support.fixtures_privatebin",
]
