"""What every admin job shares: a heartbeat while it runs, and the verdict on a job whose process died.

A job runs in a thread of the app process that started it (``web.background.gridjobs``); the ``Job`` row is
its state, which any process reports. If that process is killed or restarted mid-way, nothing is left to
finish the row: it would say "running" for ever. So the thread's process writes ``heartbeat_at`` every
``HEARTBEAT_S`` while the job runs, and a job still queued or running whose heartbeat is older than
``STALE_S`` is settled as failed (nothing half-written: each job writes its result in one transaction)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session

from grid.clock import utcnow
from web.models import Job

log = logging.getLogger("gridops.jobs")
HEARTBEAT_S = 5.0
STALE_S = 60.0
OPEN = ("queued", "running")


def beat(engine: Engine, job_id: int) -> None:
    with Session(engine) as session:
        session.execute(update(Job).where(Job.id == job_id, Job.status.in_(OPEN)).values(heartbeat_at=utcnow()))
        session.commit()


def run_with_heartbeat(engine: Engine, job_id: int, target: Callable[..., None], /, **kwargs: object) -> None:
    """Run ``target(**kwargs)`` (the thread's work), writing the job's heartbeat until it returns."""
    stop = threading.Event()

    def keep_beating() -> None:
        while not stop.wait(HEARTBEAT_S):
            try:
                beat(engine, job_id)
            except Exception:  # a missed beat is not the job's failure; the next one may pass
                log.warning("job %s: heartbeat not written", job_id, exc_info=True)

    beat(engine, job_id)
    heart = threading.Thread(target=keep_beating, name=f"job-{job_id}-heartbeat", daemon=True)
    heart.start()
    try:
        target(**kwargs)
    finally:
        stop.set()
        heart.join()


def settle_stale(session: Session, job: Job, now: datetime | None = None) -> Job:
    """The job as it stands: one still queued or running with no heartbeat for ``STALE_S`` is marked failed
    (its process stopped) in the caller's transaction; its result then says so by code (``error``:
    ``job_process_stopped``, ``seconds``), for the console to translate."""
    if job.status not in OPEN:
        return job
    now = now or utcnow()
    last = job.heartbeat_at or job.started_at or job.created_at
    if now - last <= timedelta(seconds=STALE_S):
        return job
    seconds = int((now - last).total_seconds())
    job.status, job.finished_at = "failed", now
    job.message = (f"the app process running this job stopped (no sign of it for {seconds} s, e.g. a restart); "
                   "nothing was written: start it again")
    job.result = json.dumps({"error": "job_process_stopped", "seconds": seconds})
    session.add(job)
    return job
