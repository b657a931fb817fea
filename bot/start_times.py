"""Scheduled starts: reading the time people give, its limits, and the windows it implies."""

from datetime import UTC, datetime, timedelta

from bot.catalog.model import Catalog
from bot.durations import humanize
from bot.errors import InputError
from bot.slack.blocks import quoted, when
from bot.store.models import AccessRequest

FIELD = "start"
EXAMPLES = "`2026-12-02T02:00Z` or `2026-12-02T03:00+01:00`"


def parse_start(text: str) -> datetime:
    """An ISO 8601 time with `Z` or an offset, as UTC to the second; InputError otherwise."""
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value.upper())
    except ValueError:
        raise InputError(
            f"{quoted(value, 40)} is not an ISO 8601 time; write it like {EXAMPLES}.", field=FIELD
        ) from None
    if moment.tzinfo is None:
        raise InputError(
            f"{quoted(value, 40)} has no time zone: add `Z` for UTC or an offset, e.g. {EXAMPLES}.",
            field=FIELD,
        )
    return moment.astimezone(UTC).replace(microsecond=0)


def check_start(catalog: Catalog, moment: datetime, *, now: datetime) -> datetime:
    """The start if it is ahead of now and within the catalog's max_start_ahead."""
    shown = moment.strftime("%Y-%m-%d %H:%M UTC")
    if moment <= now:
        raise InputError(
            f"The start {shown} is in the past (it is now "
            f"{now:%Y-%m-%d %H:%M} UTC). Give a later time, or leave the start "
            "out to begin as soon as the request is approved.",
            field=FIELD,
        )
    limit = catalog.max_start_ahead
    if moment - now > limit:
        raise InputError(
            f"The start {shown} is {humanize(moment - now)} ahead; a request may "
            f"start at most {humanize(limit)} ahead (the catalog's "
            "`max_start_ahead`). Ask closer to the time.",
            field=FIELD,
        )
    return moment


def pending_until(
    *, now: datetime, starts_at: datetime | None, timeout: timedelta, duration: timedelta
) -> datetime:
    """When an undecided request expires.

    A scheduled request may be approved any time before its start; still pending then, it
    waits the usual timeout (never past the end of the access it asks for).
    """
    if starts_at is None or starts_at <= now:
        return now + timeout
    return starts_at + min(timeout, duration)


def access_window(
    *, now: datetime, starts_at: datetime | None, duration: timedelta, standing: bool
) -> tuple[datetime | None, datetime | None]:
    """(start, end) of a grant approved now: later starts keep their time, the clock runs from it.

    A request approved after its start gets what is left of its window. The start is None when
    the grant is active at once.
    """
    begins = starts_at if starts_at is not None and starts_at > now else None
    if standing:
        return begins, None
    return begins, (starts_at if starts_at is not None else now) + duration


def start_note(request: AccessRequest, now: datetime, end: datetime | None) -> str:
    """What the approval DM says about when the access begins (end: None for standing)."""
    if request.starts_at is None:
        return " Setting it up now…"
    if request.starts_at > now:
        return (
            f" It starts {when(request.starts_at)}: I prepare it now and DM you the login "
            "link then."
        )
    left = f", so it runs for the time left, until {when(end)}" if end else ""
    return f" It was to start {when(request.starts_at)}{left}. Setting it up now…"
