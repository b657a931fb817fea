"""A catalog and providers wired to the real test servers: moto, PrivateBin, PostgreSQL."""

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from bot.catalog.model import Catalog
from bot.catalog.schema import parse_catalog
from bot.config import Settings
from bot.wiring import Providers, build_providers
from tests.support import aws_seed, catalogs
from tests.support.pg_target import rds_like_target
from tests.support.postgres_server import PostgresServer

ADMIN_PASSWORD = "Adm1n-Pa55w0rd-never-shown"
_count = itertools.count()


@dataclass
class RealSetup:
    """What a test needs to look at after a flow on real parts."""

    catalog: Catalog
    providers: Providers
    resource_id: str
    role_arn: str
    target_db: str
    admin_user: str
    catalog_data: dict


PROVISIONED_ROLE = f"arn:aws:iam::{catalogs.ACCOUNT}:role/db-access/DatabasesRole_alice_smith"


def real_setup(
    postgres: PostgresServer,
    privatebin_url: str,
    *,
    provision: bool = False,
    tweak: Callable[[dict], None] | None = None,
) -> RealSetup:
    """Seed moto and a PostgreSQL target; return a catalog and the real providers for them.

    With provision, the catalog sets identity.provision and alice's role does not exist yet;
    tweak changes the catalog data (e.g. orders-prod's levels) before it is validated.
    """
    n = next(_count)
    admin = f"hyg_admin_{n}"
    target = rds_like_target(postgres, prefix="target", admin=admin, password=ADMIN_PASSWORD)
    instance = aws_seed.create_instance(f"orders-{n}")
    role_arn = PROVISIONED_ROLE if provision else aws_seed.create_role("DatabasesRole_alice_smith")
    secret_arn = aws_seed.create_secret(
        f"orders-admin-{n}", {"username": admin, "password": ADMIN_PASSWORD}
    )
    data = catalogs.catalog_data()
    orders = data["databases"]["orders-prod"]
    orders.update(
        host="127.0.0.1",
        port=postgres.port,
        dbname=target,
        instance_id=instance.identifier,
        admin={"secret_arn": secret_arn},
    )
    orders.pop("resource_id")
    orders["levels"]["ro"]["grants"] = ["app_reader"]
    if provision:
        data["identity"]["principal"] = (
            "arn:aws:iam::{account_id}:role/db-access/DatabasesRole_{handle}"
        )
        data["identity"]["provision"] = {
            "permissions_boundary": "arn:aws:iam::{account_id}:policy/db-access-boundary",
            "tags": {"team": "integration"},
        }
    if tweak is not None:
        tweak(data)
    catalog = parse_catalog(data)
    settings = Settings(privatebin_url=privatebin_url)
    return RealSetup(
        catalog=catalog,
        providers=build_providers(settings, catalog),
        resource_id=instance.resource_id,
        role_arn=role_arn,
        target_db=target,
        admin_user=admin,
        catalog_data=data,
    )
