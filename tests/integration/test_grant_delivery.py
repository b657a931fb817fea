"""A grant approved in Slack leaves the exact policy in IAM and a link that decrypts to a token."""

import asyncio
import json
import logging
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.ops.logs import JsonFormatter, configure_logging
from bot.slack.actions import ActionId
from providers.aws_policy import grant_policy
from tests.integration.real_parts import ADMIN_PASSWORD, real_setup
from tests.support import aws_seed, catalogs
from tests.support.fixtures_privatebin import PrivateBinProcess
from tests.support.harness import BotHarness
from tests.support.pbin_reader import pbincli_read
from tests.support.postgres_server import PostgresServer

LINK = re.compile(r"https?://[^\s>|]+/\?[0-9a-f]{16}#-[1-9A-HJ-NP-Za-km-z]+")


def links_in_dms(h: BotHarness, user_id: str) -> list[str]:
    """Every one-time link the bot DMed to a user, in order."""
    return [m for dm in h.emu.dms_to(user_id) for m in LINK.findall(json.dumps(dm.blocks))]


async def grant_through_slack(h: BotHarness) -> None:
    ack = await h.command("request orders-prod ro 1h debugging INC-7")
    assert ack == {}, ack
    requests = await h.requests()
    assert len(requests) == 1, h.emu.transcript()
    request = requests[0]
    await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)


async def test_approved_grant_leaves_exact_policy_and_a_decryptable_link(
    aws_env: object,
    postgres_server: PostgresServer,
    privatebin_server: PrivateBinProcess,
    state_url: str,
) -> None:
    setup = real_setup(postgres_server, privatebin_server.url)
    async with BotHarness(state_url, catalog=setup.catalog, providers=setup.providers) as h:
        await grant_through_slack(h)
        [grant] = await h.grants()
        assert grant.status == "active", h.emu.transcript()
        policies = aws_seed.inline_policies(setup.role_arn)
        assert policies == {
            f"db-access-{grant.id}": grant_policy(
                grant_id=grant.id,
                region="eu-west-1",
                account_id=catalogs.ACCOUNT,
                resource_id=setup.resource_id,
                db_user="alice_smith_ro",
                expires_at=grant.expires_at,
            )
        }
        statement = policies[f"db-access-{grant.id}"]["Statement"][0]
        assert statement["Resource"] == (
            f"arn:aws:rds-db:eu-west-1:{catalogs.ACCOUNT}:dbuser:{setup.resource_id}/alice_smith_ro"
        )
        assert statement["Condition"]["DateLessThan"][
            "aws:CurrentTime"
        ] == grant.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        [link] = links_in_dms(h, catalogs.DEV)
        text = await asyncio.to_thread(pbincli_read, link)
        token = re.search(r"^password: (\S+)$", text, re.M).group(1)
        assert token.startswith(f"127.0.0.1:{postgres_server.port}/?")
        query = parse_qs(urlsplit("https://" + token).query)
        assert query["Action"] == ["connect"] and query["DBUser"] == ["alice_smith_ro"]
        assert query["X-Amz-Credential"][0].startswith("ASIA")  # assumed-role credentials
        assert "/eu-west-1/rds-db/aws4_request" in query["X-Amz-Credential"][0]
        assert "X-Amz-Security-Token" in query
        assert "sslmode=verify-full" in text and "user=alice_smith_ro" in text
        members = postgres_server.psql(
            "SELECT string_agg(b.rolname, ',' ORDER BY b.rolname) FROM pg_auth_members m "
            "JOIN pg_roles a ON a.oid = m.member JOIN pg_roles b ON b.oid = m.roleid "
            "WHERE a.rolname = 'alice_smith_ro'",
            setup.target_db,
        )
        assert members == "app_reader,rds_iam"


class Capture(logging.Handler):
    """Keeps every record formatted exactly as production would print it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.raw: list[str] = []
        self.formatter_ = JsonFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.formatter_.format(record))
        # Unscrubbed too: the scrubber is a safety net, not the reason secrets stay out.
        self.raw.append(record.getMessage() + repr(vars(record)))


@pytest.fixture
def debug_logs() -> Iterator[Capture]:
    """Logging configured as `LOG_LEVEL=DEBUG db-access-bot run` does, captured."""
    root = logging.getLogger()
    saved = (root.level, root.handlers[:])
    capture = Capture()
    configure_logging("DEBUG")
    root.addHandler(capture)
    yield capture
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]


async def test_no_secret_in_logs_audit_or_slack(
    aws_env: object,
    postgres_server: PostgresServer,
    privatebin_server: PrivateBinProcess,
    state_url: str,
    request: pytest.FixtureRequest,
) -> None:
    setup = real_setup(postgres_server, privatebin_server.url)
    debug_logs: Capture = request.getfixturevalue("debug_logs")  # after seeding AWS
    async with BotHarness(state_url, catalog=setup.catalog, providers=setup.providers) as h:
        await grant_through_slack(h)
        [grant] = await h.grants()
        dm = next(m for m in h.emu.dms_to(catalogs.DEV) if LINK.search(json.dumps(m.blocks)))
        await h.emu.click(
            user_id=catalogs.DEV,
            action_id=ActionId.NEW_TOKEN,
            value=grant.id,
            message=(dm.channel, dm.ts),
        )
        await h.settle()
        links = links_in_dms(h, catalogs.DEV)
        assert len(links) == 2
        assert len(await h.token_issues()) == 2
        tokens = []
        for link in links:
            text = await asyncio.to_thread(pbincli_read, link)
            tokens.append(re.search(r"^password: (\S+)$", text, re.M).group(1))
        secrets_ = [ADMIN_PASSWORD]
        for token in tokens:
            secrets_ += [token, parse_qs(urlsplit("https://" + token).query)["X-Amz-Signature"][0]]
        audit = json.dumps([[e.actor, e.action, e.details] for e in await h.audit()], default=str)
        slack = json.dumps([[c.method, c.params] for c in h.emu.calls], default=str)
        logs = "\n".join(debug_logs.lines + debug_logs.raw)
        assert len(debug_logs.lines) > 20  # DEBUG logging really was on
        for secret in secrets_:
            assert secret not in audit
            assert secret not in slack
            assert secret not in logs
