"""Behaviour switches of the dispatch services, filled in by the composition root from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class DispatchOptions:
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    auto_dispatch_worker_reports: bool = True
    duplicate_radius_m: float = 50.0
    max_description_chars: int = 2000
    max_reason_chars: int = 2000
    max_extension_hours: float = 720.0
    rating_window_days: float = 7.0  # a closed case may be rated this long after closing
    appeal_working_days: float = 3.0  # a department may appeal a bad rating this long after it
    callback_max_tries: int = 3  # unanswered call-backs before a case leaves the list as unreachable
