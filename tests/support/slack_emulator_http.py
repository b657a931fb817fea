"""The HTTP side: Web API requests and response_url posts, parsed, answered and recorded."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from tests.support.slack_emulator_models import RecordedCall
from tests.support.slack_emulator_ratelimit import RateLimits
from tests.support.slack_emulator_recorder import Recorder, summarize_params
from tests.support.slack_emulator_validation import message_problems
from tests.support.slack_emulator_webapi import HTTP_STATUS, WebApi, decode_json_fields
from tests.support.slack_emulator_workspace import Workspace


async def request_params(request: web.Request) -> dict[str, Any]:
    """Query string merged with a form-encoded, multipart or JSON body."""
    params: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            params.update(body if isinstance(body, dict) else {})
        else:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


class HttpEndpoints:
    """aiohttp handlers for ``/api/<method>`` and ``/response/<id>``."""

    def __init__(
        self,
        workspace: Workspace,
        web_api: WebApi,
        recorder: Recorder,
        limits: RateLimits | None = None,
    ) -> None:
        """Answer from web_api/workspace and record into recorder; limits=None: no 429s."""
        self.workspace = workspace
        self.web_api = web_api
        self.recorder = recorder
        self.limits = limits
        self.responses: list[RecordedCall] = []
        self.throttled: list[RecordedCall] = []
        self.delays: dict[str, float] = {}
        self.drops: dict[str, int] = {}

    def _throttle(self, method: str, params: dict[str, Any], token: str | None) -> int | None:
        """Retry-After seconds when the call is over Slack's rate limit (it is then recorded)."""
        if self.limits is None:
            return None
        channel = self.workspace.resolve_channel(str(params.get("channel", "")))
        wait = self.limits.retry_after(method, channel)
        if wait is not None:
            reply = {"ok": False, "error": "ratelimited"}
            self.throttled.append(RecordedCall(method, params, token, time.time(), reply))
            self.recorder.note(
                f"bot -> {method}  {summarize_params(params)}  => 429 Retry-After: {wait}"
            )
        return wait

    async def api(self, request: web.Request) -> web.Response:
        """Record and answer one Web API call (token from ``Authorization: Bearer``)."""
        method = request.match_info["method"]
        params = await request_params(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        token = token or params.pop("token", None)
        params = decode_json_fields(params)
        if self.drops.get(method) and request.transport is not None:
            self.drops[method] -= 1
            self.recorder.note(f"bot -> {method}  {summarize_params(params)}  => connection cut")
            request.transport.abort()  # like a load balancer resetting the connection
            return web.Response(status=502)
        wait = self._throttle(method, params, token)
        if wait is not None:
            reply = {"ok": False, "error": "ratelimited"}
            return web.json_response(reply, status=429, headers={"Retry-After": str(wait)})
        reply = self.web_api.call(method, params, token)
        forced_status = reply.pop(HTTP_STATUS, None)
        self.recorder.record(RecordedCall(method, params, token, time.time(), reply))
        delay = self.delays.pop(method, 0.0)
        if delay:
            await asyncio.sleep(delay)  # the call is visible to tests before the bot hears back
        status = forced_status or (429 if reply.get("error") == "ratelimited" else 200)
        headers = {"Retry-After": "1"} if status == 429 else None
        return web.json_response(reply, status=status, headers=headers)

    async def response_url(self, request: web.Request) -> web.Response:
        """Record a POST to a response_url and apply it to the workspace."""
        target = self.workspace.response_urls.get(request.match_info["url_id"])
        try:
            body = await request.json()
        except ValueError:
            body = {"text": await request.text()}
        problems = message_problems(body["blocks"]) if "blocks" in body else []
        status = 200
        if target is None:
            reply: dict[str, Any] = {"ok": False, "error": "no_such_response_url"}
            status = 404
        elif problems:
            # Slack answers a bad response_url post with HTTP 400 and changes nothing.
            reply = self.web_api.refuse("response_url", "invalid_blocks", problems)
            status = 400
        else:
            reply = self.workspace.apply_response_url(target, body)
        call = RecordedCall("response_url", body, None, time.time(), reply)
        self.responses.append(call)
        self.recorder.record(call)
        return web.json_response(reply, status=status)
