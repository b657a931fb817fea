"""several databases per request, requests filed on someone's behalf, scheduled starts

Revision ID: approvals_b_0001
Revises: approvals_a_0001
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "approvals_b_0001"
down_revision: str | None = "approvals_a_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Older code knows neither a withdrawn request, a scheduled grant nor a start step. Going back,
# a withdrawn request reads as expired; a request waiting for a later start would be granted at
# once, so it expires; a scheduled grant is revoked by the old sweep (its policy deleted, its
# holder told); its start step is closed so the old step runner never meets an unknown kind.
DOWN_REQUESTS = """
UPDATE access_requests SET status = 'expired'
WHERE status = 'withdrawn' OR (status = 'pending' AND starts_at IS NOT NULL)
"""
DOWN_GRANTS = """
UPDATE grants SET status = 'revoking', revoke_reason = 'revoked', next_attempt_at = NULL
WHERE status = 'scheduled'
"""
DOWN_STEPS = "UPDATE steps SET status = 'failed' WHERE kind = 'start' AND status = 'pending'"


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bundle_id", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("filed_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_access_requests_bundle_id"), ["bundle_id"], unique=False
        )
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    op.execute(DOWN_REQUESTS)
    op.execute(DOWN_GRANTS)
    op.execute(DOWN_STEPS)
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_column("starts_at")
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_requests_bundle_id"))
        batch_op.drop_column("starts_at")
        batch_op.drop_column("filed_by")
        batch_op.drop_column("bundle_id")
