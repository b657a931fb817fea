"""How often the scheduler's jobs run."""

from dataclasses import dataclass

from bot.config import Settings


@dataclass(frozen=True)
class SchedulerConfig:
    """Intervals in seconds; date jobs at each grant's end come on top of the sweep."""

    sweep_interval: float = 5.0
    reconcile_interval: float = 300.0  # also the unused-access check
    stop_grace: float = 2.0  # seconds running jobs get at shutdown (budget: 10 s)

    @classmethod
    def from_settings(cls, settings: Settings) -> "SchedulerConfig":
        """The intervals the service was configured with."""
        return cls(sweep_interval=settings.sweep_interval,
                   reconcile_interval=settings.reconcile_interval)
