"""What one person files at once: one or several databases, maybe for someone else, maybe later."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.catalog.model import Catalog
from bot.errors import InputError
from bot.policy import ValidRequest, validate
from bot.slack.blocks import quoted

MAX_DATABASES = 10  # one card shows each database with its buttons; Slack allows 50 blocks


@dataclass(frozen=True)
class Ask:
    """Validated requests filed together: same level, duration, reason, start and requester.

    Each part is one database with its own approvers and quorum; `for_user` is the person the
    access is for when an admin files it on their behalf (None: the one who files it).
    """

    parts: tuple[ValidRequest, ...]
    for_user: str | None = None

    @property
    def starts_at(self) -> datetime | None:
        """When the access is to start (None: as soon as it is approved)."""
        return self.parts[0].starts_at


def as_ask(request: "ValidRequest | Ask") -> Ask:
    """A single validated request as an Ask of one part."""
    return request if isinstance(request, Ask) else Ask((request,))


def database_names(text: str | Sequence[str]) -> list[str]:
    """The database names in `a,b` (or a list), refusing an empty one, repeats and too many."""
    names = [n.strip() for n in (text.split(",") if isinstance(text, str) else text)]
    if not names or any(not n for n in names):
        raise InputError(
            "Name the databases separated by commas without spaces, e.g. "
            "`orders-prod,billing-prod`.",
            field="database",
        )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(
            f"{quoted(repeated[0])} is listed twice; name each database once.", field="database"
        )
    if len(names) > MAX_DATABASES:
        raise InputError(
            f"{len(names)} databases are too many for one request; ask for at "
            f"most {MAX_DATABASES} at once.",
            field="database",
        )
    return names


def validate_ask(
    catalog: Catalog,
    *,
    databases: str | Sequence[str],
    level: str,
    duration: str,
    reason: str | None,
    ticket_url: str | None = None,
    starts_at: datetime | None = None,
    for_user: str | None = None,
) -> Ask:
    """Check every field for every database; the first problem raises InputError naming it."""
    parts = tuple(
        replace(
            validate(
                catalog,
                database=name,
                level=level,
                duration=duration,
                reason=reason,
                ticket_url=ticket_url,
            ),
            starts_at=starts_at,
        )
        for name in database_names(databases)
    )
    return Ask(parts, for_user=for_user)
