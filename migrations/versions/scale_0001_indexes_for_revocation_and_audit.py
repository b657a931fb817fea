"""indexes for revocation and the audit by database

Revocation asks for other live grants of the same database user on the same database before
ending sessions; without an index that is a scan of every grant, per revocation. An approver's
`/db-access audit <db>` wants the newest events of one database: (database, id) serves it as
one backward index range, and replaces the index on database alone.

Revision ID: scale_0001
Revises: approvals_b_0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "scale_0001"
down_revision: str | None = "approvals_b_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_grants_database_db_user"), ["database", "db_user"], unique=False
        )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_events_database_id"), ["database", "id"], unique=False
        )
        batch_op.drop_index(batch_op.f("ix_audit_events_database"))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_database"), ["database"], unique=False)
        batch_op.drop_index(batch_op.f("ix_audit_events_database_id"))
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grants_database_db_user"))
