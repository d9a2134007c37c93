"""Department webhooks: signed with HMAC, retried with backoff, every attempt in the delivery log."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from dispatch import escalation
from dispatch.models import WebhookDelivery
from grid.models import Department
from web.background.webhooks import deliver_due, signature

SH = ZoneInfo("Asia/Shanghai")


class Receiver(BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[tuple[dict, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((dict(self.headers), body))
        self.send_response(Receiver.answers.pop(0) if Receiver.answers else 200)
        self.end_headers()

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


@pytest.fixture
def receiver():
    Receiver.answers, Receiver.received = [], []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def test_signed_retried_and_logged(api, engine, receiver, clock):
    with Session(engine) as session:
        dept = session.exec(select(Department).where(Department.code == "SANITATION")).one()
        dept.webhook_url, dept.webhook_secret = receiver, "s3cret"
        session.add(dept)
        session.commit()
    tid = api.report("worker_a").json()["ticket"]["id"]
    api.act("sanitation", tid, "accept")
    with Session(engine) as session:
        assert escalation.process_due(session=session, now=clock.set(datetime(2026, 11, 23, 11, 15, tzinfo=SH))) == 1
        session.commit()
    Receiver.answers = [503, 500]  # the department's chat bridge is down twice
    assert deliver_due(engine, timeout=5, max_attempts=5) == 0
    with Session(engine) as session:
        log = session.exec(select(WebhookDelivery)).one()
        assert (log.status, log.attempts, log.last_status_code) == ("pending", 1, 503)
        first_retry = log.next_attempt_at
    assert deliver_due(engine, timeout=5, max_attempts=5) == 0  # not due yet: backoff
    clock.set(first_retry + timedelta(seconds=1))
    assert deliver_due(engine, timeout=5, max_attempts=5) == 0
    with Session(engine) as session:
        log = session.exec(select(WebhookDelivery)).one()
        assert log.attempts == 2 and (log.next_attempt_at - clock.now) > (first_retry - clock.now)
        clock.set(log.next_attempt_at + timedelta(seconds=1))
    assert deliver_due(engine, timeout=5, max_attempts=5) == 1
    with Session(engine) as session:
        log = session.exec(select(WebhookDelivery)).one()
        assert (log.status, log.attempts, log.last_status_code) == ("delivered", 3, 200)
    headers, body = Receiver.received[-1]
    assert len(Receiver.received) == 3
    assert headers["X-Gridops-Signature"] == signature("s3cret", headers["X-Gridops-Timestamp"], body.decode())
    event = json.loads(body)
    assert event["event"] == "sla.yellow" and event["stage"] == "handle" and event["ticket_id"] == tid


def test_gives_up_after_the_last_attempt(api, engine, clock):
    with Session(engine) as session:
        dept = session.exec(select(Department).where(Department.code == "SANITATION")).one()
        dept.webhook_url, dept.webhook_secret = "http://127.0.0.1:9/nothing-listens-here", "x"
        session.add(dept)
        session.commit()
    tid = api.report("worker_a").json()["ticket"]["id"]
    api.act("sanitation", tid, "accept")
    with Session(engine) as session:
        escalation.process_due(session=session, now=clock.set(datetime(2026, 11, 23, 11, 15, tzinfo=SH)))
        session.commit()
    for _ in range(3):
        deliver_due(engine, timeout=1, max_attempts=3)
        clock.advance(hours=1)
    with Session(engine) as session:
        log = session.exec(select(WebhookDelivery)).one()
        assert (log.status, log.attempts) == ("failed", 3) and "ConnectError" in log.last_error


def test_a_webhook_is_write_only_admins_see_its_host(api, engine):
    """Issue 11, defect 1: every role read each department's webhook URL (which may carry a token)."""
    with Session(engine) as session:
        dept = session.exec(select(Department).where(Department.code == "SANITATION")).one()
        dept.webhook_url, dept.webhook_secret = "https://hooks.example.org/bot/T0KEN?key=abc", "s3cret"
        session.add(dept)
        session.commit()
    for user in ("worker_a", "dispatcher", "sanitation", "supervisor"):
        r = api.get(user, "/api/v1/departments")
        assert r.status_code == 200 and "T0KEN" not in r.text and "s3cret" not in r.text
        assert all(d["webhook"] is None for d in r.json())
    r = api.get("admin", "/api/v1/departments")
    assert "T0KEN" not in r.text and "abc" not in r.text and "s3cret" not in r.text
    hooks = {d["code"]: d["webhook"] for d in r.json()}
    assert hooks["SANITATION"] == {"host": "hooks.example.org", "secret_set": True}
    assert hooks["WATER"] is None
