"""On real parts (moto, PostgreSQL target, PrivateBin): a person's first grant makes their role,
the one-time link is minted as that new role, and the unused role is deleted later."""

import asyncio
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from botocore.exceptions import ClientError

from bot.domain import RoleStatus
from bot.store.models import ProvisionedRole
from providers.aws_policy import grant_policy
from scheduler.role_cleanup import RoleCleanup
from tests.integration.real_parts import PROVISIONED_ROLE, real_setup
from tests.integration.test_grant_delivery import grant_through_slack, links_in_dms
from tests.scheduler.support import MovableClock
from tests.support import aws_seed, catalogs
from tests.support.fixtures_privatebin import PrivateBinProcess
from tests.support.harness import BotHarness
from tests.support.pbin_reader import pbincli_read
from tests.support.postgres_server import PostgresServer

ROLE_NAME = PROVISIONED_ROLE.rsplit("/", 1)[1]


async def test_first_grant_creates_the_role_and_the_link_is_minted_as_it(
    aws_env: object,
    postgres_server: PostgresServer,
    privatebin_server: PrivateBinProcess,
    state_url: str,
) -> None:
    iam = aws_seed.client("iam")
    try:
        iam.get_role(RoleName=ROLE_NAME)
        raise AssertionError("the role must not exist before the first grant")
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "NoSuchEntity"
    setup = real_setup(postgres_server, privatebin_server.url, provision=True)
    clock = MovableClock()
    async with BotHarness(state_url, catalog=setup.catalog, providers=setup.providers) as h:
        h.workflow.d.clock = clock
        await grant_through_slack(h)
        [grant] = await h.grants()
        assert grant.status == "active", h.emu.transcript()
        role = iam.get_role(RoleName=ROLE_NAME)["Role"]
        assert role["Arn"] == PROVISIONED_ROLE
        assert {t["Key"]: t["Value"] for t in role["Tags"]} == {
            "managed-by": "db-access-bot",
            "slack-user": catalogs.DEV,
            "email": "alice.smith@example.com",
            "team": "integration",
        }
        assert (
            role["PermissionsBoundary"]["PermissionsBoundaryArn"]
            == f"arn:aws:iam::{catalogs.ACCOUNT}:policy/db-access-boundary"
        )
        assert aws_seed.inline_policies(PROVISIONED_ROLE) == {
            f"db-access-{grant.id}": grant_policy(
                grant_id=grant.id,
                region="eu-west-1",
                account_id=catalogs.ACCOUNT,
                resource_id=setup.resource_id,
                db_user="alice_smith_ro",
                expires_at=grant.expires_at,
            )
        }
        [link] = links_in_dms(h, catalogs.DEV)
        text = await asyncio.to_thread(pbincli_read, link)
        token = re.search(r"^password: (\S+)$", text, re.M).group(1)
        query = parse_qs(urlsplit("https://" + token).query)
        # Signed with credentials of an assumed role: the new role existed when it was minted.
        assert query["X-Amz-Credential"][0].startswith("ASIA")
        assert "role.created" in {e.action for e in await h.audit()}

        await h.command(f"revoke {grant.id}")
        clock.advance(timedelta(days=91))  # the base catalog's unused_after is 90 days
        assert await RoleCleanup(h.workflow.d).run() == 1
        [row] = await h.rows(ProvisionedRole)
        assert row.status == RoleStatus.DELETED
    try:
        iam.get_role(RoleName=ROLE_NAME)
        raise AssertionError("the unused role was not deleted")
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "NoSuchEntity"
