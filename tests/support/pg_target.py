"""A PostgreSQL target database that looks like RDS: an `rds_iam` role, level roles, an admin."""

from tests.support.fixtures_postgres import fresh_database
from tests.support.postgres_server import PostgresServer

# The shared cluster keeps roles across tests, so they are created only once.
RDS_LIKE_ROLES = (
    "DO $$ BEGIN"
    " IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN"
    "  CREATE ROLE rds_iam NOLOGIN; END IF;"
    " IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_reader') THEN"
    "  CREATE ROLE app_reader NOLOGIN; GRANT pg_read_all_data TO app_reader; END IF;"
    " IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_writer') THEN"
    "  CREATE ROLE app_writer NOLOGIN; GRANT pg_write_all_data TO app_writer; END IF;"
    " IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_auditor') THEN"
    "  CREATE ROLE app_auditor NOLOGIN; END IF;"
    " END $$"
)


def rds_like_target(server: PostgresServer, *, prefix: str, admin: str, password: str) -> str:
    """A fresh database plus an admin that may create IAM users and end sessions; its name."""
    dbname = fresh_database(server, prefix)
    server.psql(RDS_LIKE_ROLES)
    server.psql(
        f"CREATE ROLE {admin} LOGIN CREATEROLE PASSWORD '{password}';"
        f"GRANT rds_iam, app_reader, app_writer, app_auditor TO {admin} WITH ADMIN OPTION;"
        f"GRANT pg_signal_backend TO {admin};"
        # What log_statements needs (README: Statements on record).
        f"GRANT SET ON PARAMETER log_statement TO {admin}"
    )
    return dbname
