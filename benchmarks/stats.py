"""Percentiles and the machine description for the report."""

import os
import platform
import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(values: Sequence[float]) -> dict[str, float]:
    """p50, p99, mean and max of values given in seconds, in milliseconds."""
    return {
        "n": len(values),
        "p50": percentile(values, 50) * 1000,
        "p99": percentile(values, 99) * 1000,
        "mean": statistics.fmean(values) * 1000 if values else float("nan"),
        "max": max(values) * 1000 if values else float("nan"),
    }


def machine() -> str:
    """CPU model, core count, memory and Python version, one line."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            model = next(
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as info:
            kb = int(next(line.split()[1] for line in info if line.startswith("MemTotal")))
            memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration):
        pass
    return (
        f"{model}, {os.cpu_count()} cores{memory}, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def critical_path(step: dict[str, float]) -> float:
    """The external calls of one grant if the independent ones overlap (see the report)."""
    # The lifecycle runs three chains side by side: the database user (then its statement
    # log), the role (then the IAM policy), the token (then the paste). The first login
    # needs all three done; the link DM comes last.
    side_by_side = max(
        step.get("db_user", 0.0) + step.get("statement_log", 0.0),
        step.get("role", 0.0) + step.get("iam", 0.0),
        step.get("mint", 0.0) + step.get("share", 0.0),
    )
    return side_by_side + step.get("verify", 0.0) + step.get("slack", 0.0)
