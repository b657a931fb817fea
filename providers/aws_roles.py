"""RoleProvisioner on AWS: per-user roles created on first use, deleted when long unused.

A role the bot did not create (no `managed-by=db-access-bot` tag) is never changed or deleted.
Every call runs in a worker thread; cross-account roles go through the account's manage role.
"""

import asyncio
import json
import logging
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError

from bot.catalog.database import DatabaseSpec
from bot.catalog.model import Catalog
from bot.domain import GrantTarget, RoleChange, RoleRemoval
from bot.errors import AwsError
from providers.aws_policy import Principal, parse_principal
from providers.aws_roles_removal import delete_unused_role
from providers.aws_roles_sts import caller_arn, wait_until_assumable
from providers.aws_session import AwsClients, aws_error, error_code
from providers.role_documents import (
    boundary_arn,
    boundary_of,
    is_ours,
    manages,
    role_path,
    role_tags,
    same_policy,
    trust_policy,
)

log = logging.getLogger(__name__)
# STS may refuse a brand-new role for a few seconds; the role is ready once it can be assumed.
ASSUMABLE_WITHIN = 30.0
_FIX = (
    "Give the bot's role (or the account's manage role) the permissions printed by "
    "`db-access-bot iam-policy`"
)


def not_ours(arn: str) -> AwsError:
    """The refusal for a role that exists but that the bot did not create."""
    return AwsError(
        f"IAM role {arn} already exists but was not created by db-access-bot (it has no "
        "managed-by=db-access-bot tag), and I never change a role I did not create. Delete or "
        "rename that role, or give this person an identity.overrides principal in the catalog.",
        retryable=False,
    )


