"""approval rules: which rule approved a request, and break-glass reviews

Revision ID: approvals_a_0001
Revises: provisioning_0001
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "approvals_a_0001"
down_revision: str | None = "provisioning_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("rule", sa.String(length=16)),
    ("rule_note", sa.String(length=200)),
    ("review", sa.String(length=16)),
    ("reviewed_by", sa.String(length=32)),
    ("reviewed_at", sa.DateTime(timezone=True)),
    ("review_note", sa.Text()),
    ("review_due_at", sa.DateTime(timezone=True)),
    ("review_reposted_at", sa.DateTime(timezone=True)),
)
# Auto-approvals made before this revision count towards the new quotas too.
EARLIER_AUTO_APPROVALS = "UPDATE access_requests SET rule = 'auto' WHERE decided_by = 'auto'"


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        for name, kind in COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
        batch_op.create_index(
            batch_op.f("ix_access_requests_rule_review_due_at"),
            ["rule", "review_due_at"],
            unique=False,
        )
    op.execute(EARLIER_AUTO_APPROVALS)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_requests_rule_review_due_at"))
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
