"""An in-process bot (real AsyncApp + Socket Mode) on the Slack emulator and a real state store."""

from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog.model import Catalog
from bot.grant_ops import GrantOps
from bot.ops.metrics import Metrics
from bot.store.engine import make_engine, make_sessions
from bot.store.models import AccessRequest, AuditEvent, Grant, TokenIssue
from bot.wiring import Providers, build_app, build_workflow, slack_client
from bot.workflow import Workflow
from tests.support import catalogs
from tests.support.fakes import (
    FakeDbAdmin,
    FakeIam,
    FakeLogins,
    FakeMinter,
    FakeRoles,
    FakeShare,
)
from tests.support.slack_emulator import SlackEmulator

PEOPLE = {
    catalogs.APPROVER: ("bob", "bob@example.com"),
    catalogs.APPROVER2: ("carol", "carol@example.com"),
    catalogs.ADMIN: ("ada", "ada@example.com"),
    catalogs.DEV: ("alice", "alice.smith@example.com"),
    catalogs.DEV2: ("dave", "dave@example.com"),
    catalogs.OUTSIDER: ("eve", "eve@example.com"),
}


def fake_providers() -> Providers:
    """Fakes for every provider (roles matter only when the catalog sets identity.provision)."""
    iam, roles = FakeIam(), FakeRoles()
    iam.roles = roles
    return Providers(
        iam=iam,
        minter=FakeMinter(),
        dbadmin=FakeDbAdmin(),
        share=FakeShare(),
        roles=roles,
        logins=FakeLogins(),
    )


@dataclass
class BotHarness:
    """Starts the emulator and the bot; `async with BotHarness(...) as h:`."""

    state_url: str
    catalog: Catalog = field(default_factory=catalogs.make_catalog)
    providers: Providers = field(default_factory=fake_providers)
    group_members: tuple[str, ...] = (catalogs.APPROVER2,)
    rate_limit_speed: float = 1.0  # Slack's rate limits, refilled this many times faster

    async def __aenter__(self) -> "BotHarness":
        self.emu = SlackEmulator(rate_limit_speed=self.rate_limit_speed)
        await self.emu.start()
        for user_id, (name, email) in PEOPLE.items():
            self.emu.add_user(user_id, name, email=email)
        self.emu.add_usergroup(catalogs.DBA_GROUP, list(self.group_members))
        self.engine: AsyncEngine = make_engine(self.state_url)
        self.sessions = make_sessions(self.engine)
        self.client = slack_client(self.emu.bot_token, self.emu.api_url)
        self.metrics = Metrics()
        self.workflow: Workflow = build_workflow(
            catalog=self.catalog,
            sessions=self.sessions,
            providers=self.providers,
            client=self.client,
            metrics=self.metrics,
            paste_expire="10min",
            owner="test-bot",
        )
        self.ops = GrantOps(self.workflow)
        self.app = build_app(self.client, self.workflow, self.ops)
        self.handler = AsyncSocketModeHandler(self.app, self.emu.app_token, ping_interval=0.5)
        await self.handler.connect_async()
        await self.emu.wait_connected()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.workflow.inflight.drained(5)
        await self.handler.close_async()
        await self.emu.stop()
        await self.engine.dispose()
        close = getattr(self.providers.share, "close", None)
        if close is not None:
            await close()

    # -- reading state -----------------------------------------------------------------------

    async def rows(self, model: Any, *where: Any) -> list[Any]:
        """All rows of a table matching where."""
        async with self.sessions() as session:
            return list(await session.scalars(select(model).where(*where)))

    async def requests(self) -> list[AccessRequest]:
        return await self.rows(AccessRequest)

    async def grants(self) -> list[Grant]:
        return await self.rows(Grant)

    async def audit(self, action: str | None = None) -> list[AuditEvent]:
        where = [AuditEvent.action == action] if action else []
        return await self.rows(AuditEvent, *where)

    async def token_issues(self) -> list[TokenIssue]:
        return await self.rows(TokenIssue)

    @property
    def iam(self) -> FakeIam:
        return self.providers.iam  # type: ignore[return-value]

    @property
    def share(self) -> FakeShare:
        return self.providers.share  # type: ignore[return-value]

    @property
    def dbadmin(self) -> FakeDbAdmin:
        return self.providers.dbadmin  # type: ignore[return-value]

    @property
    def roles(self) -> FakeRoles:
        return self.providers.roles  # type: ignore[return-value]

    @property
    def logins(self) -> FakeLogins:
        return self.providers.logins  # type: ignore[return-value]

    # -- acting like people --------------------------------------------------------------------

    async def settle(self) -> None:
        """Wait until the bot finished what the last envelope started."""
        await self.workflow.inflight.drained(10)

    async def command(self, text: str, user_id: str = catalogs.DEV) -> dict[str, Any]:
        """Type `/db-access <text>` and wait for the work it started."""
        ack = await self.emu.slash_command(text, user_id=user_id)
        await self.settle()
        return ack

    def card_of(self, request_id: str) -> Any:
        """The stored approval card (after every update) for a request."""
        marker = f"Request `{request_id}` ·"
        for message in self.emu.messages.values():
            if any(b.get("type") == "context" and marker in str(b) for b in message.blocks or []):
                return message
        raise LookupError(f"no card for {request_id}")

    async def click_card(
        self, request_id: str, action_id: str, user_id: str, *, confirm: bool | None = None
    ) -> dict[str, Any]:
        """Click a button on a request's approval card (answering its confirm dialog, if any)."""
        card = self.card_of(request_id)
        ack = await self.emu.click(
            user_id=user_id,
            action_id=action_id,
            value=request_id,
            message=(card.channel, card.ts),
            confirm=confirm,
        )
        await self.settle()
        return ack
