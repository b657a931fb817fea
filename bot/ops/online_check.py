"""`check --online`: one line per probe of the state store, Slack, AWS, databases, PrivateBin.

A system that cannot be reached or refuses the bot's token is named as such (see
bot/ops/probe_failures.py); what depends on it is reported as not checked instead of being
blamed on the catalog.
"""

import asyncio
from dataclasses import replace

from botocore.config import Config
from slack_sdk.web.async_client import AsyncWebClient

from bot.catalog.database import DatabaseSpec
from bot.catalog.model import Catalog
from bot.config import Settings
from bot.domain import Identity, Level
from bot.errors import SetupError
from bot.identity import handle_for, principal_for
from bot.ops.channel_check import channel_statuses
from bot.ops.probe_failures import (
    AWS,
    PRIVATEBIN,
    SLACK,
    STATE_STORE,
    Cause,
    Service,
    address,
)
from bot.ops.probes import (
    EXPECTED,
    PROBE_TIMEOUT,
    Mark,
    Probe,
    failed,
    not_checked,
    run_probe,
    why_not,
)
from bot.store.access import require_ready
from bot.wiring import Providers, build_providers, slack_client

# One quick retry instead of the service's patient backoff: a probe should report the real
# cause (refused, DNS) rather than run into PROBE_TIMEOUT.
PROBE_AWS_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 2}, connect_timeout=5, read_timeout=10
)
SLACK_BOT_FIX = "reinstall the app and copy its Bot User OAuth Token (xoxb-…) into SLACK_BOT_TOKEN"
SLACK_APP_FIX = (
    "create an app-level token with connections:write (Basic Information → App-Level Tokens), "
    "put it in SLACK_APP_TOKEN, and turn Socket Mode on"
)


def _databases(count: int) -> str:
    return f"{count} database{'s' if count != 1 else ''}"


async def _store_probe(settings: Settings) -> Probe:
    try:
        state = await asyncio.wait_for(require_ready(settings.database_url), PROBE_TIMEOUT)
    except SetupError as exc:
        found = STATE_STORE.failure(exc, where="the state store", waited=PROBE_TIMEOUT)
        if found is None:
            return Probe(Mark.FAILED, "state store", exc.user_message)
        return Probe(Mark.FAILED, "state store", f"{found[0]} — {exc.user_message}", found[0])
    except TimeoutError:
        detail = (
            f"no answer within {PROBE_TIMEOUT:.0f} s; check DATABASE_URL and that PostgreSQL "
            "is reachable"
        )
        return Probe(Mark.FAILED, "state store", f"{Cause.TIMEOUT} — {detail}", Cause.TIMEOUT)
    return Probe(Mark.OK, "state store", state.summary)


async def _slack_probes(settings: Settings, catalog: Catalog) -> tuple[list[Probe], str | None]:
    """The token probes and the approvals channels; and why Slack cannot be used, if so."""
    assert settings.slack_bot_token and settings.slack_app_token
    bot = slack_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    app_token = settings.slack_app_token.get_secret_value()
    where = address(settings.slack_api_url)
    bot_user: list[str] = []

    async def bot_auth() -> str:
        answer = await bot.auth_test()
        bot_user.append(str(answer.get("user") or "db-access-bot"))
        return f"bot token works (team {answer.get('team')}, bot user {answer.get('user')})"

    async def socket_mode() -> str:
        await bot.apps_connections_open(app_token=app_token)
        return "app token works and Socket Mode is enabled"

    bot_slack = replace(SLACK, credentials_fix=SLACK_BOT_FIX)
    auth = await run_probe(
        "Slack bot token (auth.test)", bot_auth, service=bot_slack, where=where, fix=SLACK_BOT_FIX
    )
    blocked = why_not(auth, "Slack", refused="Slack refused the bot token")
    app_what = "Slack app token (apps.connections.open)"
    if blocked and auth.cause and auth.cause.unreachable:
        app = not_checked(app_what, blocked)
    else:
        app_slack = replace(SLACK, credentials_fix=SLACK_APP_FIX)
        app = await run_probe(
            app_what, socket_mode, service=app_slack, where=where, fix=SLACK_APP_FIX
        )
    if blocked:
        return [auth, app, not_checked("approvals channels", blocked)], blocked
    statuses = await channel_statuses(bot, catalog, bot_user[0])
    channels = [Probe(Mark.OK if s.ok else Mark.FAILED, s.what, s.detail) for s in statuses]
    return [auth, app, *channels], None


async def _example_identity(catalog: Catalog, client: AsyncWebClient) -> Identity | None:
    """The first admin user as the example person whose role should exist."""
    for user_id in (a for a in catalog.admins if a[0] in "UW"):
        answer = await client.users_info(user=user_id)
        email = (answer.get("user") or {}).get("profile", {}).get("email")
        if email:
            return Identity(user_id, email.lower(), handle_for(email, catalog), "")
    return None


