"""approvals_a_0001 marks earlier auto-approvals, so they count towards the new quotas."""

from bot.store.engine import downgrade, upgrade
from tests.support.fixtures_postgres import fresh_database
from tests.support.postgres_server import PostgresServer

ROW = (
    "INSERT INTO access_requests (id, kind, status, requester_id, requester_email, handle, "
    "database, level, duration_s, reason, approvals_required, approvals_channel, version, "
    "created_at, expires_at, decided_at, decided_by, granted_level) VALUES "
    "('{id}', 'new', 'approved', 'U0DEV1', 'a@example.com', 'a', 'orders-prod', 'ro', 3600, "
    "'why', 1, 'C0X', 1, now(), now(), now(), '{by}', 'ro')"
)


def test_earlier_auto_approvals_are_marked_and_the_columns_go_down(
    postgres_server: PostgresServer,
) -> None:
    name = fresh_database(postgres_server, "migr_rules")
    url = postgres_server.url(name)
    upgrade(url, "provisioning_0001")
    postgres_server.psql(ROW.format(id="rauto", by="auto"), name)
    postgres_server.psql(ROW.format(id="rbob", by="U0APPROVER1"), name)
    upgrade(url, "approvals_a_0001")
    rules = postgres_server.psql(
        "SELECT id || '=' || coalesce(rule, '-') FROM access_requests ORDER BY id", name
    )
    assert rules.split() == ["rauto=auto", "rbob=-"]
    downgrade(url, "provisioning_0001")
    columns = postgres_server.psql(
        "SELECT string_agg(column_name, ',') FROM "
        "information_schema.columns WHERE table_name = "
        "'access_requests' AND column_name LIKE 'review%'",
        name,
    )
    assert columns == ""


def test_a_store_with_history_upgrades_from_0002_to_head_in_one_run(
    postgres_server: PostgresServer,
) -> None:
    # Revisions that read a table and a later one that alters it share one transaction.
    name = fresh_database(postgres_server, "migr_history")
    url = postgres_server.url(name)
    upgrade(url, "0002")
    for n in range(3):
        postgres_server.psql(ROW.format(id=f"rold{n}", by="auto"), name)
    upgrade(url, "head")
    assert postgres_server.psql("SELECT count(*) FROM identity_bindings", name) == "1"
    assert (
        postgres_server.psql("SELECT count(*) FROM access_requests WHERE rule = 'auto'", name)
        == "3"
    )
