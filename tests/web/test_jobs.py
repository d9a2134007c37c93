"""Admin jobs outlive nothing: a job's process writes a heartbeat while it runs, and a job whose process died
(killed or restarted mid-way) is reported failed with the reason, instead of "running" for ever."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlmodel import Session

from grid.clock import utcnow
from tests.support.city import Api
from tests.support.server import wait_until
from web.background import jobs
from web.models import Job


def a_job(engine, status: str, beat_ago_s: float | None) -> int:  # noqa: ANN001
    with Session(engine) as session:
        now = utcnow()
        job = Job(kind="grid_apply", status=status, created_at=now - timedelta(seconds=600),
                  started_at=None if status == "queued" else now - timedelta(seconds=600),
                  heartbeat_at=None if beat_ago_s is None else now - timedelta(seconds=beat_ago_s))
        session.add(job)
        session.commit()
        return job.id


def test_a_running_job_beats_and_stops_beating_when_it_ends(engine, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(jobs, "HEARTBEAT_S", 0.05)
    job_id = a_job(engine, "running", beat_ago_s=3600)
    release = threading.Event()
    worker = threading.Thread(target=jobs.run_with_heartbeat, args=(engine, job_id, release.wait), daemon=True)
    worker.start()

    def beat() -> object:
        with Session(engine) as session:
            return session.get(Job, job_id).heartbeat_at

    try:
        assert wait_until(lambda: utcnow() - beat() < timedelta(seconds=5), timeout=5, every=0.02)  # from the start
        first = beat()
        assert wait_until(lambda: beat() > first, timeout=5, every=0.05)  # and again while it runs
    finally:
        release.set()
        worker.join(timeout=5)
    assert not worker.is_alive()


def test_a_job_whose_process_died_is_reported_failed(api: Api, engine) -> None:  # noqa: ANN001
    dead = a_job(engine, "running", beat_ago_s=jobs.STALE_S + 30)
    alive = a_job(engine, "running", beat_ago_s=1)
    never_started = a_job(engine, "queued", beat_ago_s=None)  # created ten minutes ago, no thread ever ran it

    for job_id in (dead, never_started):
        body = api.get("admin", f"/api/v1/jobs/{job_id}").json()
        assert body["status"] == "failed" and body["finished_at"] is not None
        assert body["result"]["error"] == "job_process_stopped" and body["result"]["seconds"] >= jobs.STALE_S
        assert "stopped" in body["message"]
        with Session(engine) as session:  # settled for good, not only in the answer
            assert session.get(Job, job_id).status == "failed"
    assert api.get("admin", f"/api/v1/jobs/{alive}").json()["status"] == "running"
