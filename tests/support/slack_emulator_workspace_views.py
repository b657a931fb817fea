"""The workspace's views: modals and App Homes stored, found, closed, and changed by acks.

Mixed into Workspace (slack_emulator_workspace.py), which provides the attributes declared here.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from tests.support.slack_emulator_blocks import normalize_blocks
from tests.support.slack_emulator_models import APP_ID, BOT_ID, TEAM_ID, StoredView, new_id


class WorkspaceViews:
    """Every modal and home view by id, and each user's open modal stack."""

    views: dict[str, StoredView]
    view_stacks: dict[str, list[str]]

    def store_view(
        self,
        submitted: dict[str, Any],
        user_id: str,
        *,
        view_id: str | None = None,
        previous_view_id: str | None = None,
        root_view_id: str | None = None,
    ) -> StoredView:
        """Create or replace a view, returning it in the shape the API responds with."""
        view_id = view_id or new_id("V")
        existing = self.views.get(view_id)
        data = {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": submitted.get("type", "modal"),
            "blocks": normalize_blocks(submitted.get("blocks")),
            "private_metadata": submitted.get("private_metadata", ""),
            "callback_id": submitted.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "title": submitted.get("title"),
            "clear_on_close": bool(submitted.get("clear_on_close")),
            "notify_on_close": bool(submitted.get("notify_on_close")),
            "close": submitted.get("close"),
            "submit": submitted.get("submit"),
            "previous_view_id": previous_view_id,
            "root_view_id": root_view_id or view_id,
            "app_id": APP_ID,
            "external_id": submitted.get("external_id", ""),
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }
        if existing is not None:
            existing.history.append(existing.data)
            data["previous_view_id"] = existing.data.get("previous_view_id")
            data["root_view_id"] = existing.data.get("root_view_id")
            existing.data = data
            return existing
        view = StoredView(view_id, user_id, data)
        self.views[view_id] = view
        return view

    def find_view(self, view_id: str | None, external_id: str | None) -> StoredView | None:
        """A view by id, or by the external_id the bot gave it."""
        if view_id:
            return self.views.get(view_id)
        for view in self.views.values():
            if external_id and view.data.get("external_id") == external_id:
                return view
        return None

    def close_view(self, view_id: str, *, clear: bool = False) -> None:
        """Close view_id (or the user's whole modal stack when clear)."""
        view = self.views[view_id]
        stack = self.view_stacks.get(view.user_id, [])
        closing = list(stack) if clear else [view_id]
        for closed_id in closing:
            self.views[closed_id].closed = True
            if closed_id in stack:
                stack.remove(closed_id)

    def apply_view_response(self, view: StoredView, ack: dict[str, Any]) -> None:
        """Close, clear, update or push views as Slack does after a view_submission ack."""
        action = ack.get("response_action")
        if action == "update" and isinstance(ack.get("view"), dict):
            self.store_view(ack["view"], view.user_id, view_id=view.id)
        elif action == "push" and isinstance(ack.get("view"), dict):
            stack = self.view_stacks.setdefault(view.user_id, [view.id])
            pushed = self.store_view(
                ack["view"], view.user_id, previous_view_id=view.id, root_view_id=stack[0]
            )
            stack.append(pushed.id)
        elif action == "clear":
            self.close_view(view.id, clear=True)
        elif action != "errors":
            self.close_view(view.id)
