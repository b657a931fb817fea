"""The text inside a one-time link: the token and a ready command line (pure)."""

from datetime import datetime

from bot.catalog.database import DatabaseSpec
from bot.domain import Engine

CA_BUNDLE = "global-bundle.pem"
CA_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


def connect_command(database: DatabaseSpec, *, db_user: str, token: str) -> str:
    """A shell line that connects with TLS verification, the token as password."""
    if database.engine == Engine.POSTGRES:
        return (
            f'PGPASSWORD={_quote(token)} psql "host={database.host} port={database.port} '
            f"dbname={database.dbname} user={db_user} sslmode=verify-full "
            f'sslrootcert={CA_BUNDLE}"'
        )
    return (
        f"mysql --host={database.host} --port={database.port} --user={db_user} "
        f"--password={_quote(token)} --enable-cleartext-plugin "
        f"--ssl-mode=VERIFY_IDENTITY --ssl-ca={CA_BUNDLE} {database.dbname}"
    )


def paste_text(
    database: DatabaseSpec,
    *,
    grant_id: str,
    db_user: str,
    token: str,
    token_expires: datetime,
    access_ends: datetime | None,
) -> str:
    """Everything the user needs to log in once, for the burn-after-reading paste."""
    ends = access_ends.strftime("%Y-%m-%d %H:%M UTC") if access_ends else "no fixed end"
    return "\n".join(
        [
            f"db-access-bot login for {database.name} (grant {grant_id})",
            "",
            f"host:     {database.host}",
            f"port:     {database.port}",
            f"dbname:   {database.dbname}",
            f"user:     {db_user}",
            f"password: {token}",
            "",
            f"The password is an IAM auth token; it works until "
            f"{token_expires:%H:%M UTC} (15 minutes). Your access ends {ends}.",
            "",
            "Connect (TLS is required; get the RDS CA bundle first):",
            f"  curl -sO {CA_URL}",
            f"  {connect_command(database, db_user=db_user, token=token)}",
        ]
    )
