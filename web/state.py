"""Per-process state of the running service: engine, options and the cached point → cell index."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from anyio import CapacityLimiter
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from dispatch import live, sla
from dispatch.options import DispatchOptions
from geo.index import CellIndex
from grid.hierarchy import cell_geometries
from grid.models import Area, AreaLevel
from web.auth import Limits
from web.background.live import LiveHub
from web.background.scheduler import SlaScheduler
from web.public_limits import PublicLimits
from web.settings import Settings
from web.throttle import LoginThrottle


class IndexCache:
    """The point → cell index, rebuilt when the cells change. Each app process keeps its own; a cheap
    fingerprint query (count and newest change) tells it, at most every few seconds, that another
    process or the CLI imported a new grid."""

    def __init__(self, engine: Engine, *, check_every_s: float = 5.0) -> None:
        self.engine, self.check_every_s = engine, check_every_s
        self._index: CellIndex | None = None
        self._fingerprint: tuple | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def _current_fingerprint(self, session: Session) -> tuple:
        return tuple(session.exec(select(func.count(Area.id), func.max(Area.updated_at))
                                  .where(Area.level == AreaLevel.cell)).one())

    def get(self, session: Session) -> CellIndex:
        now = time.monotonic()
        if self._index is not None and now - self._checked < self.check_every_s:
            return self._index
        with self._lock:
            fingerprint = self._current_fingerprint(session)
            self._checked = now
            if self._index is None or fingerprint != self._fingerprint:
                codes, geoms = cell_geometries(session=session)
                self._index = CellIndex(codes, geoms)
                self._fingerprint = fingerprint
            return self._index

    def invalidate(self) -> None:
        self._index, self._fingerprint = None, None


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    index: IndexCache
    options: DispatchOptions = field(default_factory=DispatchOptions)
    scheduler: SlaScheduler | None = None
    hub: LiveHub | None = None
    filing: CapacityLimiter | None = None  # reports filed at once (Settings.report_threads), made by the lifespan
    limits: Limits = field(default_factory=Limits)  # how long sessions and tokens live
    throttle: LoginThrottle | None = None  # failed sign-ins, counted per user name and address
    public_limits: PublicLimits | None = None  # the public endpoints' rate limits

    def committed(self, session: Session) -> None:
        """After a commit that changed cases: wake the SLA scheduler for any earlier deadline and the
        live hub for the new events."""
        earliest = sla.written_earliest(session)
        if self.scheduler is not None:
            self.scheduler.nudge(earliest)
        if self.hub is not None and live.sent(session):
            self.hub.notify()

    @classmethod
    def build(cls, settings: Settings, engine: Engine) -> AppState:
        return cls(
            settings=settings,
            engine=engine,
            index=IndexCache(engine),
            options=DispatchOptions(
                timezone=ZoneInfo(settings.timezone),
                auto_dispatch_worker_reports=settings.auto_dispatch_worker_reports,
                duplicate_radius_m=settings.duplicate_radius_m,
                max_description_chars=settings.max_description_chars,
                rating_window_days=settings.rating_window_days,
                appeal_working_days=settings.appeal_working_days,
                callback_max_tries=settings.callback_max_tries,
            ),
            limits=Limits.of(settings),
            throttle=LoginThrottle(redis_url=settings.redis_url, lock_failures=settings.login_lock_failures,
                                   lock_minutes=settings.login_lock_minutes,
                                   address_failures=settings.login_address_failures),
            public_limits=PublicLimits(redis_url=settings.redis_url,
                                       requests_per_minute=settings.public_requests_per_minute,
                                       reports_per_hour=settings.public_reports_per_hour),
        )
