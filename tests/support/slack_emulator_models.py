"""Value types and identifiers shared by the Slack emulator modules."""

from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass, field
from typing import Any

TEAM_ID = "T0EMULATED"
TEAM_DOMAIN = "emulated"
TEAM_NAME = "Emulated Workspace"
APP_ID = "A0EMULATED"
BOT_ID = "B0EMULATED"
BOT_USER_ID = "U0BOTEMUL8"
BOT_USER_NAME = "db-access-bot"
DEFAULT_USER_ID = "U0DEFAULT1"
DEFAULT_CHANNEL_ID = "C0GENERAL1"
VERIFICATION_TOKEN = "emulatedVerificationToken"  # deprecated field Slack still sends
DEFAULT_BOT_TOKEN = "xoxb-0000000000-0000000000000-emulatedBotToken"
DEFAULT_APP_TOKEN = "xapp-1-A0EMULATED-0000000000000-emulatedAppToken"

_ID_ALPHABET = string.ascii_uppercase + string.digits


def new_id(prefix: str, length: int = 10) -> str:
    """A Slack-style upper-case id such as ``V07ABCDEF12``."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def new_trigger_id() -> str:
    """A trigger id shaped like Slack's ``<digits>.<digits>.<hex>``."""
    return f"{secrets.randbelow(10**12)}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"


def json_summary(value: Any, limit: int = 100) -> str:
    """A short one-line repr of value for the transcript."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class RecordedCall:
    """One request the bot made: a Web API method or a POST to a response_url."""

    method: str
    params: dict[str, Any]
    token: str | None
    at: float
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the emulator answered ok."""
        return bool(self.response.get("ok"))


@dataclass
class StoredMessage:
    """Current state of a message the bot posted (after any chat.update)."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    user: str = BOT_USER_ID
    thread_ts: str | None = None
    ephemeral_to: str | None = None
    edited_ts: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] | None = None

    def to_slack(self) -> dict[str, Any]:
        """The message as Slack embeds it in payloads and API responses."""
        message: dict[str, Any] = {
            "type": "message",
            "subtype": "bot_message" if self.user == BOT_USER_ID else None,
            "user": self.user,
            "bot_id": BOT_ID if self.user == BOT_USER_ID else None,
            "app_id": APP_ID if self.user == BOT_USER_ID else None,
            "text": self.text,
            "blocks": self.blocks,
            "team": TEAM_ID,
            "ts": self.ts,
        }
        if self.thread_ts:
            message["thread_ts"] = self.thread_ts
        if self.edited_ts:
            message["edited"] = {"user": BOT_USER_ID, "ts": self.edited_ts}
        return {k: v for k, v in message.items() if v is not None}


@dataclass
class StoredView:
    """A modal or App Home view as Slack holds it (``data`` is what the API returns)."""

    id: str
    user_id: str
    data: dict[str, Any]
    closed: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def type(self) -> str:
        """``modal`` or ``home``."""
        return str(self.data.get("type", "modal"))

    @property
    def callback_id(self) -> str:
        """The callback_id the bot set."""
        return str(self.data.get("callback_id", ""))

    @property
    def private_metadata(self) -> str:
        """The private_metadata the bot set."""
        return str(self.data.get("private_metadata", ""))

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """The view's blocks (block_ids filled in)."""
        return list(self.data.get("blocks", []))

    @property
    def hash(self) -> str:
        """The current view hash (changes on every update)."""
        return str(self.data.get("hash", ""))


@dataclass
class SentEnvelope:
    """An envelope the emulator pushed over Socket Mode, with its ack once received."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    at: float
    ack: Ack | None = None


class Ack(dict[str, Any]):
    """The ack payload (a dict, ``{}`` when the bot acked without one) plus timing."""

    def __init__(self, payload: dict[str, Any] | None, *, envelope_id: str, elapsed: float) -> None:
        """Wrap payload; elapsed is seconds between sending the envelope and its ack."""
        super().__init__(payload or {})
        self.envelope_id = envelope_id
        self.elapsed = elapsed

    @property
    def within_deadline(self) -> bool:
        """Slack requires an ack within 3 seconds."""
        return self.elapsed < 3.0


class AckTimeoutError(TimeoutError):
    """The bot did not ack an envelope in time (bolt sends no ack when no listener matched)."""


class NotConnectedError(RuntimeError):
    """No Socket Mode connection was open to deliver an envelope."""


def slack_ts(previous: str | None = None) -> str:
    """A message timestamp ``<seconds>.<micros>`` strictly greater than previous."""
    micros = int(time.time() * 1_000_000)
    if previous is not None:
        micros = max(micros, int(previous.replace(".", "")) + 1)
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def error_reply(error: str, *messages: str) -> dict[str, Any]:
    """An ok:false reply, with response_metadata messages like Slack's when given."""
    reply: dict[str, Any] = {"ok": False, "error": error}
    if messages:
        reply["response_metadata"] = {"messages": list(messages)}
    return reply
