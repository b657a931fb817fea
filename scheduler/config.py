"""How often the scheduler's jobs run, and how much they do at once."""

from dataclasses import dataclass

from bot.config import Settings


@dataclass(frozen=True)
class SchedulerConfig:
    """Intervals in seconds; wake-ups at the next grant ends come on top of the sweep."""

    sweep_interval: float = 5.0
    reconcile_interval: float = 300.0  # also the unused-access check
    stop_grace: float = 2.0  # seconds running jobs get at shutdown (budget: 10 s)
    wakeups: int = 16  # date jobs kept at the soonest grant ends; the sweep plans the rest
    iam_concurrency: int = 8  # revocations (and reconciliation fixes) in flight at once

    @classmethod
    def from_settings(cls, settings: Settings) -> "SchedulerConfig":
        """The intervals and concurrency the service was configured with."""
        return cls(
            sweep_interval=settings.sweep_interval,
            reconcile_interval=settings.reconcile_interval,
            iam_concurrency=settings.iam_concurrency,
        )
