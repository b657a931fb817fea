"""`check --online`: one line per probe of the state store, Slack, AWS, databases, PrivateBin."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.exceptions import BotoCoreError, ClientError
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.catalog import Catalog, DatabaseSpec
from bot.channel_check import channel_statuses
from bot.config import Settings
from bot.domain import Identity, Level
from bot.errors import DbAccessError, SetupError
from bot.identity import handle_for, principal_for
from bot.store_access import require_ready
from bot.wiring import Providers, build_providers, slack_client

PROBE_TIMEOUT = 15.0


@dataclass(frozen=True)
class Probe:
    """One line of the report."""

    ok: bool
    what: str
    detail: str

    def line(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.what}: {self.detail}"


async def run_probe(what: str, check: Callable[[], Awaitable[str]], fix: str) -> Probe:
    """Run one probe: its detail when it passes, the problem and the fix when it fails."""
    try:
        detail = await asyncio.wait_for(check(), PROBE_TIMEOUT)
        return Probe(True, what, detail)
    except TimeoutError:
        return Probe(False, what, f"no answer within {PROBE_TIMEOUT:.0f} s — {fix}")
    except DbAccessError as exc:
        return Probe(False, what, f"{exc.user_message} — {fix}")
    except SlackApiError as exc:
        return Probe(False, what, f"Slack said {exc.response.get('error')!r} — {fix}")
    except (SlackClientError, ClientError, BotoCoreError, OSError) as exc:
        return Probe(False, what, f"{type(exc).__name__}: {str(exc)[:200]} — {fix}")


async def _store_probe(settings: Settings) -> Probe:
    try:
        state = await asyncio.wait_for(require_ready(settings.database_url), PROBE_TIMEOUT)
    except SetupError as exc:
        return Probe(False, "state store", exc.user_message)
    except TimeoutError:
        return Probe(False, "state store", f"no answer within {PROBE_TIMEOUT:.0f} s — check "
                     "DATABASE_URL and that PostgreSQL is reachable")
    return Probe(True, "state store", state.summary)


async def _slack_probes(settings: Settings, catalog: Catalog) -> list[Probe]:
    assert settings.slack_bot_token and settings.slack_app_token
    bot = slack_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    app_token = settings.slack_app_token.get_secret_value()
    bot_user: list[str] = []

    async def bot_auth() -> str:
        answer = await bot.auth_test()
        bot_user.append(str(answer.get("user") or "db-access-bot"))
        return f"bot token works (team {answer.get('team')}, bot user {answer.get('user')})"

    async def socket_mode() -> str:
        await bot.apps_connections_open(app_token=app_token)
        return "app token works and Socket Mode is enabled"

    probes = [
        await run_probe("Slack bot token (auth.test)", bot_auth,
                   "reinstall the app and copy the Bot User OAuth Token into SLACK_BOT_TOKEN"),
        await run_probe("Slack app token (apps.connections.open)", socket_mode,
                   "enable Socket Mode and create an app-level token with connections:write"),
    ]
    if not bot_user:
        return [*probes, Probe(False, "approvals channels", "not checked: the bot token failed")]
    statuses = await channel_statuses(bot, catalog, bot_user[0])
    return probes + [Probe(s.ok, s.what, s.detail) for s in statuses]


async def _example_identity(catalog: Catalog, client: AsyncWebClient) -> Identity | None:
    """The first admin user as the example person whose role should exist."""
    for user_id in (a for a in catalog.admins if a[0] in "UW"):
        answer = await client.users_info(user=user_id)
        email = (answer.get("user") or {}).get("profile", {}).get("email")
        if email:
            return Identity(user_id, email.lower(), handle_for(email, catalog), "")
    return None


async def _aws_probes(settings: Settings, catalog: Catalog, providers: Providers) -> list[Probe]:
    assert providers.aws is not None
    aws = providers.aws
    regions = sorted({db.region for db in catalog.databases.values()})

    async def caller() -> str:
        answer = await asyncio.to_thread(aws.sts(regions[0]).get_caller_identity)
        return f"running as {answer['Arn']}"

    probes = [await run_probe("AWS credentials (sts:GetCallerIdentity)", caller,
                         "give the pod its IRSA role or set AWS credentials")]
    for db in catalog.databases.values():
        async def resource(db=db) -> str:  # type: ignore[no-untyped-def]
            return f"resource id {await providers.iam.resource_id(db)}"

        probes.append(await run_probe(f"{db.name}: RDS resource id", resource,
                                 "check instance_id/cluster_id and enable IAM database auth"))
    assert settings.slack_bot_token
    client = slack_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    try:
        example = await _example_identity(catalog, client)
    except (SlackApiError, SlackClientError, OSError):
        example = None
    if example is None:
        probes.append(Probe(False, "principal roles", "no admin with an email to build an "
                            "example principal from — list a user id under admins"))
        return probes
    seen: set[str] = set()
    for db in catalog.databases.values():
        arn = principal_for(catalog, db, example, next(iter(db.levels), Level.RO))
        if arn in seen:
            continue
        seen.add(arn)

        async def exists(arn: str = arn, account: str = db.account_id,
                         db: DatabaseSpec = db) -> str:
            if providers.roles is not None and providers.roles.manages(arn):
                await providers.roles.check(db, principal_arn=arn)  # missing is fine
                return f"{arn} is the bot's to create (identity.provision), and it may"
            kind, name = arn.split(":", 5)[5].split("/")[0], arn.rsplit("/", 1)[-1]
            iam = aws.iam(account)
            call = iam.get_role if kind == "role" else iam.get_user
            args = {"RoleName": name} if kind == "role" else {"UserName": name}
            await asyncio.to_thread(call, **args)
            return f"{arn} exists"

        probes.append(await run_probe(f"principal of {example.email}", exists,
                                 "create the per-user role (README: IAM setup)"))
    return probes


async def _backend_probes(catalog: Catalog, providers: Providers) -> list[Probe]:
    probes = []
    for db in catalog.databases.values():
        if db.admin is None:
            probes.append(Probe(True, f"{db.name}: admin connection",
                                "no admin configured; database users are managed by hand"))
            continue

        async def login(db=db) -> str:  # type: ignore[no-untyped-def]
            await providers.dbadmin.ping(db)  # type: ignore[attr-defined]
            return f"logged in to {db.host}:{db.port}/{db.dbname} as admin"

        probes.append(await run_probe(f"{db.name}: admin connection", login,
                                 "check the admin secret, security groups and TLS"))

    async def paste() -> str:
        await providers.share.ping()  # type: ignore[attr-defined]
        return "the JSON API answers"

    probes.append(await run_probe("PrivateBin", paste, "check PRIVATEBIN_URL and that the bot's "
                             "address is exempt from PrivateBin's rate limit"))
    return probes


async def _pagerduty_probes(catalog: Catalog, providers: Providers) -> list[Probe]:
    """One line per PagerDuty schedule the catalog's on_call rules name."""
    schedules = sorted({db.on_call.pagerduty_schedule for db in catalog.databases.values()
                        if db.on_call is not None})
    if schedules and providers.oncall is None:
        return [Probe(False, "PagerDuty", "databases use on_call but PAGERDUTY_TOKEN is not "
                      "set — set it to a PagerDuty REST API key")]
    probes = []
    for schedule in schedules:
        async def look(schedule: str = schedule) -> str:
            pagerduty = providers.oncall
            name = await pagerduty.schedule_name(schedule)  # type: ignore[union-attr]
            people = await pagerduty.on_call_emails(  # type: ignore[union-attr]
                schedule, at=datetime.now(UTC))
            hint = "" if people else " (only schedules an escalation policy uses have on-calls)"
            return f"{name!r} answers, {len(people)} on call now{hint}"

        probes.append(await run_probe(f"PagerDuty schedule {schedule}", look,
                                      "check PAGERDUTY_TOKEN, PAGERDUTY_API_URL and "
                                      "on_call.pagerduty_schedule"))
    return probes


async def run_online_checks(settings: Settings, catalog: Catalog,
                            providers: Providers | None = None) -> int:
    """Print one line per probe; exit code 2 if any failed."""
    from bot.online_check_roles import provision_probes  # it builds on this module
    providers = providers or build_providers(settings, catalog)
    try:
        probes = [await _store_probe(settings)]
        probes += await _slack_probes(settings, catalog)
        probes += await _aws_probes(settings, catalog, providers)
        probes += await provision_probes(catalog, providers)
        probes += await _backend_probes(catalog, providers)
        probes += await _pagerduty_probes(catalog, providers)
    finally:
        for provider in (providers.share, providers.oncall):
            close = getattr(provider, "close", None)
            if close is not None:
                await close()
    for probe in probes:
        print(probe.line())
    failed = sum(not p.ok for p in probes)
    print(f"{len(probes) - failed} of {len(probes)} online checks passed")
    return 2 if failed else 0
