"""Drift the scheduler repaired: one audit row and one metric per fix, one summary per run."""

import logging
from dataclasses import dataclass

from bot.context import Deps
from bot.effects import Effects
from bot.ids import new_id
from bot.slack.blocks import escape, fitted, section
from bot.steps import StepRunner
from bot.store.transactions import transaction

log = logging.getLogger(__name__)
SUMMARY_LINES = 20  # a Slack section holds ~3,000 characters; the audit has the rest


@dataclass(frozen=True)
class Fix:
    """One repair: its kind (a metric label and audit action suffix) and a line for people."""

    kind: str
    text: str
    grant_id: str | None = None
    database: str | None = None


async def record(deps: Deps, fix: Fix, **details: object) -> Fix:
    """Audit a fix and count it."""
    async with transaction(deps.sessions) as session:
        await deps.audit(
            session,
            actor="bot",
            action=f"reconcile.{fix.kind}",
            database=fix.database,
            grant_id=fix.grant_id,
            **details,
        )
    deps.metrics.drift.labels(fix.kind).inc()
    log.info("drift fixed", extra={"kind": fix.kind, "grant_id": fix.grant_id})
    return fix


async def report(deps: Deps, steps: StepRunner, fixes: list[Fix]) -> None:
    """Post what was fixed to the default approvals channel (nothing when nothing was fixed)."""
    if not fixes:
        return
    lines = [f"• {escape(fix.text, 300)}" for fix in fixes[:SUMMARY_LINES]]
    body = fitted(lines, lambda n: f"…and {n} more (see `/db-access audit`).", total=len(fixes))
    head = (
        f":mag: Reconciliation found and fixed {len(fixes)} difference(s) between IAM and "
        "the grants I keep:"
    )
    text = head + "\n" + body
    async with transaction(deps.sessions) as session:
        fx = Effects(deps, session)
        fx.post(
            deps.catalog.approvals_channel,
            key=f"drift:{new_id('d')}",
            text=text,
            blocks=[section(head), section(body)],
        )
        await fx.flush()
    await steps.run_now(fx.steps)