class AwsRoles:
    """Creates, checks and deletes the per-user roles of `identity.provision`."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        clients: AwsClients | None = None,
        assumable_within: float = ASSUMABLE_WITHIN,
    ) -> None:
        self._catalog = catalog
        self._provision = catalog.identity.provision
        self._clients = clients or AwsClients(catalog)
        self._assumable_within = assumable_within
        self._bot_arn: str | None = None

    def manages(self, principal_arn: str) -> bool:
        """Whether the bot creates this principal (a role under identity.provision.path)."""
        return manages(self._provision, principal_arn)

    async def bot_arn(self) -> str:
        """The bot's own principal, trusted by every role it creates (cached)."""
        if self._bot_arn is None:
            self._bot_arn = await asyncio.to_thread(self._caller_arn)
        return self._bot_arn

    async def check(self, database: DatabaseSpec, *, principal_arn: str) -> None:
        """Raise AwsError unless the role is missing (made on first grant) or the bot's own."""
        principal = parse_principal(principal_arn)
        role = await asyncio.to_thread(self._get, principal)
        if role is not None and (not is_ours(role) or role.get("Arn") != principal.arn):
            raise not_ours(str(role.get("Arn", principal.arn)))

    async def ensure(self, database: DatabaseSpec, target: GrantTarget) -> RoleChange:
        """Create the role if missing; put back the trust and boundary of the bot's own role."""
        principal = parse_principal(target.principal_arn)
        bot = await self.bot_arn()
        change = await asyncio.to_thread(self._ensure, principal, target, bot)
        if change is not RoleChange.UNCHANGED:
            await asyncio.to_thread(self._wait_assumable, principal, database.region)
        return change

    async def delete(self, *, account_id: str, principal_arn: str) -> RoleRemoval:
        """Delete an unused role the bot created; a role that is not (or no longer) ours stays."""
        principal = parse_principal(principal_arn)
        return await asyncio.to_thread(self._delete, principal)

    # --- worker-thread bodies -------------------------------------------------------------

    def _caller_arn(self) -> str:
        region = next(iter(self._catalog.databases.values())).region
        return caller_arn(self._clients, region)

    def _iam(self, principal: Principal) -> BaseClient:
        return self._clients.iam(principal.account_id)

    def _get(self, principal: Principal) -> dict[str, Any] | None:
        try:
            return dict(self._iam(principal).get_role(RoleName=principal.name)["Role"])
        except (ClientError, BotoCoreError) as exc:
            if error_code(exc) == "NoSuchEntity":
                return None
            raise aws_error(
                exc, action="look up IAM role", subject=principal.arn, fix=_FIX
            ) from None

    def _ensure(self, principal: Principal, target: GrantTarget, bot: str) -> RoleChange:
        assert self._provision is not None
        trust = trust_policy(
            bot_arn=bot, provision=self._provision, role_arn=principal.arn, handle=target.handle
        )
        boundary = boundary_arn(self._provision, principal.account_id)
        role = self._get(principal)
        if role is None:
            created = self._create(principal, target, trust, boundary)
            if created:
                return RoleChange.CREATED
            role = self._get(principal)  # another replica created it a moment ago
            if role is None:
                raise AwsError(
                    f"IAM role {principal.arn} was reported to exist and then not found; retrying"
                )
        return self._converge(principal, role, trust, boundary)

    def _create(
        self, principal: Principal, target: GrantTarget, trust: dict[str, Any], boundary: str
    ) -> bool:
        """CreateRole; False when the name is taken already (by a replica, or by someone)."""
        assert self._provision is not None
        try:
            self._iam(principal).create_role(
                RoleName=principal.name,
                Path=role_path(principal.arn),
                AssumeRolePolicyDocument=json.dumps(trust),
                PermissionsBoundary=boundary,
                Description=f"db-access-bot: database access of {target.email}"[:1000],
                Tags=role_tags(self._provision, user_id=target.user_id, email=target.email),
            )
        except (ClientError, BotoCoreError) as exc:
            code = error_code(exc)
            if code == "EntityAlreadyExists":
                return False
            if code == "MalformedPolicyDocument":
                raise aws_error(
                    exc,
                    action="create IAM role",
                    subject=principal.arn,
                    fix="Every principal in identity.provision.trust, and the "
                    "bot's own role, must exist",
                ) from None
            raise aws_error(
                exc, action="create IAM role", subject=principal.arn, fix=_FIX
            ) from None
        log.info("created IAM role", extra={"role": principal.arn})
        return True

    def _converge(
        self, principal: Principal, role: dict[str, Any], trust: dict[str, Any], boundary: str
    ) -> RoleChange:
        if not is_ours(role):
            raise not_ours(str(role.get("Arn", principal.arn)))
        if role.get("Arn") != principal.arn:
            raise AwsError(
                f"IAM role name {principal.name} is taken by {role.get('Arn')}, a "
                f"role the bot made under another path than {role_path(principal.arn)}"
                "; delete it or fix identity.provision.path",
                retryable=False,
            )
        iam, changed = self._iam(principal), False
        try:
            if not same_policy(role.get("AssumeRolePolicyDocument") or {}, trust):
                iam.update_assume_role_policy(
                    RoleName=principal.name, PolicyDocument=json.dumps(trust)
                )
                changed = True
            if boundary_of(role) != boundary:
                iam.put_role_permissions_boundary(
                    RoleName=principal.name, PermissionsBoundary=boundary
                )
                changed = True
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(
                exc,
                action="restore the trust policy and permissions boundary of IAM role",
                subject=principal.arn,
                fix=_FIX,
            ) from None
        if changed:
            log.warning(
                "restored the trust or boundary of a bot-made role", extra={"role": principal.arn}
            )
        return RoleChange.UPDATED if changed else RoleChange.UNCHANGED

    def _wait_assumable(self, principal: Principal, region: str) -> None:
        sts = self._clients.sts(region)

        def attempt() -> None:
            sts.assume_role(
                RoleArn=principal.arn, RoleSessionName="db-access-bot-ready", DurationSeconds=900
            )

        wait_until_assumable(attempt, within=self._assumable_within, what=principal.arn)

    def _delete(self, principal: Principal) -> RoleRemoval:
        return delete_unused_role(self._iam(principal), principal, self._get(principal), fix=_FIX)
