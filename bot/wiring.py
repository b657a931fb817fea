"""The composition root: the only module that knows the concrete providers and wires them."""

import logging
import os
import socket
import ssl
import uuid
from dataclasses import dataclass
from typing import Any

from botocore.config import Config
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import failpoints
from bot.catalog.model import Catalog
from bot.config import Settings
from bot.context import Deps
from bot.grant_ops import GrantOps
from bot.identity import People
from bot.oncall import CachedOnCall
from bot.ops.health import HealthServer
from bot.ops.metrics import Metrics
from bot.service import Service
from bot.slack.socket_mode_log import socket_mode_logger
from bot.store.engine import make_engine, make_sessions, ping
from bot.workflow import Workflow
from handlers import (
    approval,
    breakglass,
    commands,
    fallback,
    grants,
    home,
    request_form,
    withdraw,
)
from providers.aws_iam import AwsIamGrants
from providers.aws_roles import AwsRoles
from providers.aws_secrets import AwsAdminSecrets
from providers.aws_session import AwsClients
from providers.aws_tokens import AwsTokenMinter
from providers.base import (
    DatabaseAdmin,
    IamGrants,
    LoginVerifier,
    OnCallSchedules,
    RoleProvisioner,
    SecretShare,
    TokenMinter,
)
from providers.database_admin import DatabaseAdminRouter
from providers.login_check import DatabaseLogins
from providers.mysql_admin import MysqlAdmin
from providers.pagerduty import PagerDutyOnCall
from providers.postgres_admin import PostgresAdmin
from providers.privatebin import PrivateBinShare
from providers.slack import SlackWeb
from scheduler import Scheduler, SchedulerConfig

log = logging.getLogger(__name__)
HANDLERS = (
    commands,
    approval,
    request_form,
    grants,
    home,
    breakglass,
    withdraw,
    fallback,
)  # fallback last
# Slack answers a call over its rate limit with 429 and Retry-After; the client waits that long
# and tries again. Posts to one channel queue up in SlackWeb, so one retry is usually enough;
# the count covers bursts shared with other replicas. A dropped connection is retried twice.
RATE_LIMIT_RETRIES, CONNECTION_RETRIES = 8, 2


def slack_client(token: str, base_url: str) -> AsyncWebClient:
    """The bot's Slack Web API client: retries rate-limited calls and dropped connections."""
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ],
    )


@dataclass
class Providers:
    """The outside-world adapters the workflow uses."""

    iam: IamGrants
    minter: TokenMinter
    dbadmin: DatabaseAdmin
    share: SecretShare
    aws: AwsClients | None = None
    roles: RoleProvisioner | None = None  # identity.provision
    logins: LoginVerifier | None = None  # proves each fresh grant before the link says ready
    oncall: OnCallSchedules | None = None  # PagerDuty, when PAGERDUTY_TOKEN is set


def instance_name() -> str:
    """A name for this replica in claims: host, pid and a random suffix."""
    # Short enough that "<instance>#<step key>" fits a lease column (128).
    return f"{socket.gethostname()[:48]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def build_providers(
    settings: Settings, catalog: Catalog, *, aws_config: Config | None = None
) -> Providers:
    """The real AWS, database and PrivateBin adapters (aws_config: overrides, e.g. retries)."""
    clients = AwsClients(catalog, config=aws_config)
    secrets = AwsAdminSecrets(catalog, clients=clients)
    tls = (
        ssl.create_default_context(cafile=settings.rds_ca_bundle)
        if settings.rds_ca_bundle
        else None
    )
    dbadmin = DatabaseAdminRouter(PostgresAdmin(secrets, tls=tls), MysqlAdmin(secrets, tls=tls))
    roles = AwsRoles(catalog, clients=clients) if catalog.identity.provision else None
    oncall = (
        PagerDutyOnCall(settings.pagerduty_api_url, settings.pagerduty_token)
        if settings.pagerduty_token
        else None
    )
    return Providers(
        iam=AwsIamGrants(catalog, clients=clients, roles=roles),
        minter=AwsTokenMinter(catalog, clients=clients),
        dbadmin=dbadmin,
        share=PrivateBinShare(settings.privatebin_url or "http://privatebin.invalid"),
        aws=clients,
        roles=roles,
        logins=DatabaseLogins(tls=tls),
        oncall=oncall,
    )


def build_app(client: AsyncWebClient, workflow: Workflow, ops: GrantOps) -> AsyncApp:
    """The bolt app with every listener registered and the workflow in each context."""
    # Socket Mode needs no signing secret. process_before_response=True: listeners return as
    # soon as they ack (handlers.common.tracked), which spares bolt's 10 ms ack polling.
    app = AsyncApp(client=client, process_before_response=True, request_verification_enabled=False)

    async def inject(context: Any, next: Any) -> None:
        context["workflow"], context["grant_ops"] = workflow, ops
        await next()

    app.use(fallback.RejectMalformed())  # before anything builds arguments from the payload
    app.use(inject)
    for module in HANDLERS:
        module.register(app)
    return app


def build_workflow(
    *,
    catalog: Catalog,
    sessions: async_sessionmaker[AsyncSession],
    providers: Providers,
    client: AsyncWebClient,
    metrics: Metrics,
    paste_expire: str,
    owner: str,
    verify_timeout: float = 30.0,
) -> Workflow:
    """The workflow over the given providers and a Slack client."""
    slack = SlackWeb(client)
    deps = Deps(
        catalog=catalog,
        sessions=sessions,
        iam=providers.iam,
        minter=providers.minter,
        share=providers.share,
        dbadmin=providers.dbadmin,
        slack=slack,
        people=People(slack, catalog),
        metrics=metrics,
        paste_expire=paste_expire,
        owner=owner,
        roles=providers.roles,
        logins=providers.logins,
        verify_timeout=verify_timeout,
        on_call=CachedOnCall(providers.oncall) if providers.oncall else None,
    )
    return Workflow(deps)


def build_service(
    settings: Settings, catalog: Catalog, providers: Providers | None = None
) -> Service:
    """Everything `db-access-bot run` needs, wired."""
    assert settings.slack_bot_token and settings.slack_app_token
    failpoints.arm_from_environment()  # none in production; the crash-matrix test sets some
    metrics = Metrics()
    engine = make_engine(settings.database_url)
    client = slack_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    providers = providers or build_providers(settings, catalog)
    workflow = build_workflow(
        catalog=catalog,
        sessions=make_sessions(engine),
        providers=providers,
        client=client,
        metrics=metrics,
        paste_expire=settings.privatebin_expire,
        owner=instance_name(),
        verify_timeout=settings.verify_login_timeout,
    )
    scheduler = Scheduler(workflow.d, SchedulerConfig.from_settings(settings))
    workflow.d.on_grant_active = scheduler.on_grant_active
    app = build_app(client, workflow, GrantOps(workflow))
    socket_mode = AsyncSocketModeHandler(
        app, settings.slack_app_token.get_secret_value(), logger=socket_mode_logger()
    )

    async def connected() -> bool:
        return await socket_mode.client.is_connected()

    async def store_ok() -> bool:
        await ping(engine)
        return True

    health = HealthServer(
        port=settings.health_port, connected=connected, store_ok=store_ok, metrics=metrics
    )
    service = Service(
        socket=socket_mode, engine=engine, workflow=workflow, health=health, background=[scheduler]
    )
    for provider in (providers.share, providers.oncall):
        closer = getattr(provider, "close", None)
        if closer is not None:
            service.closers.append(closer)
    return service
