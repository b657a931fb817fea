"""Deleting a per-user role the bot made, once unused; any sign of other use keeps it."""

import logging
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError

from bot.domain import RoleRemoval
from providers.aws_policy import POLICY_PREFIX, Principal
from providers.aws_session import aws_error, error_code
from providers.role_documents import is_ours

log = logging.getLogger(__name__)


def delete_unused_role(
    iam: BaseClient, principal: Principal, role: dict[str, Any] | None, *, fix: str
) -> RoleRemoval:
    """Delete role (as found just now) and its inline policies, unless it is not only ours."""
    if role is None:
        return RoleRemoval("gone")
    if role.get("Arn") != principal.arn or not is_ours(role):
        return RoleRemoval("kept", "it no longer carries the managed-by=db-access-bot tag")
    try:
        names = [
            n
            for page in iam.get_paginator("list_role_policies").paginate(RoleName=principal.name)
            for n in page["PolicyNames"]
        ]
        others = [n for n in names if not n.startswith(POLICY_PREFIX)]
        if others:
            return RoleRemoval(
                "kept",
                f"it holds inline policies the bot did not write ({', '.join(sorted(others)[:5])})",
            )
        for name in names:  # leftovers of grants that ended: nobody can use them anyway
            iam.delete_role_policy(RoleName=principal.name, PolicyName=name)
        iam.delete_role(RoleName=principal.name)
    except (ClientError, BotoCoreError) as exc:
        code = error_code(exc)
        if code == "NoSuchEntity":
            return RoleRemoval("gone")
        if code == "DeleteConflict":
            return RoleRemoval(
                "kept",
                "managed policies or instance profiles are attached "
                "to it: it is used for more than database access",
            )
        raise aws_error(
            exc, action="delete unused IAM role", subject=principal.arn, fix=fix
        ) from None
    log.info("deleted unused IAM role", extra={"role": principal.arn})
    return RoleRemoval("deleted")
