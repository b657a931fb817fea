"""Web API views methods: modal stacks opened by trigger ids, updates by hash, App Homes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.slack_emulator_models import error_reply
from tests.support.slack_emulator_validation import view_problems
from tests.support.slack_emulator_workspace import USER_ID_RE, Workspace

Params = dict[str, Any]
Reply = dict[str, Any]
# Records a refused payload as a violation and words Slack's answer: (method, error, problems).
Refuse = Callable[[str, str, list[str]], Reply]


def _view_problem(refuse: Refuse, method: str, p: Params, *, home: bool) -> Reply | None:
    """invalid_arguments (Slack's answer for a bad view) when the view breaks the rules."""
    problems = view_problems(p.get("view"), home=home)
    return refuse(method, "invalid_arguments", problems) if problems else None


def views_open(ws: Workspace, refuse: Refuse, p: Params) -> Reply:
    """views.open starts a new modal stack for the trigger's user."""
    problem = _view_problem(refuse, "views.open", p, home=False)
    if problem:
        return problem
    user_id, error = ws.consume_trigger(p.get("trigger_id"))
    if error or user_id is None:
        return error_reply(error or "invalid_trigger_id")
    view = ws.store_view(p["view"], user_id)
    ws.view_stacks[user_id] = [view.id]
    return {"ok": True, "view": view.data}


def views_push(ws: Workspace, refuse: Refuse, p: Params) -> Reply:
    """views.push a modal on top of the user's open stack (at most three)."""
    problem = _view_problem(refuse, "views.push", p, home=False)
    if problem:
        return problem
    user_id, error = ws.consume_trigger(p.get("trigger_id"))
    if error or user_id is None:
        return error_reply(error or "invalid_trigger_id")
    stack = ws.view_stacks.get(user_id, [])
    if not stack:
        return error_reply("not_found")
    if len(stack) >= 3:
        return error_reply("push_limit_reached")
    view = ws.store_view(p["view"], user_id, previous_view_id=stack[-1], root_view_id=stack[0])
    stack.append(view.id)
    return {"ok": True, "view": view.data}


def views_update(ws: Workspace, refuse: Refuse, p: Params) -> Reply:
    """views.update by view_id or external_id, honouring hash conflicts."""
    existing = ws.find_view(p.get("view_id"), p.get("external_id"))
    if existing is None or existing.closed:
        return error_reply("not_found")
    problem = _view_problem(refuse, "views.update", p, home=existing.type == "home")
    if problem:
        return problem
    if p.get("hash") and p["hash"] != existing.hash:
        return error_reply("hash_conflict")
    view = ws.store_view(p["view"], existing.user_id, view_id=existing.id)
    return {"ok": True, "view": view.data}


def views_publish(ws: Workspace, refuse: Refuse, p: Params) -> Reply:
    """views.publish an App Home view for user_id."""
    user_id = str(p.get("user_id", ""))
    if not USER_ID_RE.match(user_id):
        return error_reply("invalid_arguments", "[ERROR] invalid user_id [json-pointer:/user_id]")
    problem = _view_problem(refuse, "views.publish", p, home=True)
    if problem:
        return problem
    current = ws.homes.get(user_id)
    if current is not None and p.get("hash") and p["hash"] != current.hash:
        return error_reply("hash_conflict")
    view = ws.store_view(p["view"], user_id, view_id=current.id if current else None)
    ws.homes[user_id] = view
    return {"ok": True, "view": view.data}
