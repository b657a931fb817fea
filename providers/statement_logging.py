"""Per-user statement logging on PostgreSQL: `log_statement`, or `pgaudit.log` where installed.

Both are role defaults (`ALTER ROLE … SET`), read when a session starts, so the user's next
login is logged; both need the admin to hold SET on the parameter (PostgreSQL ≥ 15:
`GRANT SET ON PARAMETER log_statement TO <admin>`; on RDS, rds_superuser).
"""

import asyncpg

from bot.catalog.database import DatabaseSpec
from bot.domain import StatementLog
from bot.errors import DatabaseAdminError
from providers.sql_identifiers import quote_postgres

# pgaudit's classes for each setting: GRANT/REVOKE are DDL to log_statement, `role` to pgaudit.
PGAUDIT_CLASSES = {
    StatementLog.DDL: "ddl, role",
    StatementLog.MOD: "ddl, role, write",
    StatementLog.ALL: "all",
}
NOTHING = "nothing"


def described(setting: StatementLog, parameter: str, value: str) -> str:
    """What the audit row says is logged, e.g. `ddl statements (log_statement = 'ddl')`."""
    return f"{setting.value} statements ({parameter} = '{value}')"


async def set_statement_log(
    conn: asyncpg.Connection, database: DatabaseSpec, *, db_user: str, setting: StatementLog
) -> str:
    """Set (or, for none, reset) db_user's statement logging; return what is logged now."""
    user = quote_postgres(db_user, what="database user")
    if not await conn.fetchval("SELECT true FROM pg_roles WHERE rolname = $1", db_user):
        return NOTHING  # no such user (dropped after a failed grant): nothing to log or reset
    pgaudit = bool(await conn.fetchval("SELECT true FROM pg_extension WHERE extname = 'pgaudit'"))
    parameter = "pgaudit.log" if pgaudit else "log_statement"
    try:
        if setting == StatementLog.NONE:
            await conn.execute(f"ALTER ROLE {user} RESET log_statement")
            if pgaudit:
                await conn.execute(f"ALTER ROLE {user} RESET pgaudit.log")
            return NOTHING
        # The values come from a fixed table; ALTER ROLE … SET takes no bind parameters.
        value = PGAUDIT_CLASSES[setting] if pgaudit else setting.value
        await conn.execute(f"ALTER ROLE {user} SET {parameter} = '{value}'")
    except asyncpg.InsufficientPrivilegeError:
        raise DatabaseAdminError(
            f"the admin login on {database.name} may not set {parameter} for users; run "
            f"GRANT SET ON PARAMETER {parameter} TO <admin user> (PostgreSQL 15 or later; on "
            "RDS the admin needs rds_superuser), or set log_statements: none for this level",
            retryable=False,
        ) from None
    return described(setting, parameter, value)
