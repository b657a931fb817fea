"""The embedded scheduler: APScheduler jobs over state-store rows (the rows are the truth)."""

from scheduler.config import SchedulerConfig
from scheduler.service import Scheduler

__all__ = ["Scheduler", "SchedulerConfig"]
