"""Rate limits of the public endpoints (/public/v1), with ``limits`` in moving windows: every request per
client address a minute, and reports (and supports) per address and per phone number an hour. In Redis when
``GRIDOPS_REDIS_URL`` is set, so that every app process counts the same requests; in memory otherwise.

A refusal is a 429 with ``Retry-After`` and a message that says how long to wait. When the store is down the
public pages go on unthrottled rather than refusing every citizen."""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItemPerHour, RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from grid.errors import DomainError

log = logging.getLogger("gridops")
NAMESPACE = "gridops-public"


class RateLimited(DomainError):
    """429: wait ``retry_after_s`` seconds (the answer's Retry-After)."""

    code = "rate_limited"


class PublicLimits:
    def __init__(self, *, redis_url: str | None, requests_per_minute: int, reports_per_hour: int) -> None:
        storage = storage_from_string(redis_url, key_prefix="gridops") if redis_url else storage_from_string("memory://")
        self.limiter = MovingWindowRateLimiter(storage)
        self.requests = RateLimitItemPerMinute(requests_per_minute)
        self.reports = RateLimitItemPerHour(reports_per_hour)

    def _hit(self, item, kind: str, key: str, what: str) -> None:  # noqa: ANN001
        try:
            if self.limiter.hit(item, NAMESPACE, kind, key):
                return
            reset = self.limiter.get_window_stats(item, NAMESPACE, kind, key).reset_time
        except Exception as exc:
            log.error("public rate limit store unavailable (%s): not limiting", exc)
            return
        wait = max(1, math.ceil(reset - time.time()))
        raise RateLimited(f"too many {what}; try again in {wait} s", retry_after_s=wait, limit=item.amount,
                          per=item.GRANULARITY.name)

    def request(self, address: str) -> None:
        """One request to a public endpoint from this address (any endpoint)."""
        self._hit(self.requests, "request", address or "-", "requests from this address")

    def report(self, address: str) -> None:
        """One report or support from this address (counted before its body is read: photos cost work)."""
        self._hit(self.reports, "report", address or "-", "reports from this address")

    def phone(self, phone: str) -> None:
        """One report or support giving this phone number."""
        if phone:
            self._hit(self.reports, "phone", phone, "reports from this phone number")
