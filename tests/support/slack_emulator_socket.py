"""The Socket Mode side: /link/ websockets, hello, envelopes and their acks."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from tests.support.slack_emulator_models import (
    APP_ID,
    Ack,
    AckTimeoutError,
    NotConnectedError,
    SentEnvelope,
    json_summary,
)
from tests.support.slack_emulator_recorder import Recorder


@dataclass
class Connection:
    """One accepted websocket."""

    number: int
    ws: web.WebSocketResponse
    request: web.Request


class SocketModeServer:
    """Accepts Socket Mode connections and exchanges envelopes with the app."""

    def __init__(self, recorder: Recorder) -> None:
        """Nothing is connected yet."""
        self.recorder = recorder
        self.connections: list[Connection] = []
        self.connection_count = 0
        self.envelopes: list[SentEnvelope] = []
        self._tickets: set[str] = set()
        self._pending: dict[str, tuple[asyncio.Future[dict[str, Any]], float]] = {}

    @property
    def connected(self) -> bool:
        """True while at least one websocket is open."""
        return any(not c.ws.closed for c in self.connections)

    def issue_ticket(self) -> str:
        """A ticket for the ``/link/?ticket=`` URL apps.connections.open hands out."""
        ticket = secrets.token_hex(16)
        self._tickets.add(ticket)
        return ticket

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Serve one websocket: send hello, then collect acks until it closes."""
        if request.query.get("ticket") not in self._tickets:
            self.recorder.note("ws  rejected connection with unknown ticket")
            return web.Response(status=401, text="invalid ticket")
        ws = web.WebSocketResponse(autoping=True, timeout=2.0)
        await ws.prepare(request)
        self.connection_count += 1
        conn = Connection(self.connection_count, ws, request)
        self.connections.append(conn)
        hello = {
            "type": "hello",
            "num_connections": len(self.connections),
            "debug_info": {
                "host": f"applink-emulated-{conn.number}",
                "build_number": 118,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": APP_ID},
        }
        await ws.send_str(json.dumps(hello))
        self.recorder.note(f"ws#{conn.number} connected; slack -> hello")
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_text(conn, msg.data)
        finally:
            self.connections.remove(conn)
            self.recorder.note(f"ws#{conn.number} closed (code={ws.close_code})")
        return ws

    def _on_text(self, conn: Connection, data: str) -> None:
        """Resolve the pending envelope an ack refers to."""
        try:
            message = json.loads(data)
        except ValueError:
            self.recorder.note(f"ws#{conn.number} bot sent non-JSON {json_summary(data)}")
            return
        pending = self._pending.pop(str(message.get("envelope_id")), None)
        if pending is None:
            self.recorder.note(f"ws#{conn.number} bot sent unexpected {json_summary(message)}")
            return
        future, _sent = pending
        if not future.done():
            future.set_result(message)

    def _current(self) -> Connection | None:
        """The newest open connection (Slack delivers on one of them)."""
        open_conns = [c for c in self.connections if not c.ws.closed]
        return open_conns[-1] if open_conns else None

    async def send_envelope(self, envelope: dict[str, Any], timeout: float) -> Ack:
        """Send envelope on the newest connection and return the app's ack."""
        try:
            await self.recorder.wait_until(self._current, timeout, "a Socket Mode connection")
        except TimeoutError as e:
            raise NotConnectedError(str(e)) from None
        conn = self._current()
        assert conn is not None
        envelope_id = envelope["envelope_id"]
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        sent_at = time.perf_counter()
        self._pending[envelope_id] = (future, sent_at)
        record = SentEnvelope(envelope_id, envelope["type"], envelope["payload"], time.time())
        self.envelopes.append(record)
        self.recorder.note(f"slack -> ws#{conn.number} {describe_envelope(envelope)}")
        await conn.ws.send_str(json.dumps(envelope))
        try:
            reply = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            self._pending.pop(envelope_id, None)
            self.recorder.note(f"no ack for {envelope_id} within {timeout}s")
            raise AckTimeoutError(
                f"no ack for {envelope['type']} envelope within {timeout}s (bolt sends none when "
                f"no listener matched or a listener raised)\n{self.recorder.transcript()}"
            ) from None
        ack = Ack(
            reply.get("payload"), envelope_id=envelope_id, elapsed=time.perf_counter() - sent_at
        )
        record.ack = ack
        self.recorder.note(f"bot ack after {ack.elapsed * 1000:.0f}ms  {json_summary(dict(ack))}")
        return ack

    async def send_disconnect(self, reason: str) -> None:
        """Ask the app to reconnect, like Slack's ``disconnect`` message."""
        conn = self._current()
        if conn is None:
            raise NotConnectedError("no Socket Mode connection to send disconnect on")
        message = {
            "type": "disconnect",
            "reason": reason,
            "debug_info": {"host": f"applink-emulated-{conn.number}"},
        }
        self.recorder.note(f"slack -> ws#{conn.number} disconnect reason={reason}")
        await conn.ws.send_str(json.dumps(message))

    async def drop(self, *, graceful: bool) -> None:
        """Close every socket from the server side (TCP abort unless graceful)."""
        conns = list(self.connections)
        self.recorder.note(f"slack drops {len(conns)} connection(s) graceful={graceful}")
        for conn in conns:
            if graceful:
                await conn.ws.close(code=1001, message=b"going away")
            elif conn.request.transport is not None:
                conn.request.transport.abort()
        with contextlib.suppress(TimeoutError):
            await self.recorder.wait_until(
                lambda: not any(c in self.connections for c in conns), 2.0, "sockets to close"
            )

    async def close(self) -> None:
        """Close all sockets and fail pending acks (emulator shutdown)."""
        for conn in list(self.connections):
            await conn.ws.close(code=1001, message=b"emulator stopping")
        for future, _sent in self._pending.values():
            future.cancel()
        self._pending.clear()


def describe_envelope(envelope: dict[str, Any]) -> str:
    """One transcript line for an envelope."""
    payload = envelope["payload"]
    kind = envelope["type"]
    if kind == "slash_commands":
        detail = f"{payload.get('command')} text={payload.get('text')!r} user={payload['user_id']}"
    elif kind == "events_api":
        event = payload.get("event", {})
        detail = f"{event.get('type')} user={event.get('user')}"
    else:
        user = payload.get("user")
        detail = f"{payload.get('type')} user={user.get('id') if isinstance(user, dict) else None}"
        actions = payload.get("actions")
        if isinstance(actions, list) and actions and isinstance(actions[0], dict):
            act = actions[0]
            detail += f" action={act.get('action_id')} value={json_summary(act.get('value'), 40)}"
        view = payload.get("view")
        if payload.get("type") == "view_submission" and isinstance(view, dict):
            detail += f" callback_id={view.get('callback_id')!r}"
    return f"{kind} {detail}"
