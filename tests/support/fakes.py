"""Small fakes satisfying the providers.base Protocols, for tests that need no AWS or database."""

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.catalog.database import DatabaseSpec, LevelSpec
from bot.domain import (
    CredentialKind,
    DbCredential,
    GrantTarget,
    RoleChange,
    RoleRemoval,
    StatementLog,
)
from bot.errors import AwsError, DatabaseAdminError, LoginCheckError, SecretShareError
from providers.aws_roles import not_ours
from providers.role_documents import role_path

FAKE_SIGNATURE = "f" * 64


class FakeIam:
    """Inline policies in memory: {principal: {grant_id: expires_at}}; can be told to fail.

    `missing` holds principals that do not exist (a principal exists once it has a key in
    `policies`, and is not missing); `before_attach` runs once, inside the next attach call
    before the policy is written (what another actor does meanwhile).
    """

    def __init__(self) -> None:
        self.policies: dict[str, dict[str, datetime | None]] = defaultdict(dict)
        self.attached: list[str] = []
        self.detached: list[str] = []
        self.fail_detach = 0
        self.fail_attach = 0
        self.missing: set[str] = set()
        self.before_attach: Callable[[GrantTarget], Awaitable[None]] | None = None
        self.roles: FakeRoles | None = None  # identity.provision: roles made on first use
        self.starts: dict[str, datetime | None] = {}  # grant id -> the start its policy has
        self.page_size = 100
        self.pages_read = 0
        self.pauses: list[float] = []  # asked before each page read

    async def resource_id(self, database: DatabaseSpec) -> str:
        return database.resource_id or "db-FAKERESOURCE"

    async def check_principal(self, database: DatabaseSpec, *, principal_arn: str) -> None:
        if self.roles is not None and self.roles.manages(principal_arn):
            await self.roles.check(database, principal_arn=principal_arn)
            return
        if principal_arn in self.missing:
            raise AwsError(
                f"IAM role {principal_arn} does not exist; ask an admin to create it "
                "(README: IAM setup).",
                retryable=False,
            )

    async def attach(self, database: DatabaseSpec, target: GrantTarget) -> str:
        hook, self.before_attach = self.before_attach, None
        if hook is not None:
            await hook(target)
        made = self.roles is not None and target.principal_arn in self.roles.roles
        if target.principal_arn in self.missing and not made:
            raise AwsError(f"IAM role {target.principal_arn} does not exist; create it.")
        if self.fail_attach:
            self.fail_attach -= 1
            raise AwsError(f"IAM refused the policy for {target.principal_arn} (test failure).")
        self.policies[target.principal_arn][target.grant_id] = target.expires_at
        self.starts[target.grant_id] = target.starts_at
        self.attached.append(target.grant_id)
        return f"db-access-{target.grant_id}"

    async def detach(self, database: DatabaseSpec, *, principal_arn: str, grant_id: str) -> None:
        if self.fail_detach:
            self.fail_detach -= 1
            raise AwsError(f"IAM DeleteRolePolicy failed for {principal_arn} (test failure).")
        self.policies[principal_arn].pop(grant_id, None)
        self.detached.append(grant_id)

    async def grant_policy_pages(
        self, *, account_id: str, kinds: frozenset[str], pause: float = 0.0
    ) -> AsyncIterator[dict[str, list[str]]]:
        arns = sorted(
            arn
            for arn in self.policies
            if arn not in self.missing
            and arn.split(":")[4:5] == [account_id]
            and any(f":{kind}/" in arn for kind in kinds)
        )
        for start in range(0, len(arns), self.page_size):
            if start:
                await asyncio.sleep(pause)
            self.pages_read += 1
            self.pauses.append(pause if start else 0.0)
            yield {arn: sorted(self.policies[arn]) for arn in arns[start : start + self.page_size]}

    def has(self, principal_arn: str, grant_id: str) -> bool:
        """Whether the grant's policy is on the principal."""
        return grant_id in self.policies.get(principal_arn, {})


class FakeMinter:
    """Tokens shaped like RDS ones (with a recognisable signature), or the IAM-user command."""

    def __init__(self) -> None:
        self.minted: list[str] = []

    async def mint(self, database: DatabaseSpec, target: GrantTarget) -> DbCredential:
        expires = datetime.now(UTC) + timedelta(minutes=15)
        if ":user/" in target.principal_arn:
            return DbCredential(
                CredentialKind.COMMAND,
                f"aws rds generate-db-auth-token "
                f"--hostname {database.host} --username {target.db_user}",
                expires,
            )
        token = (
            f"{database.host}:{database.port}/?Action=connect&DBUser={target.db_user}"
            f"&X-Amz-Signature={FAKE_SIGNATURE}&n={len(self.minted)}"
        )
        self.minted.append(token)
        return DbCredential(CredentialKind.TOKEN, token, expires)