async def _principal_probes(
    settings: Settings, catalog: Catalog, providers: Providers, slack_blocked: str | None
) -> list[Probe]:
    """Whether the example person's principal exists in every account."""
    if slack_blocked:
        why = f"the example person's email comes from Slack, and {slack_blocked}"
        return [not_checked("principal roles", why)]
    assert settings.slack_bot_token and providers.aws is not None
    aws = providers.aws
    client = slack_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    try:
        example = await asyncio.wait_for(_example_identity(catalog, client), PROBE_TIMEOUT)
    except EXPECTED as exc:
        fix = "the bot needs users:read and users:read.email to look up an admin's email"
        where = address(settings.slack_api_url)
        return [failed("principal roles", exc, service=SLACK, where=where, fix=fix)]
    if example is None:
        detail = (
            "no admin with an email to build an example principal from — list a user id "
            "under admins"
        )
        return [Probe(Mark.FAILED, "principal roles", detail)]
    probes, seen = [], set()
    for db in catalog.databases.values():
        arn = principal_for(catalog, db, example, next(iter(db.levels), Level.RO))
        if arn in seen:
            continue
        seen.add(arn)

        async def exists(
            arn: str = arn, account: str = db.account_id, db: DatabaseSpec = db
        ) -> str:
            if providers.roles is not None and providers.roles.manages(arn):
                await providers.roles.check(db, principal_arn=arn)  # missing is fine
                return f"{arn} is the bot's to create (identity.provision), and it may"
            kind, name = arn.split(":", 5)[5].split("/")[0], arn.rsplit("/", 1)[-1]
            iam = aws.iam(account)
            call = iam.get_role if kind == "role" else iam.get_user
            args = {"RoleName": name} if kind == "role" else {"UserName": name}
            await asyncio.to_thread(call, **args)
            return f"{arn} exists"

        fix = "create the per-user role (README: IAM setup)"
        what = f"principal of {example.email}"
        probes.append(await run_probe(what, exists, service=AWS, where="IAM", fix=fix))
    return probes


async def _aws_probes(
    settings: Settings, catalog: Catalog, providers: Providers, slack_blocked: str | None
) -> tuple[list[Probe], str | None]:
    """The credentials, each RDS resource id and the principals; and why AWS cannot be used."""
    assert providers.aws is not None
    aws = providers.aws
    region = sorted({db.region for db in catalog.databases.values()})[0]

    async def caller() -> str:
        answer = await asyncio.to_thread(aws.sts(region).get_caller_identity)
        return f"running as {answer['Arn']}"

    sts = await run_probe(
        "AWS credentials (sts:GetCallerIdentity)",
        caller,
        service=AWS,
        where=f"STS in {region}",
        fix=AWS.credentials_fix,
    )
    blocked = why_not(sts, "AWS", refused="AWS refused the bot's credentials")
    if blocked:
        ids = f"RDS resource ids ({_databases(len(catalog.databases))})"
        return [sts, not_checked(ids, blocked), not_checked("principal roles", blocked)], blocked
    probes = [sts]
    for db in catalog.databases.values():

        async def resource(db: DatabaseSpec = db) -> str:
            return f"resource id {await providers.iam.resource_id(db)}"

        fix = "check instance_id/cluster_id and enable IAM database auth"
        what = f"{db.name}: RDS resource id"
        probes.append(await run_probe(what, resource, service=AWS, where="RDS", fix=fix))
    return probes + await _principal_probes(settings, catalog, providers, slack_blocked), None


def _database_service(db: DatabaseSpec) -> Service:
    return Service(
        db.name,
        f"host and port of {db.name} in the catalog",
        "RDS_CA_BUNDLE",
        "its security group, which must let the pod in",
    )


async def _backend_probes(
    settings: Settings, catalog: Catalog, providers: Providers, aws_blocked: str | None
) -> list[Probe]:
    probes, waiting = [], 0
    for db in catalog.databases.values():
        what = f"{db.name}: admin connection"
        if db.admin is None:
            detail = "no admin configured; database users are managed by hand"
            probes.append(Probe(Mark.OK, what, detail))
            continue
        if aws_blocked:  # the admin's password or IAM token comes from AWS
            waiting += 1
            continue

        async def login(db: DatabaseSpec = db) -> str:
            await providers.dbadmin.ping(db)  # type: ignore[attr-defined]
            return f"logged in to {db.host}:{db.port}/{db.dbname} as admin"

        fix = "check the admin secret, security groups and TLS"
        where, service = f"{db.host}:{db.port}", _database_service(db)
        probes.append(await run_probe(what, login, service=service, where=where, fix=fix))
    if aws_blocked and waiting:
        probes.append(not_checked(f"admin connections ({_databases(waiting)})", aws_blocked))

    async def paste() -> str:
        await providers.share.ping()  # type: ignore[attr-defined]
        return "the JSON API answers"

    fix = "check PRIVATEBIN_URL and that the bot's address is exempt from PrivateBin's rate limit"
    where = address(settings.privatebin_url or "")
    probes.append(await run_probe("PrivateBin", paste, service=PRIVATEBIN, where=where, fix=fix))
    return probes


async def run_online_checks(
    settings: Settings, catalog: Catalog, providers: Providers | None = None
) -> int:
    """Print one line per probe; exit code 2 if any failed or could not be checked."""
    from bot.ops.online_check_oncall import pagerduty_probes
    from bot.ops.online_check_roles import provision_probes  # it builds on this module's probes

    providers = providers or build_providers(settings, catalog, aws_config=PROBE_AWS_CONFIG)
    try:
        probes = [await _store_probe(settings)]
        slack, slack_blocked = await _slack_probes(settings, catalog)
        aws, aws_blocked = await _aws_probes(settings, catalog, providers, slack_blocked)
        aws += await provision_probes(catalog, providers, aws_blocked)
        probes += slack + aws + await _backend_probes(settings, catalog, providers, aws_blocked)
        probes += await pagerduty_probes(settings, catalog, providers)
    finally:
        for provider in (providers.share, providers.oncall):
            close = getattr(provider, "close", None)
            if close is not None:
                await close()
    for probe in probes:
        print(probe.line())
    ran = [p for p in probes if p.mark is not Mark.NOT_CHECKED]
    passed = sum(p.mark is Mark.OK for p in ran)
    skipped = len(probes) - len(ran)
    tail = f"; {skipped} not checked" if skipped else ""
    print(f"{passed} of {len(ran)} online checks passed{tail}")
    return 2 if passed < len(probes) else 0
