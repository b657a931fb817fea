"""What people do in Slack, sent to the app over Socket Mode, and the checks on its acks.

Mixed into SlackEmulator (slack_emulator.py), which provides the attributes declared here.
"""

from __future__ import annotations

from typing import Any

from tests.support import slack_emulator_payloads as payloads
from tests.support.slack_emulator_blocks import find_element, render_state
from tests.support.slack_emulator_escaping import escape_typed
from tests.support.slack_emulator_models import DEFAULT_CHANNEL_ID, DEFAULT_USER_ID, Ack
from tests.support.slack_emulator_recorder import Recorder
from tests.support.slack_emulator_socket import SocketModeServer
from tests.support.slack_emulator_validation import (
    Violation,
    message_problems,
    options_problems,
    view_problems,
)
from tests.support.slack_emulator_webapi import WebApi
from tests.support.slack_emulator_workspace import Workspace


class UserActions:
    """Slash commands, clicks, submissions, option loads and events, as Slack sends them."""

    workspace: Workspace
    socket: SocketModeServer
    web_api: WebApi
    recorder: Recorder
    base_url: str
    confirm_dialogs: list[dict[str, Any]]  # confirm dialogs shown before a click went out

    # -- strictness: payloads Slack would refuse -------------------------------------------
    @property
    def violations(self) -> list[Violation]:
        """Every payload refused as invalid (blocks, views, acks), in order."""
        return self.web_api.violations

    def take_violations(self) -> list[Violation]:
        """The violations so far, forgotten afterwards (for tests that provoke them)."""
        taken = list(self.web_api.violations)
        self.web_api.violations.clear()
        return taken

    def _check_ack(self, inner: str, ack: Ack) -> None:
        """Record a violation when the payload in an ack is one Slack would refuse."""
        if inner == "slash_commands" and "blocks" in ack:
            problems, error = message_problems(ack["blocks"]), "invalid_blocks"
        elif inner == "view_submission" and ack.get("response_action") in ("update", "push"):
            problems, error = view_problems(ack.get("view"), home=False), "invalid_arguments"
        elif inner == "block_suggestion":
            problems, error = options_problems(dict(ack)), "invalid_options"
        else:
            return
        if problems:
            self.web_api.violations.append(Violation(f"ack of {inner}", error, tuple(problems)))
            self.recorder.note(f"slack refuses the ack of {inner}: {problems[0]}")

    # -- Socket Mode: what users do --------------------------------------------------------
    async def _send(self, kind: str, payload: dict[str, Any], timeout: float) -> Ack:
        """Wrap payload in an envelope, send it and return the ack."""
        inner = payload.get("type", kind) if kind == "interactive" else kind
        accepts = payloads.ACCEPTS_RESPONSE_PAYLOAD.get(str(inner), False)
        envelope = payloads.envelope(kind, payload, accepts_response_payload=accepts)
        ack = await self.socket.send_envelope(envelope, timeout)
        self._check_ack(str(inner), ack)
        return ack

    def _response_url(self, user_id: str, channel: str, message_ts: str | None = None) -> str:
        """A new response_url bound to channel (and the message, for replace_original)."""
        url_id = self.workspace.issue_response_url(user_id, channel, message_ts)
        return f"{self.base_url}/response/{url_id}"

    def _user(self, user_id: str) -> dict[str, Any]:
        """The ``user`` object for interactive payloads."""
        return payloads.user_ref(user_id, self.workspace.user_name(user_id))

    def typed(self, text: str) -> str:
        """What Slack sends for text a person typed (command escaping on, as our manifest has)."""
        users = {str(u.get("name")): uid for uid, u in self.workspace.users.items()}
        channels = {name: cid for cid, name in self.workspace.channels.items()}
        return escape_typed(text, users=users, channels=channels)

    async def slash_command(
        self,
        text: str = "",
        *,
        user_id: str = DEFAULT_USER_ID,
        command: str = "/db-access",
        channel_id: str = DEFAULT_CHANNEL_ID,
        timeout: float = 5.0,
    ) -> Ack:
        """User types ``<command> <text>`` in channel_id; returns the ack payload."""
        payload = payloads.slash_command(
            text=text,
            command=command,
            user_id=user_id,
            user_name=self.workspace.user_name(user_id),
            channel_id=channel_id,
            channel_name=self.workspace.channel_name(channel_id),
            response_url=self._response_url(user_id, channel_id),
            trigger_id=self.workspace.issue_trigger(user_id),
        )
        return await self._send("slash_commands", payload, timeout)

    async def click(
        self,
        *,
        user_id: str = DEFAULT_USER_ID,
        action_id: str,
        value: str | None = None,
        message: tuple[str, str] | None = None,
        block_id: str | None = None,
        view_id: str | None = None,
        selected_option: str | dict[str, Any] | list[Any] | None = None,
        confirm: bool | None = None,
        timeout: float = 5.0,
    ) -> Ack:
        """User clicks (or picks in) element action_id on a message, a view or nowhere known.

        An element with a ``confirm`` dialog sends nothing until the user answers it: pass
        ``confirm=True`` (Slack then sends the action) or ``confirm=False`` (nothing is sent).
        In a multi select, selected_option is everything chosen after the pick (a list).
        """
        stored_message = self.workspace.find_message(message) if message else None
        view = self.workspace.views.get(view_id) if view_id and not message else None
        if (message and not stored_message) or (view_id and not message and not view):
            transcript = self.recorder.transcript()
            raise LookupError(f"no message {message} / view {view_id}\n{transcript}")
        blocks = stored_message.blocks if stored_message else view.blocks if view else None
        found = find_element(blocks, action_id, block_id) if blocks is not None else None
        if blocks is not None and found is None:
            raise LookupError(f"no element action_id={action_id!r} block_id={block_id!r}")
        element = found[1] if found else None
        dialog = (element or {}).get("confirm")
        if dialog is not None:
            title = dialog.get("title", {}).get("text")
            if confirm is None:
                raise LookupError(
                    f"{action_id!r} asks to confirm first ({title!r}); pass "
                    "confirm=True or confirm=False"
                )
            self.confirm_dialogs.append(dialog)
            self.recorder.note(f"{user_id} {'confirmed' if confirm else 'cancelled'} {title!r}")
            if not confirm:
                return Ack(None, envelope_id="", elapsed=0.0)
        act = payloads.action(
            element,
            action_id=action_id,
            value=value,
            block_id=found[0] if found else (block_id or "emulated"),
            selected_option=selected_option,
        )
        channel = stored_message.channel if stored_message else None
        payload = payloads.block_actions(
            user=self._user(user_id),
            trigger_id=self.workspace.issue_trigger(user_id),
            act=act,
            element=element,
            message=stored_message,
            view=view,
            response_url=self._response_url(user_id, channel, stored_message.ts)
            if stored_message
            else None,
            channel_name=self.workspace.channel_name(channel) if channel else None,
        )
        return await self._send("interactive", payload, timeout)

    async def submit_view(
        self,
        view_id: str,
        *,
        user_id: str = DEFAULT_USER_ID,
        values: dict[str, dict[str, Any]] | None = None,
        timeout: float = 5.0,
    ) -> Ack:
        """User submits modal view_id with values ``{block_id: {action_id: value}}``."""
        view = self.workspace.views.get(view_id)
        if view is None or view.closed:
            raise LookupError(f"view {view_id} is not open\n{self.recorder.transcript()}")
        state = render_state(view.blocks, values or {})
        payload = payloads.view_submission(
            user=self._user(user_id),
            trigger_id=self.workspace.issue_trigger(user_id),
            view=view,
            state=state,
        )
        ack = await self._send("interactive", payload, timeout)
        self.workspace.apply_view_response(view, dict(ack))
        return ack

    async def load_options(
        self,
        view_id: str,
        action_id: str,
        typed: str = "",
        *,
        user_id: str = DEFAULT_USER_ID,
        timeout: float = 5.0,
    ) -> list[dict[str, Any]]:
        """User types into (multi_)external_select action_id of view_id; the options offered."""
        view = self.workspace.views.get(view_id)
        found = find_element(view.blocks, action_id) if view and not view.closed else None
        searched = ("external_select", "multi_external_select")
        if view is None or found is None or found[1].get("type") not in searched:
            raise LookupError(f"no open external_select {action_id!r} in view {view_id}")
        payload = payloads.block_suggestion(
            user=self._user(user_id),
            view=view,
            action_id=action_id,
            block_id=found[0],
            value=typed,
        )
        ack = await self._send("interactive", payload, timeout)
        groups = ack.get("option_groups")
        if groups is not None:
            return [option for group in groups for option in group.get("options", [])]
        return list(ack.get("options", []))

    async def send_interactive(self, payload: dict[str, Any], *, timeout: float = 5.0) -> Ack:
        """Deliver any interactive payload as given (a forged or malformed one, say)."""
        return await self._send("interactive", payload, timeout)

    async def event(self, event: dict[str, Any], *, timeout: float = 5.0) -> Ack:
        """Deliver an Events API event (wrapped in event_callback)."""
        return await self._send("events_api", payloads.event_callback(event), timeout)

    async def app_home_opened(self, user_id: str = DEFAULT_USER_ID, *, tab: str = "home") -> Ack:
        """User opens the app's Home tab."""
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.workspace.dm_channel(user_id),
            "tab": tab,
        }
        home = self.workspace.homes.get(user_id)
        if home is not None:
            event["view"] = home.data
        return await self.event(event)

    async def send_disconnect(self, reason: str = "refresh_requested") -> None:
        """Send Slack's ``disconnect`` message; the SDK reconnects with a new URL."""
        await self.socket.send_disconnect(reason)

    async def drop_connections(self, *, graceful: bool = False) -> None:
        """Close every websocket from the server (TCP abort, or a 1001 close frame)."""
        await self.socket.drop(graceful=graceful)
