"""Sign-in throttling with ``limits``: failed sign-ins are counted per user name and per client address in
moving windows, in Redis when ``GRIDOPS_REDIS_URL`` is set (so every app process counts the same failures)
and in the process's memory otherwise.

The delays grow: after 3 failures for a user name within a minute the next try waits for that minute to
pass; after ``login_lock_failures`` within ``login_lock_minutes`` the user name is locked for the rest of
that window. An address is refused after ``login_address_failures`` failures within the same window, however
many user names it tried. A refusal is the same whether or not the user exists; a success clears the user
name's count; an admin can unlock a user name (or an address) at once."""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger("gridops")

NAMESPACE = "gridops-login"
SLOW_AFTER = 3  # failures within a minute before the next try must wait


class LoginThrottle:
    def __init__(self, *, redis_url: str | None, lock_failures: int, lock_minutes: float,
                 address_failures: int) -> None:
        storage = storage_from_string(redis_url, key_prefix="gridops") if redis_url else storage_from_string("memory://")
        self.limiter = MovingWindowRateLimiter(storage)
        minutes = max(1, math.ceil(lock_minutes))
        self.user_tiers: list[RateLimitItem] = [RateLimitItemPerMinute(min(SLOW_AFTER, lock_failures), 1),
                                                RateLimitItemPerMinute(lock_failures, minutes)]
        self.address_tiers: list[RateLimitItem] = [RateLimitItemPerMinute(address_failures, minutes)]

    def _ids(self, username: str, address: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        name = username.strip().lower()[:128]
        pairs = [(item, (NAMESPACE, "user", name)) for item in self.user_tiers]
        if address:
            pairs += [(item, (NAMESPACE, "address", address)) for item in self.address_tiers]
        return pairs

    def wait(self, username: str, address: str) -> int:
        """Seconds before this user name may try again from this address; 0: it may try now."""
        longest = 0.0
        try:
            for item, ids in self._ids(username, address):
                stats = self.limiter.get_window_stats(item, *ids)
                if stats.remaining <= 0:
                    longest = max(longest, stats.reset_time - time.time())
        except Exception as exc:  # the store is down: sign-ins go on (unthrottled) rather than everyone locked out
            log.error("sign-in throttle unavailable (%s): not throttling", exc)
            return 0
        return max(1, math.ceil(longest)) if longest > 0 else 0

    def failed(self, username: str, address: str) -> bool:
        """Count a failure; True when it locked the user name (its last allowed failure in the lock window)."""
        try:
            for item, ids in self._ids(username, address):
                self.limiter.hit(item, *ids)
            item, ids = self._ids(username, address)[1]
            return self.limiter.get_window_stats(item, *ids).remaining <= 0
        except Exception as exc:
            log.error("sign-in throttle unavailable (%s): failure not counted", exc)
            return False

    def succeeded(self, username: str) -> None:
        self.unlock(username)

    def unlock(self, username: str = "", address: str = "") -> None:
        """Forget the failures of a user name (and of an address, when given)."""
        pairs = self._ids(username, address) if username else [
            (item, (NAMESPACE, "address", address)) for item in self.address_tiers]
        for item, ids in pairs:
            if ids[1] == "user" and not username:
                continue
            self.limiter.clear(item, *ids)
