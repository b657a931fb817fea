"""STS for the per-user roles: who the bot runs as, and when a new role can be assumed."""

import os
import time
from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError

from providers.aws_session import AwsClients, aws_error, error_code
from providers.role_documents import assumed_role


def caller_arn(clients: AwsClients, region: str) -> str:
    """The bot's own principal as a trust policy names it: a role (with its path), or a user."""
    try:
        arn = str(clients.sts(region).get_caller_identity()["Arn"])
    except (ClientError, BotoCoreError) as exc:
        raise aws_error(
            exc,
            action="find out who the bot runs as (sts:GetCallerIdentity)",
            subject="the bot's own credentials",
        ) from None
    session = assumed_role(arn)
    if session is None:
        return arn  # an IAM user or role ARN already
    partition, account, name = session
    # A trust policy names the role (with its path), not one session of it.
    env = os.environ.get("AWS_ROLE_ARN", "")
    if env.startswith(f"arn:{partition}:iam::{account}:role/") and env.endswith("/" + name):
        return env
    try:
        iam = clients.base.client("iam", region_name=region)
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])
    except (ClientError, BotoCoreError):
        return f"arn:{partition}:iam::{account}:role/{name}"  # right unless it has a path


def wait_until_assumable(
    attempt: Callable[[], None],
    *,
    within: float,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Retry attempt (an AssumeRole) while STS refuses it, up to `within` seconds."""
    deadline = time.monotonic() + within
    pause = 0.5
    while True:
        try:
            attempt()
            return
        except (ClientError, BotoCoreError) as exc:
            if error_code(exc) != "AccessDenied" or time.monotonic() + pause > deadline:
                raise aws_error(
                    exc,
                    action="assume the new role",
                    subject=what,
                    fix="The role's trust policy must allow the bot's role sts:AssumeRole",
                ) from None
        sleep(pause)
        pause = min(pause * 2, 4.0)
