"""durable steps, one pending request per person, database and level

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING_ONLY = sa.text("status = 'pending'")

# Duplicates the old read-then-insert check let through: all but the oldest pending request
# per person, database and level expire, so the unique index can be built.
EXPIRE_DUPLICATES = """
UPDATE access_requests SET status = 'expired'
WHERE status = 'pending' AND EXISTS (
  SELECT 1 FROM access_requests older
  WHERE older.status = 'pending' AND older.requester_id = access_requests.requester_id
    AND older.database = access_requests.database AND older.level = access_requests.level
    AND (older.created_at < access_requests.created_at
         OR (older.created_at = access_requests.created_at AND older.id < access_requests.id)))
"""

# Grants a crash left half-made under the old code get the step that finishes them now.
ADOPT_GRANTING = """
INSERT INTO steps (kind, key, status, request_id, grant_id, payload, version, attempts,
                   in_doubt, next_attempt_at, created_at)
SELECT 'provision', 'provision:' || id, 'pending', request_id, id, '{}', 0, 0, false,
       created_at, created_at
FROM grants WHERE status = 'granting'
"""


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "steps",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.String(length=16), nullable=True),
        sa.Column("grant_id", sa.String(length=16), nullable=True),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("in_doubt", sa.Boolean(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claim_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_steps")),
        sa.UniqueConstraint("key", name=op.f("uq_steps_key")),
    )
    with op.batch_alter_table("steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_steps_grant_id"), ["grant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_steps_request_id"), ["request_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_steps_status_next_attempt_at"),
            ["status", "next_attempt_at"],
            unique=False,
        )
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("db_user_created", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        # Leases now name the piece of work too (instance#step), not only the instance.
        batch_op.alter_column(
            "claimed_by",
            existing_type=sa.String(length=64),
            type_=sa.String(length=128),
            existing_nullable=True,
        )
    op.execute(EXPIRE_DUPLICATES)
    op.create_index(
        "uq_access_requests_pending",
        "access_requests",
        ["requester_id", "database", "level"],
        unique=True,
        postgresql_where=PENDING_ONLY,
        sqlite_where=PENDING_ONLY,
    )
    op.execute(ADOPT_GRANTING)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(
        "uq_access_requests_pending",
        table_name="access_requests",
        postgresql_where=PENDING_ONLY,
        sqlite_where=PENDING_ONLY,
    )
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.alter_column(
            "claimed_by",
            existing_type=sa.String(length=128),
            type_=sa.String(length=64),
            existing_nullable=True,
        )
        batch_op.drop_column("db_user_created")
    with op.batch_alter_table("steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_steps_status_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_steps_request_id"))
        batch_op.drop_index(batch_op.f("ix_steps_grant_id"))
    op.drop_table("steps")
