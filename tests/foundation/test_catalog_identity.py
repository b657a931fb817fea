"""Catalog identity rules: email domains, and templates that would make people share a user."""

from pathlib import Path

import pytest
import yaml

from bot.catalog.schema import parse_catalog
from tests.foundation.test_catalog import problems_of, with_change
from tests.foundation.test_cli import EXAMPLE, GOOD_ENV, cli


def test_email_domains_are_read_lowercase_without_duplicates() -> None:
    data = with_change("identity.email_domains", ["Example.com", "@corp.example", "example.com"])
    assert parse_catalog(data).identity.email_domains == ("example.com", "corp.example")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "example.com",
            "identity.email_domains: must be a list of email domains, e.g. [example.com], not text",
        ),
        ([], "identity.email_domains: must list at least one email domain"),
        (
            ["example.com", "alice@example.com"],
            "identity.email_domains[1]: 'alice@example.com' is not an email domain",
        ),
        (["localhost"], "identity.email_domains[0]: 'localhost' is not an email domain"),
    ],
)
def test_bad_email_domains_name_their_path(value: object, expected: str) -> None:
    [problem] = problems_of(with_change("identity.email_domains", value))
    assert problem.startswith(expected)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (
            "dbuser_{level}",
            "identity.db_user: 'dbuser_{level}' has no {handle}, so everyone would "
            "share one database user",
        ),
        (
            "{handle}",
            "identity.db_user: '{handle}' has no {level}, but the levels of "
            "databases.orders-prod carry different grants (ro: pg_read_all_data; rw: "
            "app_writer)",
        ),
        (
            "{handle}-x",
            "identity.db_user: '{handle}-x' cannot give a safe SQL identifier whatever "
            "the handle (with handle 'a' it gives 'a-x'",
        ),
        (
            "9{handle}_{level}",
            "identity.db_user: '9{handle}_{level}' cannot give a safe SQL identifier",
        ),
        (
            "{handle}_{level}_on_the_analytics_data_warehouse",
            "identity.db_user: "
            "'{handle}_{level}_on_the_analytics_data_warehouse' gives names longer than MySQL's 32 "
            "characters even for the handle 'a' (databases.analytics is MySQL)",
        ),
    ],
)
def test_db_user_templates_that_would_share_or_break_users_are_refused(
    template: str, expected: str
) -> None:
    problems = problems_of(with_change("identity.db_user", template))
    assert any(p.startswith(expected) for p in problems), problems


def test_a_template_without_level_is_fine_where_levels_grant_the_same() -> None:
    data = with_change("identity.db_user", "{handle}")
    data["databases"]["orders-prod"]["levels"]["rw"]["grants"] = ["pg_read_all_data"]
    assert parse_catalog(data).identity.db_user == "{handle}"


def test_an_override_may_name_one_fixed_user_but_not_share_it_across_levels() -> None:
    fixed = with_change("identity.overrides", {"ops@example.com": {"db_user": "ops_{level}"}})
    assert parse_catalog(fixed).identity.overrides["ops@example.com"]["db_user"] == "ops_{level}"
    shared = with_change("identity.overrides", {"ops@example.com": {"db_user": "ops"}})
    [problem] = problems_of(shared)
    assert problem.startswith("identity.overrides.ops@example.com.db_user: 'ops' has no {level}")


def test_a_principal_template_without_handle_is_refused() -> None:
    data = with_change("identity.principal", "arn:aws:iam::{account_id}:role/Databases")
    [problem] = problems_of(data)
    assert problem.startswith(
        "identity.principal: 'arn:aws:iam::{account_id}:role/Databases' "
        "has no {handle}, so everyone would get the same IAM principal"
    )


def test_check_warns_when_email_domains_is_missing(tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    del data["identity"]["email_domains"]
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(yaml.safe_dump(data))
    warned = cli("check", cwd=tmp_path, DB_ACCESS_CATALOG=str(catalog), **GOOD_ENV)
    assert warned.returncode == 0, warned.stderr
    assert (
        "⚠ identity.email_domains is not set: a Slack member with any email domain is "
        "mapped to an AWS role" in warned.stderr
    )
    # The example's on_call needs a PagerDuty token to be complete (check warns without one).
    quiet = cli(
        "check",
        cwd=tmp_path,
        DB_ACCESS_CATALOG=str(EXAMPLE),
        PAGERDUTY_TOKEN="u+pd-token",
        **GOOD_ENV,
    )
    assert quiet.returncode == 0 and quiet.stderr == ""
