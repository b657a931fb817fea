"""Approval-rule flows on real parts: moto IAM, a PostgreSQL target, PrivateBin, PagerDuty."""

import copy
import json
import re
from dataclasses import dataclass, replace
from typing import Any

from pydantic import SecretStr

from bot.catalog.schema import parse_catalog
from bot.config import Settings
from bot.wiring import build_providers
from providers.pagerduty import PagerDutyOnCall
from tests.integration.real_parts import RealSetup, real_setup
from tests.support.harness import BotHarness
from tests.support.pagerduty_emulator import PagerDutyEmulator
from tests.support.postgres_server import PostgresServer

SCHEDULE = "PDBAS01"
LINK = re.compile(r"https?://[^\s>|\"]+/\?[0-9a-f]{16}#-[1-9A-HJ-NP-Za-km-z]+")
# The read-write level's role on the target, which the admin may hand out (roles are
# cluster-wide, so it is created once).
WRITER_ROLE = (
    "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_writer') "
    "THEN CREATE ROLE app_writer NOLOGIN; END IF; END $$"
)


@dataclass
class Rules:
    """A real setup whose orders-prod carries the approval rules under test."""

    setup: RealSetup
    pagerduty: PagerDutyEmulator | None


def rules_setup(
    postgres: PostgresServer,
    privatebin_url: str,
    *,
    pagerduty: PagerDutyEmulator | None = None,
    **orders: Any,
) -> Rules:
    """orders-prod on real parts with extra catalog keys; on-call asks the given emulator."""
    setup = real_setup(postgres, privatebin_url)
    postgres.psql(WRITER_ROLE)
    postgres.psql(f"GRANT app_writer TO {setup.admin_user} WITH ADMIN OPTION")
    data = copy.deepcopy(setup.catalog_data)
    data["databases"]["orders-prod"].update(orders)
    catalog = parse_catalog(data)
    settings = Settings(
        privatebin_url=privatebin_url,
        pagerduty_token=SecretStr(pagerduty.token) if pagerduty else None,
        pagerduty_api_url=pagerduty.base_url if pagerduty else "https://api.pagerduty.com",
    )
    providers = build_providers(settings, catalog)
    if isinstance(providers.oncall, PagerDutyOnCall):
        providers.oncall.timeout = 0.5  # "slow" in tests is half a second, not five
    return Rules(replace(setup, catalog=catalog, providers=providers, catalog_data=data), pagerduty)


def links_in_dms(h: BotHarness, user_id: str) -> list[str]:
    """Every one-time link the bot DMed to a user, in order."""
    return [m for dm in h.emu.dms_to(user_id) for m in LINK.findall(json.dumps(dm.blocks))]


def db_roles(postgres: PostgresServer, database: str, user: str) -> str:
    """The roles a database user on the target is a member of, comma-separated."""
    return postgres.psql(
        "SELECT string_agg(b.rolname, ',' ORDER BY b.rolname) FROM pg_auth_members m "
        "JOIN pg_roles a ON a.oid = m.member JOIN pg_roles b ON b.oid = m.roleid "
        f"WHERE a.rolname = '{user}'",
        database,
    )
