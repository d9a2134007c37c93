"""Rate limits of the public endpoints (/public/v1), with ``limits`` in moving windows: every request per
client address a minute, and reports (and supports) per address and per phone number an hour. In Redis when
``GRIDOPS_REDIS_URL`` is set, so that every app process counts the same requests; in memory otherwise.

A refusal is a 429 with ``Retry-After`` and a message that says how long to wait. When the store is down the
public pages go on unthrottled rather than refusing every citizen.

A report counts against the hourly limit only once it is accepted: a form refused as invalid (a wrong phone
number, a file that is not a photo) must not use up a citizen's reports, who then corrects it and sends it
again. Every attempt, accepted or not, counts against a looser limit (``ATTEMPTS_PER_REPORT`` times the
reports), counted before the body is read: reading and checking photos costs work, so refused forms cannot be
sent without end either."""

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
ATTEMPTS_PER_REPORT = 3  # sending a report, valid or not: three tries for every report an address may file


class RateLimited(DomainError):
    """429: wait ``retry_after_s`` seconds (the answer's Retry-After)."""

    code = "rate_limited"


class PublicLimits:
    def __init__(self, *, redis_url: str | None, requests_per_minute: int, reports_per_hour: int) -> None:
        storage = storage_from_string(redis_url, key_prefix="gridops") if redis_url else storage_from_string("memory://")
        self.limiter = MovingWindowRateLimiter(storage)
        self.requests = RateLimitItemPerMinute(requests_per_minute)
        self.reports = RateLimitItemPerHour(reports_per_hour)
        self.attempts = RateLimitItemPerHour(reports_per_hour * ATTEMPTS_PER_REPORT)

    def _hit(self, item, kind: str, key: str, what: str, *, count: bool = True) -> None:  # noqa: ANN001
        """Count one against the limit (``count=False``: only whether one more would be allowed); 429 if not."""
        try:
            if (self.limiter.hit if count else self.limiter.test)(item, NAMESPACE, kind, key):
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

    def attempt(self, address: str) -> None:
        """One attempt to report from this address, accepted or not (counted before its body is read), and
        whether the address has a report left (not counted: only an accepted report is, by ``report``)."""
        self._hit(self.attempts, "attempt", address or "-", "attempts to report from this address")
        self._hit(self.reports, "report", address or "-", "reports from this address", count=False)

    def report(self, address: str) -> None:
        """One report or support from this address, once accepted."""
        self._hit(self.reports, "report", address or "-", "reports from this address")

    def phone(self, phone: str, *, count: bool = True) -> None:
        """One report or support giving this phone number (``count=False``: whether it has one left)."""
        if phone:
            self._hit(self.reports, "phone", phone, "reports from this phone number", count=count)
