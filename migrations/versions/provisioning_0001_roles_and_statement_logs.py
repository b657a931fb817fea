"""per-user IAM roles the bot created; what the database logs of each grant's user

Revision ID: provisioning_0001
Revises: identity_0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "provisioning_0001"
down_revision: str | None = "identity_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "provisioned_roles",
        sa.Column("arn", sa.String(length=2048), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claim_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_provisioned_roles")),
    )
    with op.batch_alter_table("provisioned_roles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_provisioned_roles_status_last_used_at"),
            ["status", "last_used_at"],
            unique=False,
        )
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("log_statements", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_column("log_statements")
    with op.batch_alter_table("provisioned_roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provisioned_roles_status_last_used_at"))
    op.drop_table("provisioned_roles")
