"""Shared listener plumbing: find the workflow, show errors, reply to the right place."""

import asyncio
import functools
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DbAccessError
from bot.grant_ops import GrantOps
from bot.workflow import Workflow

log = logging.getLogger(__name__)
Reply = Callable[[str], Awaitable[None]]
Listener = TypeVar("Listener", bound=Callable[..., Awaitable[Any]])


def workflow(context: AsyncBoltContext) -> Workflow:
    """The workflow the composition root put into every request's context."""
    return context["workflow"]


def ops(context: AsyncBoltContext) -> GrantOps:
    """The grant operations the composition root put into every request's context."""
    return context["grant_ops"]


_running: set[asyncio.Task[Any]] = set()


def tracked(listener: Listener) -> Listener:
    """The listener run as in-flight work in its own task; bolt hears back as soon as it acks.

    The app runs with process_before_response=True, so bolt sends whatever ack() set the moment
    this returns: no polling delay, and the rest of the listener goes on in the background.
    Shutdown (and the tests' settle) wait for in-flight work. Bolt injects arguments by the
    names of the wrapped function (it unwraps), so the listener keeps its own signature.
    """

    @functools.wraps(listener)
    async def run(**kwargs: Any) -> Any:
        inflight = workflow(kwargs["context"]).inflight
        acked = asyncio.Event()
        if "ack" in kwargs:
            bolt_ack = kwargs["ack"]

            async def ack(*args: Any, **options: Any) -> Any:
                try:
                    return await bolt_ack(*args, **options)
                finally:
                    acked.set()

            kwargs["ack"] = ack
        else:
            acked.set()  # events are acknowledged by bolt itself
        inflight.__enter__()

        async def body() -> None:
            try:
                await listener(**kwargs)
            except Exception:
                log.exception("listener failed")
            finally:
                acked.set()
                inflight.__exit__()

        task = asyncio.create_task(body())
        _running.add(task)
        task.add_done_callback(_running.discard)
        await acked.wait()

    return run  # type: ignore[return-value]


async def guarded(reply: Reply, action: Callable[[], Awaitable[Any]]) -> Any:
    """Run action; show expected errors as they are and unexpected ones with a reference."""
    try:
        return await action()
    except DbAccessError as exc:
        await reply(exc.user_message)
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("listener failed", extra={"ref": ref})
        await reply(
            f":boom: Something went wrong on my side (reference `{ref}`). "
            "Nothing was lost; try again, and tell the platform team if it repeats."
        )
    return None


def ephemeral_reply(respond: Any) -> Reply:
    """A reply through the response_url, visible only to the person who acted."""

    async def reply(text: str) -> None:
        await respond(text=text, response_type="ephemeral", replace_original=False)

    return reply


def dm_reply(client: AsyncWebClient, user_id: str) -> Reply:
    """A reply as a DM, for actions that come without a response_url (modals, App Home)."""

    async def reply(text: str) -> None:
        await client.chat_postMessage(channel=user_id, text=text, unfurl_links=False)

    return reply


def action_reply(body: dict[str, Any], respond: Any, client: AsyncWebClient) -> Reply:
    """Ephemeral where the click came with a response_url, else a DM."""
    if body.get("response_url"):
        return ephemeral_reply(respond)
    return dm_reply(client, body["user"]["id"])


def action_value(body: dict[str, Any]) -> str:
    """The value of the clicked button (an id; authorization never trusts more than that)."""
    return str(body["actions"][0].get("value") or "")


def state_value(view: dict[str, Any], block_id: str, action_id: str = "value") -> str | None:
    """The submitted value of a modal input, whatever its element type."""
    entry = view.get("state", {}).get("values", {}).get(block_id, {}).get(action_id) or {}
    option = entry.get("selected_option")
    if option:
        return option.get("value")
    return entry.get("value")
