"""The narrow interfaces the workflow and scheduler use to reach outside systems."""

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, Protocol

from bot.catalog.database import DatabaseSpec, LevelSpec
from bot.domain import (
    AdminLogin,
    DbCredential,
    GrantTarget,
    MessageRef,
    RoleChange,
    RoleRemoval,
    SlackUser,
    StatementLog,
)

Blocks = Sequence[dict[str, Any]]


class IamGrants(Protocol):
    """Inline `rds-db:connect` policies on IAM principals, one per grant."""

    async def resource_id(self, database: DatabaseSpec) -> str:
        """The DbiResourceId or DbClusterResourceId of database (cached after the first call)."""
        ...

    async def check_principal(self, database: DatabaseSpec, *, principal_arn: str) -> None:
        """Raise AwsError naming the fix unless the principal exists and the resource resolves."""
        ...

    async def attach(self, database: DatabaseSpec, target: GrantTarget) -> str:
        """Write policy `db-access-<grant id>` on the principal; return the policy name."""
        ...

    async def detach(self, database: DatabaseSpec, *, principal_arn: str, grant_id: str) -> None:
        """Delete the grant's policy; a policy that is already gone counts as done."""
        ...

    def grant_policy_pages(
        self, *, account_id: str, kinds: frozenset[str], pause: float = 0.0
    ) -> AsyncIterator[dict[str, list[str]]]:
        """Every principal of the kinds ("role", "user") in the account, a page at a time.

        Each page maps a principal's ARN to the grant ids of its `db-access-*` policies (empty
        for a principal without any); a principal appears in one page only. Asking for each
        page after the first waits `pause` seconds (IAM throttles bursts of this read).
        """
        ...


class RoleProvisioner(Protocol):
    """Per-user IAM roles the bot creates on first use (identity.provision) and deletes unused.

    A role that exists without the bot's `managed-by` tag is never changed or deleted.
    """

    def manages(self, principal_arn: str) -> bool:
        """Whether the bot creates this principal (a role under identity.provision.path)."""
        ...

    async def check(self, database: DatabaseSpec, *, principal_arn: str) -> None:
        """Raise AwsError unless the role is missing (made on first grant) or the bot's own."""
        ...

    async def ensure(self, database: DatabaseSpec, target: GrantTarget) -> RoleChange:
        """Create the role if missing (idempotent, safe with several replicas); ready to assume."""
        ...

    async def delete(self, *, account_id: str, principal_arn: str) -> RoleRemoval:
        """Delete an unused role the bot created; one that is not (or no longer) ours stays."""
        ...


class LoginVerifier(Protocol):
    """Logs in to a target database as a user, to prove a fresh grant works."""

    async def try_login(
        self, database: DatabaseSpec, *, db_user: str, password: str, seconds: float
    ) -> None:
        """Log in (TLS as for the admin connection) and close at once; LoginCheckError if not."""
        ...


class TokenMinter(Protocol):
    """Credentials signed as the user's own principal, so they carry the grant."""

    async def mint(self, database: DatabaseSpec, target: GrantTarget) -> DbCredential:
        """A 15-minute IAM auth token (role) or the command to make one (IAM user)."""
        ...


class AdminSecrets(Protocol):
    """Admin logins for target databases."""

    async def admin_login(self, database: DatabaseSpec) -> AdminLogin:
        """Username and password (from Secrets Manager) or IAM token for the admin user."""
        ...


class SecretShare(Protocol):
    """One-time, burn-after-reading links for secrets."""

    async def share(self, text: str, *, expire: str) -> str:
        """Store text encrypted, burn after reading; return the link."""
        ...


class DatabaseAdmin(Protocol):
    """Database users for IAM authentication, and their sessions."""

    async def ensure_user(self, database: DatabaseSpec, *, db_user: str, level: LevelSpec) -> bool:
        """Create db_user for IAM auth if missing, give it the level's grants; True if created."""
        ...

    async def drop_user(self, database: DatabaseSpec, *, db_user: str) -> None:
        """Drop db_user if it exists (undoing a grant that created it and then failed)."""
        ...

    async def terminate_sessions(self, database: DatabaseSpec, *, db_user: str) -> int:
        """End db_user's open sessions; return how many were ended."""
        ...

    async def log_statements(
        self, database: DatabaseSpec, *, db_user: str, setting: StatementLog
    ) -> str:
        """Make the server log db_user's statements as set (none resets); say what is logged."""
        ...


class SlackNotifier(Protocol):
    """Channel messages (cards), their updates, and DMs.

    A message sent with a `key` carries it as message metadata, so that after a failure whose
    outcome is unknown `find_sent` tells whether it arrived: sending again would repeat it.
    """

    async def post(
        self,
        channel: str,
        *,
        text: str,
        blocks: Blocks | None = None,
        thread_ts: str | None = None,
        key: str | None = None,
    ) -> MessageRef:
        """Post a message in a channel (as a reply in a thread when thread_ts is given)."""
        ...

    async def update(self, ref: MessageRef, *, text: str, blocks: Blocks | None = None) -> None:
        """Replace a posted message in place."""
        ...

    async def dm(
        self, user_id: str, *, text: str, blocks: Blocks | None = None, key: str | None = None
    ) -> MessageRef:
        """Send a direct message to a user (links never unfurl)."""
        ...

    async def find_sent(
        self,
        *,
        key: str,
        since: datetime,
        channel: str | None = None,
        user_id: str | None = None,
        thread_ts: str | None = None,
    ) -> MessageRef | None:
        """The message sent with key since a time (in a channel, a user's DM, or a thread)."""
        ...


class SlackDirectory(Protocol):
    """Who people are and which user groups they belong to."""

    async def user(self, user_id: str) -> SlackUser:
        """users.info for user_id."""
        ...

    async def group_members(self, group_id: str) -> frozenset[str]:
        """User ids in a user group (usergroups.users.list)."""
        ...


class OnCallSchedules(Protocol):
    """Who is on call in a paging schedule (PagerDuty)."""

    async def on_call_emails(self, schedule_id: str, *, at: datetime) -> frozenset[str]:
        """Lowercased emails of everyone on call in the schedule at a moment.

        Raise OnCallError when the answer cannot be had (an error, a refusal, a timeout).
        """
        ...
