"""Who may be mapped, and how: email -> handle -> principal and database user; group members."""

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from bot.catalog.database import DatabaseSpec
from bot.catalog.model import Catalog
from bot.domain import Identity, Level, SlackUser
from bot.errors import IdentityError, SlackError
from providers.base import SlackDirectory

SQL_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
T = TypeVar("T")


def handle_for(email: str, catalog: Catalog) -> str:
    """The catalog override's handle, else the email's local part, lowercased, [^a-z0-9_] -> _."""
    override = catalog.identity.overrides.get(email.lower(), {})
    if "handle" in override:
        return override["handle"]
    return re.sub(r"[^a-z0-9_]", "_", email.split("@", 1)[0].lower())


def principal_for(
    catalog: Catalog, database: DatabaseSpec, identity: Identity, level: Level
) -> str:
    """The IAM principal ARN that receives this user's grant on database."""
    template = catalog.identity.overrides.get(identity.email.lower(), {}).get(
        "principal", catalog.identity.principal
    )
    return template.format(
        account_id=database.account_id, handle=identity.handle, level=level.value
    )


def db_user_for(catalog: Catalog, identity: Identity, level: Level) -> str:
    """The database user name for this user at level; refuses names unsafe as SQL identifiers."""
    template = catalog.identity.overrides.get(identity.email.lower(), {}).get(
        "db_user", catalog.identity.db_user
    )
    name = template.format(account_id="", handle=identity.handle, level=level.value)
    if not SQL_IDENT.match(name):
        raise IdentityError(
            f"Your database user name {name!r} is not a safe SQL identifier "
            "(^[a-z_][a-z0-9_]{0,62}$). Ask an admin to add an identity override for you."
        )
    return name


def refusal(user: SlackUser, email_domains: tuple[str, ...]) -> IdentityError | None:
    """Why this Slack account may not be mapped to an AWS principal, or None if it may."""
    if user.deleted:
        return IdentityError(
            "Your Slack account is deactivated, so it cannot get database access.",
            code="deactivated",
        )
    if user.is_bot:
        return IdentityError("Bots cannot request database access; a person must ask.", code="bot")
    if user.is_app_user:
        return IdentityError(
            "This is an app's account, not a person's; request database "
            "access from your own Slack account.",
            code="app_user",
        )
    if user.is_external:
        return IdentityError(
            "You are in another organisation's Slack (Slack Connect), so I "
            "cannot map you to an AWS role here. Ask someone in this "
            "workspace to help, or a workspace admin for a member account.",
            code="external",
        )
    if user.is_guest:
        return IdentityError(
            "Guest accounts cannot be mapped to an AWS role. Ask a workspace "
            "admin for a full member account, or an approver to help.",
            code="guest",
        )
    if not user.email:
        return IdentityError(
            "Your Slack profile has no email address I can read, so I cannot "
            "map you to an AWS role. Ask a workspace admin to check your "
            "profile (the bot needs the users:read.email scope).",
            code="no_email",
        )
    domain = user.email.rsplit("@", 1)[-1].lower()
    if email_domains and domain not in email_domains:
        return IdentityError(
            f"Your email domain {domain} is not one I map to AWS roles "
            f"({', '.join(email_domains)}). Use an account with one of those "
            "domains, or ask an admin to add yours to identity.email_domains "
            "in the catalog.",
            code="email_domain",
        )
    return None


class TtlCache(Generic[T]):
    """A tiny per-key cache whose entries expire after ttl seconds.

    Concurrent misses of one key wait for a single load, so a burst of requests asks Slack
    once instead of once per request (and stays under its rate limits).
    """

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl, self._clock = ttl, clock
        self._items: dict[str, tuple[float, T]] = {}
        self._loading: dict[str, asyncio.Lock] = {}

    async def get(self, key: str, load: Callable[[], Awaitable[T]]) -> T:
        """The cached value for key, loading it when missing or stale."""
        async with self._loading.setdefault(key, asyncio.Lock()):
            hit = self._items.get(key)
            now = self._clock()
            if hit and hit[0] > now:
                return hit[1]
            value = await load()
            self._items[key] = (self._clock() + self._ttl, value)
            return value

    def put(self, key: str, value: T) -> None:
        """Store a value just loaded elsewhere (it restarts the key's ttl)."""
        self._items[key] = (self._clock() + self._ttl, value)


class People:
    """Resolves Slack users to identities and checks user-group membership, with caching."""

    def __init__(
        self,
        directory: SlackDirectory,
        catalog: Catalog,
        *,
        user_ttl: float = 600,
        group_ttl: float = 120,
    ) -> None:
        self._directory, self._catalog = directory, catalog
        self._users: TtlCache[Identity | IdentityError] = TtlCache(user_ttl)
        self._groups: TtlCache[frozenset[str]] = TtlCache(group_ttl)

    async def identity(self, user_id: str) -> Identity:
        """The user's identity; IdentityError (with its rule's code) for anyone not mappable."""
        found = await self._users.get(user_id, lambda: self._lookup(user_id))
        if isinstance(found, IdentityError):
            raise IdentityError(found.user_message, code=found.code)
        return found

    async def _lookup(self, user_id: str) -> Identity | IdentityError:
        try:
            user = await self._directory.user(user_id)
        except SlackError:
            # Raised, not returned, so a passing Slack failure is not cached.
            raise IdentityError(
                "I could not look you up in Slack (users.info failed), so I "
                "cannot map you to an AWS role. Try again in a minute.",
                code="lookup_failed",
            ) from None
        refused = refusal(user, self._catalog.identity.email_domains)
        if refused is not None:
            return refused
        assert user.email is not None
        return Identity(
            user_id=user.user_id,
            email=user.email.lower(),
            handle=handle_for(user.email, self._catalog),
            display_name=user.name,
        )

    def fresh(self) -> "FreshMembership":
        """Membership checks that ask Slack now, for one decision (approve, deny, revoke, audit)."""
        return FreshMembership(self._directory, self._groups)

    async def is_member(self, user_id: str, ids: tuple[str, ...]) -> bool:
        """Whether user_id is one of ids or in one of their groups (cached: for display only)."""
        if user_id in ids:
            return True
        for group in (i for i in ids if i.startswith("S")):
            members = await self._groups.get(group, lambda g=group: self._group(g))
            if user_id in members:
                return True
        return False

    async def members(self, ids: tuple[str, ...]) -> frozenset[str]:
        """Every user id named directly or through a user group in ids."""
        users = {i for i in ids if not i.startswith("S")}
        for group in (i for i in ids if i.startswith("S")):
            users |= await self._groups.get(group, lambda g=group: self._group(g))
        return frozenset(users)

    async def _group(self, group_id: str) -> frozenset[str]:
        return await self._directory.group_members(group_id)


class FreshMembership:
    """Group membership asked of Slack at the moment of a decision; each group once per decision.

    A lookup that fails raises SlackError: callers refuse, because a removed approver must not
    be let through by a stale cache or by Slack being unreachable.
    """

    def __init__(self, directory: SlackDirectory, cache: TtlCache[frozenset[str]]) -> None:
        self._directory, self._cache = directory, cache
        self._seen: dict[str, frozenset[str]] = {}

    async def is_member(self, user_id: str, ids: tuple[str, ...]) -> bool:
        """Whether user_id is one of ids, or in one of their user groups right now."""
        if user_id in ids:
            return True
        for group in (i for i in ids if i.startswith("S")):
            if group not in self._seen:
                self._seen[group] = await self._directory.group_members(group)
                self._cache.put(group, self._seen[group])  # displays catch up too
            if user_id in self._seen[group]:
                return True
        return False
