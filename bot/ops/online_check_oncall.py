"""`check --online` for on_call rules: does PagerDuty answer for every schedule they name?"""

from datetime import UTC, datetime

from bot.catalog.model import Catalog
from bot.config import Settings
from bot.ops.probe_failures import PAGERDUTY, address
from bot.ops.probes import Mark, Probe, run_probe
from bot.wiring import Providers


async def pagerduty_probes(
    settings: Settings, catalog: Catalog, providers: Providers
) -> list[Probe]:
    """One line per PagerDuty schedule the catalog's on_call rules name."""
    schedules = sorted(
        {db.on_call.pagerduty_schedule for db in catalog.databases.values() if db.on_call}
    )
    if schedules and providers.oncall is None:
        detail = "databases use on_call but PAGERDUTY_TOKEN is not set — set it to a PagerDuty "
        return [Probe(Mark.FAILED, "PagerDuty", detail + "REST API key")]
    probes = []
    for schedule in schedules:

        async def look(schedule: str = schedule) -> str:
            pagerduty = providers.oncall
            name = await pagerduty.schedule_name(schedule)  # type: ignore[union-attr]
            people = await pagerduty.on_call_emails(  # type: ignore[union-attr]
                schedule, at=datetime.now(UTC)
            )
            hint = "" if people else " (only schedules an escalation policy uses have on-calls)"
            return f"{name!r} answers, {len(people)} on call now{hint}"

        fix = "check PAGERDUTY_TOKEN, PAGERDUTY_API_URL and on_call.pagerduty_schedule"
        where = address(settings.pagerduty_api_url)
        what = f"PagerDuty schedule {schedule}"
        probes.append(await run_probe(what, look, service=PAGERDUTY, where=where, fix=fix))
    return probes
