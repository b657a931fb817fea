"""`check` and `run` warn when on-call databases have no PagerDuty token; the token never shows."""

from pathlib import Path

import yaml

from tests.foundation.test_cli import EXAMPLE, GOOD_ENV, cli


def _with_on_call(tmp_path: Path) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["databases"]["billing-aurora"]["on_call"] = {
        "pagerduty_schedule": "PDBAS01",
        "levels": ["ro"],
    }
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_check_warns_about_on_call_without_a_token(tmp_path: Path) -> None:
    catalog = _with_on_call(tmp_path)
    result = cli("check", cwd=tmp_path, DB_ACCESS_CATALOG=str(catalog), **GOOD_ENV)
    assert result.returncode == 0, result.stderr
    assert "settings ok" in result.stdout
    assert (
        "⚠ PAGERDUTY_TOKEN: not set, so on_call on billing-aurora, orders-prod approves "
        "nobody" in result.stderr
    )


def test_check_is_quiet_with_a_token_and_never_prints_it(tmp_path: Path) -> None:
    catalog = _with_on_call(tmp_path)
    token = "u+pd-secret-token-never-printed"
    result = cli(
        "check", cwd=tmp_path, DB_ACCESS_CATALOG=str(catalog), PAGERDUTY_TOKEN=token, **GOOD_ENV
    )
    assert result.returncode == 0, result.stderr
    assert "PAGERDUTY_TOKEN" not in result.stderr and token not in result.stdout
    assert token not in result.stderr


def test_a_bad_pagerduty_url_is_a_problem(tmp_path: Path) -> None:
    result = cli(
        "check",
        cwd=tmp_path,
        DB_ACCESS_CATALOG=str(EXAMPLE),
        PAGERDUTY_API_URL="api.pagerduty.com",
        **GOOD_ENV,
    )
    assert result.returncode == 2
    assert "PAGERDUTY_API_URL: not an http(s) URL" in result.stderr
