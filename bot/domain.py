"""Enums and frozen value objects shared by every layer."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Level(StrEnum):
    """Access level of a grant."""

    RO = "ro"
    RW = "rw"


class Engine(StrEnum):
    """Database engine family (Aurora uses the same two)."""

    POSTGRES = "postgres"
    MYSQL = "mysql"


class StatementLog(StrEnum):
    """Which of a level's statements the database writes to its log (log_statements)."""

    NONE = "none"
    DDL = "ddl"  # CREATE, ALTER, DROP, GRANT…
    MOD = "mod"  # DDL plus INSERT, UPDATE, DELETE, TRUNCATE, COPY FROM…
    ALL = "all"  # every statement, reads too


class RequestKind(StrEnum):
    """A new grant, or more time on a grant the user already holds."""

    NEW = "new"
    EXTENSION = "extension"


class RequestStatus(StrEnum):
    """Life cycle of an access request (see bot/store/models.py for the diagram)."""

    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"
    FAILED = "failed"  # its approval card could not be posted; nobody could decide it
    WITHDRAWN = "withdrawn"  # its requester (or the admin who filed it) took it back


class ApprovalRule(StrEnum):
    """A catalog rule that approves a request without approvers (see bot/approval_rules.py)."""

    AUTO = "auto"  # auto_approve: unlimited, or within the level's quota
    ON_CALL = "on_call"  # the requester is on call in the database's PagerDuty schedule
    BREAKGLASS = "breakglass"  # taken at once by someone on the break-glass list


class Review(StrEnum):
    """What an approver or admin made of a break-glass afterwards."""

    ACKNOWLEDGED = "acknowledged"
    FLAGGED = "flagged"


class DecisionKind(StrEnum):
    """What an approver decided."""

    APPROVE = "approve"
    DENY = "deny"


class GrantStatus(StrEnum):
    """Life cycle of a grant; GRANTING and REVOKING are the crash-recoverable middles."""

    GRANTING = "granting"
    SCHEDULED = "scheduled"  # made ahead (database user, time-bound policy); active at its start
    ACTIVE = "active"
    REVOKING = "revoking"
    REVOKED = "revoked"


class StepKind(StrEnum):
    """The durable steps that follow a committed decision."""

    PROVISION = "provision"  # database user and IAM policy; grant GRANTING -> ACTIVE
    EXTEND = "extend"  # re-write the policy of an active grant with its new end
    DELIVER = "deliver"  # mint a token as the user, one-time link, DM
    MESSAGE = "message"  # a Slack message that must arrive (the outbox)
    START = "start"  # at a scheduled grant's start: grant SCHEDULED -> ACTIVE, then the link


class StepStatus(StrEnum):
    """A step is pending until done once; FAILED means it never can be, and people were told."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class RoleStatus(StrEnum):
    """A per-user IAM role the bot created: in IAM, deleted when unused, or left alone."""

    PRESENT = "present"
    DELETED = "deleted"
    KEPT = "kept"  # no longer the bot's to delete (its tag was removed, or it is used otherwise)


class RoleChange(StrEnum):
    """What making sure of a per-user role did."""

    CREATED = "created"
    UPDATED = "updated"  # the bot's own role, with its trust or boundary put back
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class RoleRemoval:
    """What deleting an unused per-user role did: deleted, already gone, or kept (and why)."""

    outcome: str  # "deleted" | "gone" | "kept"
    reason: str = ""


class CredentialKind(StrEnum):
    """A ready IAM token, or the command an IAM user runs to make one."""

    TOKEN = "token"  # noqa: S105 - a kind name, not a secret
    COMMAND = "command"


@dataclass(frozen=True)
class Identity:
    """A Slack user resolved to the names the catalog derives from their email."""

    user_id: str
    email: str
    handle: str
    display_name: str


@dataclass(frozen=True)
class GrantTarget:
    """Everything a provider needs to act on one grant (no state-store handles)."""

    grant_id: str
    database: str
    level: Level
    principal_arn: str
    db_user: str
    user_id: str
    email: str
    handle: str
    expires_at: datetime | None
    starts_at: datetime | None = None  # a scheduled grant: IAM allows nothing before it


@dataclass(frozen=True)
class DbCredential:
    """A minted credential (token: secret; command: not) and when it stops working."""

    kind: CredentialKind
    value: str
    expires_at: datetime


@dataclass(frozen=True)
class AdminLogin:
    """Admin username and password (or IAM token) for a target database."""

    username: str
    password: str


@dataclass(frozen=True)
class MessageRef:
    """Where a Slack message lives, so it can be updated in place."""

    channel: str
    ts: str


@dataclass(frozen=True)
class SlackUser:
    """The parts of users.info the bot uses."""

    user_id: str
    email: str | None
    name: str
    is_bot: bool
    deleted: bool
    is_guest: bool = False  # is_restricted or is_ultra_restricted
    is_external: bool = False  # Slack Connect: another organisation, or is_stranger
    is_app_user: bool = False
