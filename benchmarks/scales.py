"""The sizes of each benchmark scale, and the steps a run is made of."""

# Steps in the order they run; `--only` picks some (link_real needs --latency real by default).
# The steps that leave active grants in moto run last: a bot's reconciliation in a later step
# would otherwise spend time deleting them as orphans of its own, fresh, state store.
STEPS = ["lag", "overdue", "idle", "views", "acks", "link", "link_real"]

SCALES: dict[str, dict] = {
    # About 3 minutes: every step, smaller; a reconcile interval of 30 s so the idle window
    # (one interval) is short. Good for checking a change, not for the report.
    "quick": {
        "burst": 40,
        "bursts": 1,
        "sequential": 8,
        "sequential_real": 5,
        "lag_grants": 40,
        "lag_window": 20.0,
        "overdue": 500,
        "idle_grants": [1_000, 10_000],
        "reconcile_interval": 30.0,
        "audit_rows": 100_000,
        "view_grants": 10_000,
        "view_samples": 20,
    },
    # About 30 minutes: the sizes and production intervals (the idle step alone holds
    # three reconcile intervals of 5 minutes).
    "full": {
        "burst": 100,
        "bursts": 3,
        "sequential": 30,
        "sequential_real": 15,
        "lag_grants": 200,
        "lag_window": 60.0,
        "overdue": 10_000,
        "idle_grants": [1_000, 10_000, 100_000],
        "reconcile_interval": 300.0,
        "audit_rows": 1_000_000,
        "view_grants": 100_000,
        "view_samples": 50,
    },
}