@dataclass
class FakeShare:
    """Keeps shared texts; returns recognisable one-time links; can be told to fail."""

    shared: list[str] = field(default_factory=list)
    failing: bool = False

    async def share(self, text: str, *, expire: str) -> str:
        if self.failing:
            raise SecretShareError(
                "The one-time link could not be created (PrivateBin at "
                "https://paste.test did not answer). Your access is active; "
                "press New token to try again."
            )
        self.shared.append(text)
        return f"https://paste.test/?{len(self.shared):016x}#-FakeKey{len(self.shared)}"


@dataclass
class FakeDbAdmin:
    """Records users ensured and dropped and reports a configurable number of sessions ended."""

    users: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    sessions: dict[tuple[str, str], int] = field(default_factory=dict)
    terminated: list[tuple[str, str]] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    logging: dict[tuple[str, str], StatementLog] = field(default_factory=dict)
    failing: bool = False

    async def ensure_user(self, database: DatabaseSpec, *, db_user: str, level: LevelSpec) -> bool:
        if self.failing:
            raise DatabaseAdminError(f"could not connect to {database.name} as admin (test)")
        created = (database.name, db_user) not in self.users
        self.users[(database.name, db_user)] = level.grants
        return created

    async def drop_user(self, database: DatabaseSpec, *, db_user: str) -> None:
        self.users.pop((database.name, db_user), None)
        self.dropped.append((database.name, db_user))

    async def terminate_sessions(self, database: DatabaseSpec, *, db_user: str) -> int:
        self.terminated.append((database.name, db_user))
        return self.sessions.pop((database.name, db_user), 0)

    async def log_statements(
        self, database: DatabaseSpec, *, db_user: str, setting: StatementLog
    ) -> str:
        if setting == StatementLog.NONE:
            self.logging.pop((database.name, db_user), None)
            return "nothing"
        self.logging[(database.name, db_user)] = setting
        return f"{setting.value} statements (log_statement = '{setting.value}')"


@dataclass
class FakeRoles:
    """Per-user roles under `path` in memory; `foreign` ones exist but are not the bot's."""

    path: str = "/db-access/"
    roles: dict[str, dict[str, str]] = field(default_factory=dict)  # arn -> tags
    foreign: set[str] = field(default_factory=set)
    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    fail_ensure: int = 0

    def manages(self, principal_arn: str) -> bool:
        return ":role/" in principal_arn and role_path(principal_arn) == self.path

    async def check(self, database: DatabaseSpec, *, principal_arn: str) -> None:
        if principal_arn in self.foreign:
            raise not_ours(principal_arn)

    async def ensure(self, database: DatabaseSpec, target: GrantTarget) -> RoleChange:
        if target.principal_arn in self.foreign:
            raise not_ours(target.principal_arn)
        if self.fail_ensure:
            self.fail_ensure -= 1
            raise AwsError(f"IAM CreateRole failed for {target.principal_arn} (test failure).")
        if target.principal_arn in self.roles:
            return RoleChange.UNCHANGED
        self.roles[target.principal_arn] = {
            "managed-by": "db-access-bot",
            "slack-user": target.user_id,
            "email": target.email,
        }
        self.created.append(target.principal_arn)
        return RoleChange.CREATED

    async def delete(self, *, account_id: str, principal_arn: str) -> RoleRemoval:
        if principal_arn in self.foreign:
            return RoleRemoval("kept", "it no longer carries the managed-by=db-access-bot tag")
        if self.roles.pop(principal_arn, None) is None:
            return RoleRemoval("gone")
        self.deleted.append(principal_arn)
        return RoleRemoval("deleted")


@dataclass
class FakeLogins:
    """Accepts logins, or refuses the first `refuse` (as IAM still propagating would)."""

    refuse: int = 0
    unreachable: bool = False
    attempts: int = 0
    logged_in: list[tuple[str, str]] = field(default_factory=list)
    passwords: list[str] = field(default_factory=list)

    async def try_login(
        self, database: DatabaseSpec, *, db_user: str, password: str, seconds: float
    ) -> None:
        self.attempts += 1
        self.passwords.append(password)
        if self.unreachable:
            raise LoginCheckError(
                f"{database.host}:{database.port}: no answer within {seconds:.0f}s", refused=False
            )
        if self.refuse:
            self.refuse -= 1
            raise LoginCheckError(
                f"{database.host}:{database.port} as {db_user!r} was refused: "
                f'PAM authentication failed for user "{db_user}"',
                refused=True,
            )
        self.logged_in.append((database.name, db_user))
