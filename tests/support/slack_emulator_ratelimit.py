"""Slack's Web API rate limits: per-method tiers and chat.postMessage's one per second per channel.

Slack documents each method's tier (per app, per workspace, per minute) and tolerates bursts;
it answers a call over the limit with HTTP 429, ``{"ok": false, "error": "ratelimited"}`` and
a ``Retry-After`` header in whole seconds. Each limit here is a token bucket that holds a
burst and refills at the documented rate. ``speed`` runs every refill faster for tests that
must exceed the limits many times over without waiting as long as real Slack would make them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
# Tier of each emulated method, from its page in Slack's API reference.
METHOD_TIERS = {
    "apps.connections.open": 1,
    "auth.test": 4,  # "special": generous
    "chat.delete": 3,
    "chat.postEphemeral": 4,
    "chat.update": 3,
    "conversations.history": 3,
    "conversations.info": 3,
    "conversations.members": 4,
    "conversations.open": 3,
    "usergroups.users.list": 2,
    "users.info": 4,
    "views.open": 4,
    "views.publish": 4,
    "views.push": 4,
    "views.update": 4,
}
TIER_BURST = {1: 5, 2: 20, 3: 50, 4: 100}  # a minute's worth at once; tier 1 "a small amount"
# chat.postMessage: "1 per second per channel, short bursts >1 allowed". Slack does not publish
# the burst; people who measured it report 25 to 40 posts before the first 429.
POST_PER_SECOND, POST_BURST = 1.0, 25


@dataclass
class Bucket:
    """A token bucket: capacity tokens, refilled at rate per second."""

    capacity: float
    rate: float
    tokens: float = -1.0
    at: float = field(default_factory=time.monotonic)

    def take(self, now: float) -> float:
        """0 when a token was taken, else the seconds until one will be there."""
        if self.tokens < 0:
            self.tokens = self.capacity
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class RateLimits:
    """Which call is over its limit; speed > 1 refills every bucket that many times faster."""

    speed: float = 1.0
    clock: Callable[[], float] = time.monotonic
    buckets: dict[str, Bucket] = field(default_factory=dict)

    def _bucket(self, key: str, capacity: float, per_second: float) -> Bucket:
        if key not in self.buckets:
            self.buckets[key] = Bucket(capacity, per_second * self.speed, at=self.clock())
        return self.buckets[key]

    def retry_after(self, method: str, channel: str | None) -> int | None:
        """None if the call may go ahead, else Slack's Retry-After (whole seconds, at least 1)."""
        if method == "chat.postMessage":
            if channel is None:
                return None
            bucket = self._bucket(f"{method}:{channel}", POST_BURST, POST_PER_SECOND)
        elif method in METHOD_TIERS:
            tier = METHOD_TIERS[method]
            bucket = self._bucket(method, TIER_BURST[tier], PER_MINUTE[tier] / 60)
        else:
            return None
        wait = bucket.take(self.clock())
        return max(1, math.ceil(wait)) if wait else None
