"""IamGrants on AWS: one `db-access-<grant id>` inline policy per grant on the user's principal."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote

from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError

from bot.catalog.database import DatabaseSpec
from bot.catalog.model import Catalog
from bot.domain import GrantTarget
from bot.errors import AwsError, PolicyBudgetExceeded
from providers.aws_iam_pages import grant_policy_pages
from providers.aws_policy import (
    Principal,
    PrincipalKind,
    grant_policy,
    parse_principal,
    policy_json,
    policy_name,
    policy_size,
)
from providers.aws_session import AwsClients, aws_error, error_code
from providers.base import RoleProvisioner

_NOT_FOUND = {
    "DBInstanceNotFound",
    "DBInstanceNotFoundFault",
    "DBClusterNotFoundFault",
    "DBClusterNotFound",
}
_IAM_FIX = (
    "Give the bot's role (or the account's manage role) the permissions printed by "
    "`db-access-bot iam-policy`"
)


class AwsIamGrants:
    """Inline-policy grants through boto3; every call runs in a worker thread."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        clients: AwsClients | None = None,
        roles: RoleProvisioner | None = None,
    ) -> None:
        self._catalog = catalog
        self._clients = clients or AwsClients(catalog)
        self._roles = roles  # identity.provision: the roles the bot creates itself
        self._resource_ids: dict[str, str] = {}
        # Serialises budget-check-then-write per principal within this process.
        self._locks: dict[str, asyncio.Lock] = {}

    async def resource_id(self, database: DatabaseSpec) -> str:
        """The DbiResourceId or DbClusterResourceId of database (cached after the first call)."""
        if database.resource_id:
            return database.resource_id
        cached = self._resource_ids.get(database.name)
        if cached is None:
            cached = await asyncio.to_thread(self._lookup_resource_id, database)
            self._resource_ids[database.name] = cached
        return cached

    async def check_principal(self, database: DatabaseSpec, *, principal_arn: str) -> None:
        """Raise AwsError naming the fix unless the principal exists and the resource id resolves.

        Only a definite answer refuses (no such role, no such instance, IAM auth off); if IAM
        cannot be asked right now the request goes ahead and the grant step reports any problem.
        """
        principal = _principal(principal_arn, database)
        await self.resource_id(database)
        if self._roles is not None and self._roles.manages(principal.arn):
            # A missing role is made on the first grant; only someone else's role refuses.
            await self._roles.check(database, principal_arn=principal.arn)
            return
        await asyncio.to_thread(self._get_principal, principal)

    async def attach(self, database: DatabaseSpec, target: GrantTarget) -> str:
        """Write policy `db-access-<grant id>` on the principal; return the policy name."""
        principal = _principal(target.principal_arn, database)
        resource_id = await self.resource_id(database)
        document = grant_policy(
            grant_id=target.grant_id,
            region=database.region,
            account_id=database.account_id,
            resource_id=resource_id,
            db_user=target.db_user,
            expires_at=target.expires_at,
            starts_at=target.starts_at,
        )
        name = policy_name(target.grant_id)
        lock = self._locks.setdefault(principal.arn, asyncio.Lock())
        async with lock:
            await asyncio.to_thread(self._put, database, principal, name, document)
        return name

    async def detach(self, database: DatabaseSpec, *, principal_arn: str, grant_id: str) -> None:
        """Delete the grant's policy; a policy that is already gone counts as done."""
        principal = _principal(principal_arn, database)
        await asyncio.to_thread(self._delete, database, principal, policy_name(grant_id))

    async def grant_policy_pages(
        self, *, account_id: str, kinds: frozenset[str], pause: float = 0.0
    ) -> AsyncIterator[dict[str, list[str]]]:
        """Every role and/or user of the account, a page at a time: ARN -> its grant ids."""
        async for page in grant_policy_pages(
            self._clients.iam(account_id), account_id=account_id, kinds=kinds, pause=pause
        ):
            yield page

    # --- worker-thread bodies -------------------------------------------------------------

    def _lookup_resource_id(self, db: DatabaseSpec) -> str:
        rds = self._clients.rds(db.account_id, db.region)
        if db.cluster_id:
            kind, ident, key = "Aurora cluster", db.cluster_id, "cluster_id"
        elif db.instance_id:
            kind, ident, key = "RDS instance", db.instance_id, "instance_id"
        else:
            raise AwsError(
                f"database {db.name} has no instance_id, cluster_id or resource_id "
                "in the catalog; add one",
                retryable=False,
            )
        where = f"{kind} {ident!r} (database {db.name}, account {db.account_id}, {db.region})"
        try:
            if db.cluster_id:
                found = rds.describe_db_clusters(DBClusterIdentifier=ident)["DBClusters"]
                resource_key = "DbClusterResourceId"
            else:
                found = rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"]
                resource_key = "DbiResourceId"
        except (ClientError, BotoCoreError) as exc:
            if error_code(exc) in _NOT_FOUND:
                raise AwsError(
                    f"{where} does not exist; fix {key} of database {db.name} in the "
                    "catalog (or set resource_id)",
                    retryable=False,
                ) from None
            raise aws_error(
                exc,
                action="describe the database",
                subject=where,
                fix="The bot needs rds:DescribeDBInstances and rds:DescribeDBClusters",
            ) from None
        if not found:
            raise AwsError(
                f"{where} does not exist; fix {key} of database {db.name} in the catalog",
                retryable=False,
            )
        if not found[0].get("IAMDatabaseAuthenticationEnabled"):
            command = "modify-db-cluster" if db.cluster_id else "modify-db-instance"
            raise AwsError(
                f"{where} does not have IAM database authentication enabled; turn it "
                f"on (aws rds {command} --enable-iam-database-authentication) "
                "before granting access",
                retryable=False,
            )
        return str(found[0][resource_key])

    def _get_principal(self, principal: Principal) -> None:
        iam = self._clients.iam(principal.account_id)
        try:
            getattr(iam, f"get_{principal.kind}")(**_name_arg(principal))
        except (ClientError, BotoCoreError) as exc:
            if error_code(exc) == "NoSuchEntity":
                raise AwsError(
                    f"IAM {principal.kind} {principal.arn} does not exist; ask an "
                    f"admin to create it (README: IAM setup) or to fix "
                    "identity.principal in the catalog",
                    retryable=False,
                ) from None
            raise aws_error(
                exc, action=f"look up IAM {principal.kind}", subject=principal.arn, fix=_IAM_FIX
            ) from None

    def _put(
        self, db: DatabaseSpec, principal: Principal, name: str, document: dict[str, Any]
    ) -> None:
        iam = self._clients.iam(principal.account_id)
        subject = f"IAM {principal.kind} {principal.arn} (database {db.name})"
        try:
            current = sum(
                self._policy_size(iam, principal, other)
                for other in self._names(iam, principal)
                if other != name
            )
            new = policy_size(document)
            if current + new > principal.budget:
                raise PolicyBudgetExceeded(
                    f"Cannot grant access to {db.name}: the inline policies on IAM "
                    f"{principal.kind} {principal.arn} would total {current + new:,} characters "
                    f"({current:,} already there + {new:,} for this grant), above IAM's "
                    f"{principal.budget:,}-character limit for a {principal.kind}. Revoke an "
                    "older grant of this user (`/db-access list`, then `/db-access revoke "
                    f"<grant>`) or remove unused inline policies from the {principal.kind}, "
                    "then ask again."
                )
            _call(iam, principal, "put", PolicyName=name, PolicyDocument=policy_json(document))
        except (ClientError, BotoCoreError) as exc:
            if error_code(exc) == "NoSuchEntity":
                raise AwsError(
                    f"IAM {principal.kind} {principal.arn} does not exist; create it "
                    "or fix identity.principal in the catalog",
                    retryable=False,
                ) from None
            if error_code(exc) == "LimitExceeded":
                raise PolicyBudgetExceeded(
                    f"IAM refused the policy for database {db.name}: the inline policies on "
                    f"{principal.arn} exceed IAM's limit. Revoke an older grant of this user, "
                    "then ask again."
                ) from None
            raise aws_error(
                exc, action=f"write inline policy {name}", subject=subject, fix=_IAM_FIX
            ) from None

    def _delete(self, db: DatabaseSpec, principal: Principal, name: str) -> None:
        iam = self._clients.iam(principal.account_id)
        try:
            _call(iam, principal, "delete", PolicyName=name)
        except (ClientError, BotoCoreError) as exc:
            if error_code(exc) == "NoSuchEntity":
                return
            raise aws_error(
                exc,
                action=f"delete inline policy {name}",
                subject=f"IAM {principal.kind} {principal.arn} (database {db.name})",
                fix=_IAM_FIX,
            ) from None

    @staticmethod
    def _names(iam: BaseClient, principal: Principal) -> list[str]:
        operation = f"list_{principal.kind}_policies"
        pages = iam.get_paginator(operation).paginate(**_name_arg(principal))
        return [name for page in pages for name in page["PolicyNames"]]

    @staticmethod
    def _policy_size(iam: BaseClient, principal: Principal, name: str) -> int:
        try:
            document = _call(iam, principal, "get", PolicyName=name)["PolicyDocument"]
        except ClientError as exc:
            if error_code(exc) == "NoSuchEntity":  # deleted between list and get
                return 0
            raise
        # boto3 decodes inline policy documents to dicts; older stacks hand back the raw text.
        return policy_size(unquote(document) if isinstance(document, str) else document)


def _principal(arn: str, db: DatabaseSpec | None) -> Principal:
    try:
        return parse_principal(arn)
    except ValueError:
        where = f" (database {db.name})" if db else ""
        raise AwsError(
            f"{arn!r}{where} is not an IAM role or user ARN; fix identity.principal in the catalog",
            retryable=False,
        ) from None


def _name_arg(principal: Principal) -> dict[str, str]:
    key = "RoleName" if principal.kind is PrincipalKind.ROLE else "UserName"
    return {key: principal.name}


def _call(iam: BaseClient, principal: Principal, verb: str, **kwargs: Any) -> dict[str, Any]:
    """put/get/delete_{role,user}_policy on the principal."""
    method = getattr(iam, f"{verb}_{principal.kind}_policy")
    return method(**_name_arg(principal), **kwargs)
