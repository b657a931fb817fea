"""Catalogs for tests, built from plain data through the real validator."""

import copy
from typing import Any

from bot.catalog.model import Catalog
from bot.catalog.schema import parse_catalog

ACCOUNT = "123456789012"
APPROVER, APPROVER2, ADMIN, DEV, DEV2, OUTSIDER = (
    "U0APPROVER1",
    "U0APPROVER2",
    "U0ADMIN1",
    "U0DEV1",
    "U0DEV2",
    "U0OUTSIDER",
)
DBA_GROUP = "S0DBAS"
CHANNEL, ORDERS_CHANNEL = "C0APPROVALS", "C0ORDERS"

BASE: dict[str, Any] = {
    "approvals_channel": CHANNEL,
    "admins": [ADMIN],
    "approval_timeout": "30m",
    "identity": {
        "principal": "arn:aws:iam::{account_id}:role/DatabasesRole_{handle}",
        "db_user": "{handle}_{level}",
        "email_domains": ["example.com"],
    },
    "databases": {
        "orders-prod": {
            "description": "Orders service, production",
            "account_id": ACCOUNT,
            "region": "eu-west-1",
            "engine": "postgres",
            "host": "orders.abc.eu-west-1.rds.amazonaws.com",
            "port": 5432,
            "dbname": "orders",
            "resource_id": "db-ORDERSPROD",
            "levels": {
                "ro": {"grants": ["pg_read_all_data"]},
                "rw": {"grants": ["app_writer"], "approvals": 2},
            },
            "durations": ["15m", "1h", "4h", "8h"],
            "approvers": [APPROVER, DBA_GROUP],
            "approvals_channel": ORDERS_CHANNEL,
            "terminate_sessions": True,
            "admin": {
                "secret_arn": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:"
                "orders-admin-AbCdEf"
            },
        },
        "analytics": {
            "account_id": ACCOUNT,
            "region": "eu-west-1",
            "engine": "mysql",
            "host": "analytics.abc.eu-west-1.rds.amazonaws.com",
            "port": 3306,
            "dbname": "analytics",
            "resource_id": "db-ANALYTICS",
            "levels": {"ro": {"grants": ["SELECT"]}},
            "durations": ["1h", "8h"],
            "approvers": [APPROVER],
            "auto_approve": ["ro"],
        },
    },
}


def catalog_data(**changes: Any) -> dict[str, Any]:
    """A deep copy of the base catalog data with top-level keys replaced."""
    data = copy.deepcopy(BASE)
    data.update(changes)
    return data


def make_catalog(data: dict[str, Any] | None = None) -> Catalog:
    """A validated Catalog (the base one by default)."""
    return parse_catalog(data if data is not None else catalog_data())
