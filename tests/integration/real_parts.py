"""A catalog and providers wired to the real test servers: moto, PrivateBin, PostgreSQL."""

import itertools
from dataclasses import dataclass

from bot.catalog import Catalog
from bot.catalog_schema import parse_catalog
from bot.config import Settings
from bot.wiring import Providers, build_providers
from tests.support import aws_seed, catalogs
from tests.support.fixtures_postgres import fresh_database
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


def real_setup(postgres: PostgresServer, privatebin_url: str) -> RealSetup:
    """Seed moto and a PostgreSQL target; return a catalog and the real providers for them."""
    n = next(_count)
    target = fresh_database(postgres, "target")
    admin = f"hyg_admin_{n}"
    postgres.psql("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') "
                  "THEN CREATE ROLE rds_iam NOLOGIN; END IF; IF NOT EXISTS (SELECT FROM "
                  "pg_roles WHERE rolname = 'app_reader') THEN CREATE ROLE app_reader NOLOGIN; "
                  "END IF; END $$; GRANT pg_read_all_data TO app_reader")
    postgres.psql(f"CREATE ROLE {admin} LOGIN CREATEROLE PASSWORD '{ADMIN_PASSWORD}'; "
                  f"GRANT rds_iam TO {admin} WITH ADMIN OPTION; "
                  f"GRANT app_reader TO {admin} WITH ADMIN OPTION; "
                  f"GRANT pg_signal_backend TO {admin}")
    instance = aws_seed.create_instance(f"orders-{n}")
    role_arn = aws_seed.create_role("DatabasesRole_alice_smith")
    secret_arn = aws_seed.create_secret(f"orders-admin-{n}",
                                        {"username": admin, "password": ADMIN_PASSWORD})
    data = catalogs.catalog_data()
    orders = data["databases"]["orders-prod"]
    orders.update(host="127.0.0.1", port=postgres.port, dbname=target,
                  instance_id=instance.identifier, admin={"secret_arn": secret_arn})
    orders.pop("resource_id")
    orders["levels"]["ro"]["grants"] = ["app_reader"]
    catalog = parse_catalog(data)
    settings = Settings(privatebin_url=privatebin_url)
    return RealSetup(catalog=catalog, providers=build_providers(settings, catalog),
                     resource_id=instance.resource_id, role_arn=role_arn, target_db=target,
                     admin_user=admin, catalog_data=data)
