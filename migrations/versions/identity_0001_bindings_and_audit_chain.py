"""identity bindings; audit trail append-only (triggers) and hash-chained

Revision ID: identity_0001
Revises: 0002
Create Date: 2026-11-22

Existing deployments keep their history: handles are bound to the first Slack user id that
requested with them, and existing audit rows are chained in id order before the triggers
that forbid changing them are created.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.audit_chain import GENESIS, chain_hash
from bot.store.models import AuditEvent, Json, UtcTime

revision: str = "identity_0001"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAGE = 1000
REFUSED = "the audit trail is append-only: {op} on {table} refused"
# SQLite: a later batch migration that recreates audit_events or audit_chain drops these
# triggers with the old table; such a migration must create them again.
SQLITE_TRIGGERS = {
    "audit_events_no_update": ("UPDATE", "audit_events"),
    "audit_events_no_delete": ("DELETE", "audit_events"),
    "audit_chain_no_delete": ("DELETE", "audit_chain"),
}
POSTGRES_FUNCTION = """
CREATE FUNCTION refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END
$$
"""
POSTGRES_TRIGGERS = {
    "audit_events_append_only": "BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW",
    "audit_events_no_truncate": "BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT",
    "audit_chain_kept": "BEFORE DELETE ON audit_chain FOR EACH ROW",
    "audit_chain_no_truncate": "BEFORE TRUNCATE ON audit_chain FOR EACH STATEMENT",
}

requests = sa.table(
    "access_requests",
    sa.column("id", sa.String),
    sa.column("requester_id", sa.String),
    sa.column("requester_email", sa.String),
    sa.column("handle", sa.String),
    sa.column("created_at", UtcTime()),
)
audit = sa.table(
    "audit_events",
    sa.column("id", sa.BigInteger),
    sa.column("at", UtcTime()),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("database", sa.String),
    sa.column("request_id", sa.String),
    sa.column("grant_id", sa.String),
    sa.column("details", Json),
    sa.column("hash", sa.String),
)
bindings = sa.table(
    "identity_bindings",
    sa.column("handle", sa.String),
    sa.column("user_id", sa.String),
    sa.column("email", sa.String),
    sa.column("bound_at", UtcTime()),
)
tip = sa.table(
    "audit_chain",
    sa.column("id", sa.Integer),
    sa.column("hash", sa.String),
    sa.column("last_id", sa.BigInteger),
    sa.column("length", sa.BigInteger),
)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "identity_bindings",
        sa.Column("handle", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("handle", name=op.f("pk_identity_bindings")),
        sa.UniqueConstraint("user_id", name=op.f("uq_identity_bindings_user_id")),
    )
    _bind_existing_handles()
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    last_id, last_hash, length = _chain_existing_rows()
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
    op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=True),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain")),
    )
    op.execute(tip.insert().values(id=1, hash=last_hash, last_id=last_id, length=length))
    _create_guards()


def downgrade() -> None:
    """Undo this revision."""
    _drop_guards()
    op.drop_table("audit_chain")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("hash")
    op.drop_table("identity_bindings")


def _bind_existing_handles() -> None:
    """Each handle goes to the first user id that requested with it; each user keeps one."""
    connection = op.get_bind()
    chosen: dict[str, dict[str, object]] = {}
    bound_users: set[str] = set()
    after: tuple[object, str] | None = None
    while True:
        # Pages, not a streamed cursor: a cursor left open in this transaction would make
        # PostgreSQL refuse a later revision's ALTER TABLE on access_requests.
        query = (
            sa.select(
                requests.c.requester_id,
                requests.c.requester_email,
                requests.c.handle,
                requests.c.created_at,
                requests.c.id,
            )
            .order_by(requests.c.created_at, requests.c.id)
            .limit(PAGE)
        )
        if after is not None:
            query = query.where(sa.tuple_(requests.c.created_at, requests.c.id) > sa.tuple_(*after))
        page = connection.execute(query).all()
        if not page:
            break
        for user_id, email, handle, created_at, _ in page:
            if handle in chosen or user_id in bound_users:
                continue
            bound_users.add(user_id)
            chosen[handle] = {
                "handle": handle,
                "user_id": user_id,
                "email": email,
                "bound_at": created_at,
            }
        after = (page[-1].created_at, page[-1].id)
    if chosen:
        connection.execute(bindings.insert(), list(chosen.values()))


def _chain_existing_rows() -> tuple[int | None, str, int]:
    """Hash the rows already there, in id order; return the last id, its hash and the count."""
    connection = op.get_bind()
    last_id: int | None = None
    previous, length = GENESIS, 0
    while True:
        query = sa.select(audit).order_by(audit.c.id).limit(PAGE)
        if last_id is not None:
            query = query.where(audit.c.id > last_id)
        page = connection.execute(query).all()
        if not page:
            return last_id, previous, length
        hashes = []
        for row in page:
            event = AuditEvent(
                at=row.at,
                actor=row.actor,
                action=row.action,
                database=row.database,
                request_id=row.request_id,
                grant_id=row.grant_id,
                details=row.details,
            )
            previous = chain_hash(previous, event)
            hashes.append({"row_id": row.id, "row_hash": previous})
        connection.execute(
            audit.update()
            .where(audit.c.id == sa.bindparam("row_id"))
            .values(hash=sa.bindparam("row_hash")),
            hashes,
        )
        last_id, length = page[-1].id, length + len(page)


def _create_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        for name, when in POSTGRES_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION refuse_audit_change()")
        return
    for name, (operation, table) in SQLITE_TRIGGERS.items():
        message = REFUSED.format(op=operation, table=table)
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {operation} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )


def _drop_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, when in POSTGRES_TRIGGERS.items():
            table = when.split(" ON ", 1)[1].split()[0]
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS refuse_audit_change()")
        return
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
