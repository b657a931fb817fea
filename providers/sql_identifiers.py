"""Validated, quoted SQL identifiers and level grants; nothing here accepts free text."""

import re
from collections.abc import Iterable

from bot.errors import DatabaseAdminError

IDENTIFIER_RULE = "^[a-z_][a-z0-9_]{0,62}$"
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")
MYSQL_MAX_USER_LENGTH = 32

# Privileges that make sense ON <db>.*; global ones (SUPER, FILE, PROCESS, CREATE USER…) and
# GRANT OPTION are left out on purpose: a temporary grant must not hand out admin powers.
MYSQL_PRIVILEGES = frozenset(
    {
        "ALL",
        "ALL PRIVILEGES",
        "ALTER",
        "ALTER ROUTINE",
        "CREATE",
        "CREATE ROUTINE",
        "CREATE TEMPORARY TABLES",
        "CREATE VIEW",
        "DELETE",
        "DELETE HISTORY",
        "DROP",
        "EVENT",
        "EXECUTE",
        "INDEX",
        "INSERT",
        "LOCK TABLES",
        "REFERENCES",
        "SELECT",
        "SHOW VIEW",
        "TRIGGER",
        "UPDATE",
    }
)


# What GRANT ALL ON db.* gives, as information_schema.SCHEMA_PRIVILEGES lists it.
MYSQL_ALL_MEANS = MYSQL_PRIVILEGES - {"ALL", "ALL PRIVILEGES"}


def _shown(value: str) -> str:
    """The value as it appears in an error message: repr, and capped so logs stay readable."""
    return repr(value if len(value) <= 80 else value[:77] + "...")


def validate_identifier(value: str, *, what: str = "identifier") -> str:
    """Return value if it matches IDENTIFIER_RULE, else raise DatabaseAdminError naming it."""
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise DatabaseAdminError(
            f"{what} {_shown(str(value))} is not a valid SQL identifier: it must match "
            f"{IDENTIFIER_RULE} (lowercase letters, digits and _, not starting with a digit, "
            "at most 63 characters)",
            retryable=False,
        )
    return value


def quote_postgres(value: str, *, what: str = "identifier") -> str:
    """A validated identifier in PostgreSQL double quotes."""
    return '"' + validate_identifier(value, what=what) + '"'


def quote_mysql(value: str, *, what: str = "identifier") -> str:
    """A validated identifier in MySQL backquotes."""
    return "`" + validate_identifier(value, what=what) + "`"


def mysql_user(value: str) -> str:
    """A validated MySQL account `user`@'%' (any host: RDS clients come from anywhere)."""
    validate_identifier(value, what="database user")
    if len(value) > MYSQL_MAX_USER_LENGTH:
        raise DatabaseAdminError(
            f"database user {_shown(value)} is too long for MySQL "
            f"(at most {MYSQL_MAX_USER_LENGTH} characters); shorten the catalog's db_user template",
            retryable=False,
        )
    return f"`{value}`@'%'"


def mysql_database_pattern(dbname: str) -> str:
    """`dbname`.* for GRANT, with _ escaped: in a GRANT database name _ is a wildcard."""
    validate_identifier(dbname, what="database name")
    return "`" + dbname.replace("_", "\\_") + "`.*"


def postgres_grant_roles(grants: Iterable[str], *, level: str = "") -> list[str]:
    """The level's grants as quoted PostgreSQL role names (each must be an identifier)."""
    where = f"grant of level {level}" if level else "grant"
    roles: list[str] = []
    for grant in grants:
        quoted = quote_postgres(grant, what=f"{where} (a PostgreSQL role name)")
        if quoted not in roles:
            roles.append(quoted)
    return roles


def mysql_privileges(grants: Iterable[str], *, level: str = "") -> str:
    """The level's grants as one canonical MySQL privilege list (`SELECT, INSERT`; may be "")."""
    where = f"grant of level {level}" if level else "grant"
    privileges: list[str] = []
    for grant in grants:
        items = grant.split(",") if isinstance(grant, str) else [repr(grant)]
        for item in items:
            privilege = " ".join(item.split()).upper()
            if privilege not in MYSQL_PRIVILEGES:
                raise DatabaseAdminError(
                    f"{where} {_shown(str(grant))} is not a MySQL privilege list: each item must "
                    f"be one of {', '.join(sorted(MYSQL_PRIVILEGES))}",
                    retryable=False,
                )
            if privilege == "ALL":
                privilege = "ALL PRIVILEGES"
            if privilege not in privileges:
                privileges.append(privilege)
    if "ALL PRIVILEGES" in privileges:
        return "ALL PRIVILEGES"
    return ", ".join(privileges)


def mysql_privilege_set(grants: Iterable[str], *, level: str = "") -> frozenset[str]:
    """The level's grants as a set of privilege names; ALL also stands for everything held."""
    listed = mysql_privileges(grants, level=level)
    if listed == "ALL PRIVILEGES":
        return MYSQL_ALL_MEANS | {"ALL PRIVILEGES"}
    return frozenset(listed.split(", ")) if listed else frozenset()
