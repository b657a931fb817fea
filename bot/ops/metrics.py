"""Prometheus metrics of one service instance, in its own registry."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    """The counters, gauges and histograms the service exposes on /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.slack_connected = Gauge(
            "dbab_slack_connected", "1 while Socket Mode is connected", registry=r
        )
        self.requests = Counter(
            "dbab_requests_total", "Access requests filed", ["kind"], registry=r
        )
        self.decisions = Counter(
            "dbab_decisions_total", "Final request outcomes", ["outcome"], registry=r
        )
        self.grants = Counter("dbab_grants_total", "Grants made", ["database", "level"], registry=r)
        self.revocations = Counter(
            "dbab_revocations_total", "Grants revoked", ["reason"], registry=r
        )
        self.revoke_failures = Counter(
            "dbab_revoke_failures_total", "Revocation attempts that failed (retried)", registry=r
        )
        self.revocation_lag = Histogram(
            "dbab_revocation_lag_seconds",
            "Revocation time minus expires_at",
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
            registry=r,
        )
        self.grant_latency = Histogram(
            "dbab_grant_seconds",
            "Approval to link delivered",
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
            registry=r,
        )
        self.tokens = Counter("dbab_tokens_total", "Credentials delivered", ["outcome"], registry=r)
        self.drift = Counter("dbab_drift_fixed_total", "Reconciliation fixes", ["kind"], registry=r)
        self.steps = Counter(
            "dbab_steps_total",
            "Durable steps run, by kind and outcome (done, retried, failed)",
            ["kind", "outcome"],
            registry=r,
        )
        self.active_grants = Gauge("dbab_active_grants", "Grants currently active", registry=r)
        self.breakglass = Counter(
            "dbab_breakglass_total", "Break-glass access taken", ["database", "level"], registry=r
        )
        self.breakglass_reviews = Counter(
            "dbab_breakglass_reviews_total",
            "Break-glass reviews (acknowledged, flagged) and "
            "re-posts to the admins of unreviewed ones (overdue)",
            ["outcome"],
            registry=r,
        )
        self.on_call_lookups = Counter(
            "dbab_oncall_lookups_total",
            "PagerDuty on-call lookups by outcome (on_call, not_on_call, failed)",
            ["outcome"],
            registry=r,
        )

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
