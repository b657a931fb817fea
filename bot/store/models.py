"""State-store tables (SQLAlchemy 2): requests, decisions, grants, steps, audit events, tokens.

The grant lifecycle's states and who moves a row are in docs/lifecycle.md.

A request for several databases is one row per database (each decided by its own approvers),
sharing a `bundle_id` (the id people see) and one card. A scheduled grant is made ahead (its
IAM policy allows nothing before `starts_at`); its START step waits in the steps table with
`next_attempt_at` = `starts_at`, so whichever replica runs then makes it active and DMs the link.

Whoever writes IAM or the database for a grant holds the grant's lease (claimed_by,
claim_until); whoever runs a step holds the step's lease. Every Slack message that must arrive
is a MESSAGE step (the outbox), written in the transaction that decided it.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql import text
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
AutoId = BigInteger().with_variant(Integer(), "sqlite")
Json = JSON().with_variant(JSONB(), "postgresql")


class UtcTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with stable constraint names for Alembic."""

    metadata = MetaData(naming_convention=NAMING)


class AccessRequest(Base):
    """A request for access (new or extension) and its approval state."""

    __tablename__ = "access_requests"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    requester_id: Mapped[str] = mapped_column(String(32), index=True)
    requester_email: Mapped[str] = mapped_column(String(320))
    handle: Mapped[str] = mapped_column(String(64))
    database: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(8))
    duration_s: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    ticket_url: Mapped[str | None] = mapped_column(Text)
    extends_grant_id: Mapped[str | None] = mapped_column(String(16))
    approvals_required: Mapped[int] = mapped_column(Integer)
    approvals_channel: Mapped[str] = mapped_column(String(32))
    card_channel: Mapped[str | None] = mapped_column(String(32))
    card_ts: Mapped[str | None] = mapped_column(String(32))
    granted_level: Mapped[str | None] = mapped_column(String(8))
    granted_duration_s: Mapped[int | None] = mapped_column(Integer)
    decided_by: Mapped[str | None] = mapped_column(String(32))
    deny_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcTime())
    decided_at: Mapped[datetime | None] = mapped_column(UtcTime())
    expires_at: Mapped[datetime] = mapped_column(UtcTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UtcTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claim_until: Mapped[datetime | None] = mapped_column(UtcTime())
    # The catalog rule that approved it without approvers (auto, on_call, breakglass), and what
    # its card says about it ("2 of 3 in 7d"); None: approvers decided (bot/approval_rules.py).
    rule: Mapped[str | None] = mapped_column(String(16))
    rule_note: Mapped[str | None] = mapped_column(String(200))
    # A break-glass review: acknowledged or flagged, by whom, when and why; re-posted once late.
    review: Mapped[str | None] = mapped_column(String(16))
    reviewed_by: Mapped[str | None] = mapped_column(String(32))
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcTime())
    review_note: Mapped[str | None] = mapped_column(Text)
    review_due_at: Mapped[datetime | None] = mapped_column(UtcTime())
    review_reposted_at: Mapped[datetime | None] = mapped_column(UtcTime())
    bundle_id: Mapped[str | None] = mapped_column(String(16), index=True)  # several databases
    filed_by: Mapped[str | None] = mapped_column(String(32))  # an admin, on the requester's behalf
    starts_at: Mapped[datetime | None] = mapped_column(UtcTime())  # None: once approved

    __table_args__ = (
        Index(None, "status", "expires_at"),
        Index(None, "rule", "review_due_at"),
        # One pending request per person, database and level, whoever submits twice at once.
        Index(
            "uq_access_requests_pending",
            "requester_id",
            "database",
            "level",
            unique=True,
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )


class ApprovalDecision(Base):
    """One approver's decision on one request (an approver decides a request once)."""

    __tablename__ = "approval_decisions"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("access_requests.id"), index=True)
    approver_id: Mapped[str] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(16))
    level: Mapped[str | None] = mapped_column(String(8))
    duration_s: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcTime())

    __table_args__ = (UniqueConstraint("request_id", "approver_id"),)


