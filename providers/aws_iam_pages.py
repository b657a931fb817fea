"""Every role or user of an account with its grant policy names, read a page at a time.

One GetAccountAuthorizationDetails call answers for up to PAGE_SIZE principals at once, where
ListRolePolicies answers for one: reconciliation reads IAM this way.
"""

import asyncio
import contextlib
import re
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from functools import partial
from typing import Any, TypeVar

from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError

from providers.aws_policy import grant_id_from_policy_name
from providers.aws_session import aws_error

T = TypeVar("T")
# Principals per call (IAM allows up to 1,000): 100 keeps a page near 1 MB with 20 grants a
# principal, so reading 100k grants never holds much more at once.
PAGE_SIZE = 100
_DETAILS = "GetAccountAuthorizationDetails"
_LISTS = {
    "role": ("Role", "RoleDetailList", "RolePolicyList"),
    "user": ("User", "UserDetailList", "UserPolicyList"),
}
# Reconciliation reads names only. Policy documents (URL-encoded: no "<" inside) are nearly all
# of a page, and botocore parses each date with dateutil: dropped before parsing, a page costs
# a fifth of the CPU.
_UNREAD = re.compile(
    rb"<(PolicyDocument|AssumeRolePolicyDocument|CreateDate|LastUsedDate)>[^<]*</\1>"
)
_FIX = (
    "Give the bot's role (or the account's manage role) the permissions printed by "
    "`db-access-bot iam-policy`"
)


async def grant_policy_pages(
    iam: BaseClient, *, account_id: str, kinds: frozenset[str], pause: float
) -> AsyncIterator[dict[str, list[str]]]:
    """Pages of {principal ARN: grant ids of its `db-access-*` policies}, `pause` apart."""
    if not kinds:
        return
    pages = await _in_daemon_thread(_detail_pages, iam, kinds)
    while True:
        page, more = await _in_daemon_thread(_next_page, account_id, pages)
        if page is None:
            return
        yield page
        if not more:
            return
        await asyncio.sleep(pause)


def _detail_pages(iam: BaseClient, kinds: frozenset[str]) -> Iterator[dict[str, Any]]:
    iam.meta.events.register(
        f"before-parse.iam.{_DETAILS}", _drop_unread, unique_id="db-access-bot-drop-unread"
    )
    filters = sorted(_LISTS[kind][0] for kind in kinds)
    return iter(
        iam.get_paginator("get_account_authorization_details").paginate(
            Filter=filters, PaginationConfig={"PageSize": PAGE_SIZE}
        )
    )


def _next_page(
    account_id: str, pages: Iterator[dict[str, Any]]
) -> tuple[dict[str, list[str]] | None, bool]:
    """The next page's principals and grant ids (None after the last), and whether more
    pages follow."""
    try:
        page = next(pages, None)
    except (ClientError, BotoCoreError) as exc:
        raise aws_error(
            exc,
            action="read the roles and users (GetAccountAuthorizationDetails)",
            subject=f"account {account_id}",
            fix=_FIX,
        ) from None
    if page is None:
        return None, False
    found: dict[str, list[str]] = {}
    for _, details, policies in _LISTS.values():
        for principal in page.get(details, []):
            names = (p["PolicyName"] for p in principal.get(policies, []))
            found[principal["Arn"]] = [
                gid for gid in map(grant_id_from_policy_name, names) if gid is not None
            ]
    return found, bool(page.get("IsTruncated"))


async def _in_daemon_thread(function: Callable[..., T], *args: Any) -> T:
    """Run a read in a thread of its own that the process does not wait for when it exits.

    While IAM is unreachable botocore's retries hold a call for many seconds; a read has no
    effect to finish, so a stopping bot abandons it instead of outliving its shutdown budget.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        if not future.done():  # the awaiting task may have been cancelled meanwhile
            outcome()

    def work() -> None:
        try:
            result = function(*args)
        except BaseException as exc:  # handed to the awaiting task, raised there
            outcome: Callable[[], None] = partial(future.set_exception, exc)
        else:
            outcome = partial(future.set_result, result)
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
            loop.call_soon_threadsafe(settle, outcome)

    threading.Thread(target=work, name="iam-read", daemon=True).start()
    return await future


def _drop_unread(response_dict: dict[str, Any], **_: Any) -> None:
    """botocore before-parse hook: strip what reconciliation never reads from a raw page."""
    body = response_dict.get("body")
    if isinstance(body, bytes):
        response_dict["body"] = _UNREAD.sub(b"", body)
