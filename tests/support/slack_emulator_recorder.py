"""What happened, in order: recorded calls, transcript lines and waiting for changes."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from tests.support.slack_emulator_models import RecordedCall, json_summary

_SUMMARY_KEYS = (
    "channel",
    "user",
    "users",
    "user_id",
    "usergroup",
    "ts",
    "text",
    "trigger_id",
    "view_id",
    "response_type",
    "replace_original",
    "delete_original",
    "response_action",
)


def summarize_params(params: dict[str, Any]) -> str:
    """The interesting parameters of a call, as ``key=value`` pairs."""
    parts = [f"{k}={json_summary(params[k], 60)}" for k in _SUMMARY_KEYS if k in params]
    view = params.get("view")
    if isinstance(view, dict):
        parts.append(f"view={view.get('type')}:{view.get('callback_id', '')!r}")
    if "blocks" in params:
        blocks = params["blocks"]
        parts.append(f"blocks={len(blocks) if isinstance(blocks, list) else '?'}")
    return " ".join(parts)


class Recorder:
    """Keeps calls and transcript lines, and wakes waiters whenever something changes."""

    def __init__(self) -> None:
        """Start empty; times in the transcript are relative to now."""
        self.started = time.time()
        self.calls: list[RecordedCall] = []
        self.lines: list[tuple[float, str]] = []
        self._changed = asyncio.Event()

    def note(self, text: str) -> None:
        """Add a transcript line and wake waiters."""
        self.lines.append((time.time(), text))
        self.notify()

    def notify(self) -> None:
        """Wake everything waiting in wait_until."""
        self._changed.set()
        self._changed = asyncio.Event()

    def record(self, call: RecordedCall) -> None:
        """Store a call and its transcript line."""
        self.calls.append(call)
        outcome = "ok" if call.ok else f"error={call.response.get('error')}"
        self.note(f"bot -> {call.method}  {summarize_params(call.params)}  => {outcome}")

    async def wait_until(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:
        """The first truthy predicate() result, re-checked on every change, or TimeoutError.

        Also re-checks every 20 ms, so predicates may look at state outside the emulator.
        """
        try:
            async with asyncio.timeout(timeout):
                while True:
                    result = predicate()
                    if result:
                        return result
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), 0.02)
        except TimeoutError:
            raise TimeoutError(
                f"timed out after {timeout}s waiting for {what}\n{self.transcript()}"
            ) from None

    def find_call(
        self, method: str, predicate: Callable[[RecordedCall], bool] | None, since: int
    ) -> RecordedCall | None:
        """The first call to method at index >= since that satisfies predicate."""
        for call in self.calls[since:]:
            if call.method == method and (predicate is None or predicate(call)):
                return call
        return None

    def transcript(self) -> str:
        """All transcript lines as ``+seconds  text``."""
        return "\n".join(f"+{at - self.started:7.3f}s  {text}" for at, text in self.lines)