class Grant(Base):
    """Access that was (or is being) given; rows are the scheduler's source of truth."""

    __tablename__ = "grants"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("access_requests.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    email: Mapped[str] = mapped_column(String(320))
    handle: Mapped[str] = mapped_column(String(64))
    database: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(8))
    account_id: Mapped[str] = mapped_column(String(12))
    principal_arn: Mapped[str] = mapped_column(String(2048))
    db_user: Mapped[str] = mapped_column(String(64))
    standing: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcTime())
    granted_at: Mapped[datetime | None] = mapped_column(UtcTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcTime())
    warned_at: Mapped[datetime | None] = mapped_column(UtcTime())
    last_token_at: Mapped[datetime | None] = mapped_column(UtcTime())
    unused_notice_at: Mapped[datetime | None] = mapped_column(UtcTime())
    revoke_requested_by: Mapped[str | None] = mapped_column(String(32))
    revoke_reason: Mapped[str | None] = mapped_column(String(32))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcTime())
    sessions_ended: Mapped[int | None] = mapped_column(Integer)
    db_user_created: Mapped[bool] = mapped_column(default=False)  # by this grant: undo drops it
    log_statements: Mapped[str | None] = mapped_column(String(64))  # what the server logs of it
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    failure_reported_at: Mapped[datetime | None] = mapped_column(UtcTime())
    claimed_by: Mapped[str | None] = mapped_column(String(128))  # instance#work
    claim_until: Mapped[datetime | None] = mapped_column(UtcTime())
    starts_at: Mapped[datetime | None] = mapped_column(UtcTime())  # scheduled: IAM allows from

    __table_args__ = (
        Index(None, "status", "expires_at"),
        Index(None, "principal_arn", "status"),
        Index(None, "database", "db_user"),  # other live grants of a database user (revoking)
    )


class Step(Base):
    """A piece of work that follows a committed decision: claimed with a lease, done once."""

    __tablename__ = "steps"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(200), unique=True)  # "do this once" as a constraint
    status: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str | None] = mapped_column(String(16), index=True)
    grant_id: Mapped[str | None] = mapped_column(String(16), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)  # never a secret
    version: Mapped[int] = mapped_column(Integer, default=0)  # content replaced (a card)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    in_doubt: Mapped[bool] = mapped_column(default=False)  # may have reached Slack unrecorded
    next_attempt_at: Mapped[datetime] = mapped_column(UtcTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claim_until: Mapped[datetime | None] = mapped_column(UtcTime())
    created_at: Mapped[datetime] = mapped_column(UtcTime())
    done_at: Mapped[datetime | None] = mapped_column(UtcTime())

    __table_args__ = (Index(None, "status", "next_attempt_at"),)


class ProvisionedRole(Base):
    """A per-user IAM role the bot created (identity.provision); deleted after long disuse."""

    __tablename__ = "provisioned_roles"

    arn: Mapped[str] = mapped_column(String(2048), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12))
    user_id: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcTime())
    last_used_at: Mapped[datetime] = mapped_column(UtcTime())  # its latest grant was made
    deleted_at: Mapped[datetime | None] = mapped_column(UtcTime())
    note: Mapped[str | None] = mapped_column(Text)  # why it was kept
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claim_until: Mapped[datetime | None] = mapped_column(UtcTime())

    __table_args__ = (Index(None, "status", "last_used_at"),)


class AuditEvent(Base):
    """An append-only record of something that happened: who, what, which request/grant."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcTime(), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    database: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(16), index=True)
    grant_id: Mapped[str | None] = mapped_column(String(16), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # sha256 over the previous row's hash and this row (bot.store.audit_chain); set at commit.
    hash: Mapped[str] = mapped_column(String(64))

    # An approver's audit of one database: its newest events, one backward index range.
    __table_args__ = (Index(None, "database", "id"),)


class TokenIssue(Base):
    """When a credential was delivered for a grant; never the credential itself."""

    __tablename__ = "token_issues"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UtcTime())
    actor: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    delivered: Mapped[bool] = mapped_column(default=True)


class AuditChain(Base):
    """The audit hash chain's tip (one row): locked while rows are chained, so replicas queue."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    last_id: Mapped[int | None] = mapped_column(BigInteger)
    length: Mapped[int] = mapped_column(BigInteger)


class IdentityBinding(Base):
    """A handle belongs to the first Slack user id that used it, for good (and vice versa)."""

    __tablename__ = "identity_bindings"

    handle: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    bound_at: Mapped[datetime] = mapped_column(UtcTime())
