"""A local Slack for tests: Web API, response_urls and Socket Mode on 127.0.0.1.

Point a real bolt app at it (both the Web API and Socket Mode then go to the emulator)::

    async with SlackEmulator() as emu:
        client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
        app = AsyncApp(client=client)                     # app.client is the Web API client
        handler = AsyncSocketModeHandler(app, emu.app_token)
        await handler.connect_async()                     # calls apps.connections.open
        await emu.wait_connected()
        ack = await emu.slash_command("list", user_id="U0DEFAULT1")
        ...
        await handler.close_async()

``AsyncSocketModeHandler`` builds its ``SocketModeClient`` with ``web_client=app.client``
unless ``web_client=`` is passed, so the only thing the bot must do is give ``AsyncApp`` a
``client=AsyncWebClient(token=<bot token>, base_url=emu.api_url)`` (``emu.api_url`` ends with
``/api/``). ``apps.connections.open`` then goes to the emulator with the app-level token
passed to the handler, and the URL it returns points at the emulator's ``/link/`` websocket.
If the bot passes its own ``web_client=`` to the handler, that client needs
``base_url=emu.api_url`` too (its token does not matter: the SDK sends the app token with
apps.connections.open). An app built from ``token=`` alone talks to slack.com instead.
Create the handler inside a running event loop (the SDK starts tasks in its constructor).

Any ``xoxb-`` bot token and ``xapp-`` app token is accepted (``emu.bot_token`` and
``emu.app_token`` are handy defaults); pass ``bot_token=``/``app_token=`` to the constructor
to accept only those. Other tokens get ``invalid_auth``. Close the handler before stopping
the emulator, or the SDK keeps trying to reconnect.

Module layout: ``_models`` (value types, ids), ``_blocks`` (element lookup, view state),
``_workspace`` (in-memory Slack state), ``_webapi`` (method semantics; ``_webapi_reads`` and
``_webapi_views`` hold those methods), ``_http`` (Web API and response_url endpoints),
``_payloads`` (envelope payloads), ``_socket`` (websockets and acks), ``_recorder`` (calls,
transcript, waiting), ``_users`` (what people do, ack checks), ``_state`` (what the emulator
holds, setup and failure knobs), ``_validation`` (Block Kit rules), ``_ratelimit`` (429s),
``_channels`` (membership).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from types import TracebackType
from typing import Any, ClassVar

from aiohttp import web

from tests.support.slack_emulator_http import HttpEndpoints
from tests.support.slack_emulator_models import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    DEFAULT_APP_TOKEN,
    DEFAULT_BOT_TOKEN,
    DEFAULT_CHANNEL_ID,
    DEFAULT_USER_ID,
    TEAM_ID,
    Ack,
    AckTimeoutError,
    NotConnectedError,
    RecordedCall,
    SentEnvelope,
    StoredMessage,
    StoredView,
)
from tests.support.slack_emulator_ratelimit import RateLimits
from tests.support.slack_emulator_recorder import Recorder
from tests.support.slack_emulator_socket import SocketModeServer
from tests.support.slack_emulator_state import EmulatorState
from tests.support.slack_emulator_users import UserActions
from tests.support.slack_emulator_validation import Violation
from tests.support.slack_emulator_webapi import WebApi
from tests.support.slack_emulator_workspace import TRIGGER_TTL, Workspace

__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "DEFAULT_CHANNEL_ID",
    "DEFAULT_USER_ID",
    "TEAM_ID",
    "Ack",
    "AckTimeoutError",
    "NotConnectedError",
    "RecordedCall",
    "SentEnvelope",
    "SlackEmulator",
    "StoredMessage",
    "StoredView",
    "Violation",
]


class SlackEmulator(UserActions, EmulatorState):
    """Slack's Web API, response_urls and Socket Mode, served on a free local port."""

    # Every emulator started in this process, so a test fixture can check each one's violations.
    started: ClassVar[list[SlackEmulator]] = []

    def __init__(
        self,
        *,
        bot_token: str | None = None,
        app_token: str | None = None,
        trigger_ttl: float | None = TRIGGER_TTL,
        rate_limits: bool = True,
        rate_limit_speed: float = 1.0,
        bot_scopes: set[str] | None = None,
    ) -> None:
        """Given tokens are the only ones accepted (default: any ``xoxb-``/``xapp-``).

        trigger_ttl=None disables trigger_id expiry (Slack: 3 s). Slack's rate limits apply
        unless rate_limits=False; rate_limit_speed > 1 refills them that many times faster.
        bot_scopes (default: all) are the scopes the app was installed with.
        """
        self.bot_token = bot_token or DEFAULT_BOT_TOKEN
        self.app_token = app_token or DEFAULT_APP_TOKEN
        self.workspace = Workspace(trigger_ttl)
        self.recorder = Recorder()
        self.socket = SocketModeServer(self.recorder)
        self.web_api = WebApi(
            self.workspace,
            bot_token=bot_token,
            app_token=app_token,
            new_socket_url=self._new_socket_url,
            bot_scopes=bot_scopes,
        )
        limits = RateLimits(speed=rate_limit_speed) if rate_limits else None
        self.http = HttpEndpoints(self.workspace, self.web_api, self.recorder, limits)
        self.port = 0
        self._runner: web.AppRunner | None = None
        self.confirm_dialogs: list[dict[str, Any]] = []  # shown before a click went out

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> SlackEmulator:
        """Bind 127.0.0.1 on a free port and start serving."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self.http.api)
        app.router.add_post("/response/{url_id}", self.http.response_url)
        app.router.add_get("/link/", self.socket.handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self.recorder.note(f"emulator listening on {self.base_url}")
        SlackEmulator.started.append(self)
        return self

    async def stop(self) -> None:
        """Close all sockets and the server."""
        if self._runner is None:
            return
        await self.socket.close()
        await self._runner.cleanup()
        self._runner = None
        self.recorder.note("emulator stopped")

    async def __aenter__(self) -> SlackEmulator:
        """Start on entering ``async with``."""
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop on leaving ``async with``."""
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """Web API base URL to pass as ``AsyncWebClient(base_url=...)``."""
        return f"{self.base_url}/api/"

    def _new_socket_url(self) -> str:
        """The websocket URL apps.connections.open returns."""
        return f"ws://127.0.0.1:{self.port}/link/?ticket={self.socket.issue_ticket()}"

    # -- waiting and debugging -------------------------------------------------------------
    @property
    def connected(self) -> bool:
        """True while a Socket Mode websocket is open."""
        return self.socket.connected

    @property
    def connection_count(self) -> int:
        """Websocket connections accepted so far."""
        return self.socket.connection_count

    async def wait_connected(self, timeout: float = 5.0, *, count: int = 1) -> None:
        """Wait until a socket is open and at least count connections were accepted."""
        await self.recorder.wait_until(
            lambda: self.connected and self.connection_count >= count,
            timeout,
            f"Socket Mode connection #{count}",
        )

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[RecordedCall], bool] | None = None,
        timeout: float = 5.0,
        *,
        since: int = 0,
    ) -> RecordedCall:
        """The first call to method (from index since) matching predicate, waiting if needed."""
        found: RecordedCall = await self.recorder.wait_until(
            lambda: self.recorder.find_call(method, predicate, since), timeout, f"{method} call"
        )
        return found

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """The first truthy predicate() result, re-evaluated whenever anything happens."""
        return await self.recorder.wait_until(predicate, timeout, "condition")

    def transcript(self) -> str:
        """Every call, envelope, ack and connection event as readable lines."""
        return self.recorder.transcript()
