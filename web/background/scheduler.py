"""The SLA scheduler: one APScheduler job per process, not one per case (and one for webhooks).

Deadlines live in the database. The job runs a pass (escalations, then webhook deliveries), asks the
database for the next deadline and sets its own next run to it, or to the safety sweep if that comes
first. Acts that create or move a deadline nudge the job so that it wakes on time (within the 2 s the
issue asks). On start-up the first pass runs at once, so everything missed while no process ran fires
then, late and once. Several processes may run it on PostgreSQL: the pass claims timers with SKIP LOCKED."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine
from sqlmodel import Session

from dispatch import escalation
from dispatch.evaluation import periods, rectify
from dispatch.photos import sweep_orphans
from grid.clock import utcnow
from web.background.webhooks import deliver_due
from web.db import reading
from web.unit import Unit

log = logging.getLogger("gridops.scheduler")
# a nudge that lands while a pass runs is skipped with a warning; the pass reschedules itself anyway
logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
JOB = "sla-pass"
WEBHOOK_JOB = "webhooks"
WEBHOOK_EVERY_S = 2.0  # how often pending deliveries are looked for (an indexed query)
SWEEP_JOB = "photo-sweep"
SWEEP_EVERY_S = 3600.0  # photo files a crash left without a row
RECTIFY_JOB = "rectification"
RECTIFY_EVERY_S = 3600.0  # when a month has ended, its rectification items are opened within the hour


class SlaScheduler:
    def __init__(self, engine: Engine, *, sweep_seconds: float = 30.0, webhook_timeout: float = 5.0,
                 webhook_max_attempts: int = 8, on_fired: Callable[[], None] | None = None,
                 media_dir: Path | None = None, timezone: ZoneInfo = ZoneInfo("Asia/Shanghai")) -> None:
        self.media_dir, self.timezone = media_dir, timezone
        self.rectified: str | None = None  # the last month whose items this process opened
        self.on_fired = on_fired
        self.engine, self.sweep = engine, timedelta(seconds=sweep_seconds)
        self.webhook_timeout, self.webhook_max_attempts = webhook_timeout, webhook_max_attempts
        self._scheduler = BackgroundScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1,
                                                                          "misfire_grace_time": None})
        self._lock = threading.Lock()
        self.passes = 0

    def start(self) -> None:
        self._scheduler.add_job(self._run, IntervalTrigger(seconds=self.sweep.total_seconds()), id=JOB,
                                next_run_time=datetime.now(UTC))
        # webhooks are their own job: a receiver that does not answer never holds up the escalation pass
        self._scheduler.add_job(self._deliver, IntervalTrigger(seconds=WEBHOOK_EVERY_S), id=WEBHOOK_JOB,
                                next_run_time=datetime.now(UTC))
        if self.media_dir is not None:
            self._scheduler.add_job(self._sweep_photos, IntervalTrigger(seconds=SWEEP_EVERY_S), id=SWEEP_JOB)
        self._scheduler.add_job(self._rectify, IntervalTrigger(seconds=RECTIFY_EVERY_S), id=RECTIFY_JOB,
                                next_run_time=datetime.now(UTC) + timedelta(seconds=60))
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def nudge(self, when: datetime | None) -> None:
        """Wake no later than ``when`` (a deadline an act just created or moved)."""
        self._wake(JOB, when)

    def _wake(self, job_id: str, when: datetime | None) -> None:
        if when is None or not self._scheduler.running:
            return
        with self._lock:
            job = self._scheduler.get_job(job_id)
            if job is not None and (job.next_run_time is None or when < job.next_run_time):
                job.modify(next_run_time=max(when, datetime.now(UTC)))

    def run_once(self) -> int:
        """One pass: all due escalations (in batches, a transaction each). Their webhooks go out with the
        webhook job (``deliver_once``)."""
        fired = 0
        while True:
            with Session(self.engine, expire_on_commit=False) as session, Unit(session):
                count = escalation.process_due(session=session, now=utcnow())
            fired += count
            if count == 0:
                break
        self.passes += 1
        return fired

    def deliver_once(self) -> int:
        """Send the webhook deliveries that are due. Returns how many were delivered."""
        return deliver_due(self.engine, timeout=self.webhook_timeout, max_attempts=self.webhook_max_attempts)

    def _sweep_photos(self) -> None:
        try:
            with Session(self.engine) as session:
                removed = sweep_orphans(session=session, root=self.media_dir)
            if removed:
                log.info("removed %d photo file(s) that no case names (left by a crash)", removed)
        except Exception:
            log.exception("photo sweep failed")

    def rectify_once(self) -> int:
        """Open last month's rectification items, once it has ended (整改: idempotent; several processes may)."""
        month = periods.current_month(utcnow(), self.timezone)
        last = periods.parse(f"{(month.first - timedelta(days=1)):%Y-%m}", self.timezone)
        if self.rectified == last.label:
            return 0
        with Session(self.engine, expire_on_commit=False) as session:  # the month scored without the write lock
            items = rectify.due_items(session=reading(session), period=last, now=utcnow())
        with Session(self.engine, expire_on_commit=False) as session, Unit(session):
            made = len(rectify.open_items(session=session, items=items))
        self.rectified = last.label
        if made:
            log.info("rectification: %d item(s) opened for %s", made, last.label)
        return made

    def _rectify(self) -> None:
        try:
            self.rectify_once()
        except Exception:  # another process opened the same item at the same moment, or the database is away
            log.exception("opening rectification items failed; the next run retries")

    def _deliver(self) -> None:
        try:
            self.deliver_once()
        except Exception:  # the database or the network is away: the next run retries
            log.exception("webhook delivery failed")

    def _run(self) -> None:
        try:
            fired = self.run_once()
            if fired:
                log.info("SLA pass: %d escalation(s) fired", fired)
                if self.on_fired:
                    self.on_fired()
                self._wake(WEBHOOK_JOB, datetime.now(UTC))  # their webhooks, now
        except Exception:  # a failed pass must not kill the job; the next one retries
            log.exception("SLA pass failed")
        try:
            with Session(self.engine) as session:
                wake = escalation.next_deadline(session=session)
        except Exception as exc:  # the database is away: the sweep comes back to it
            log.warning("SLA pass could not read the next deadline: %s", exc)
            return
        self.nudge(wake)
