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
from web.background import webhooks
from web.background.scheduler import SlaScheduler
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


@pytest.fixture(autouse=True)
def closed_circuits():
    webhooks.reset_circuits()  # each process keeps its receivers' circuits; tests start from none
    yield
    webhooks.reset_circuits()


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


class Silent(BaseHTTPRequestHandler):
    """A receiver that takes the request and does not answer until told to (or its wait runs out)."""

    release = threading.Event()
    saw_other: list[bool] = []

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        # if deliveries go one after another, the other receiver cannot have been reached while this waits
        Silent.saw_other.append(Silent.release.wait(timeout=3))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


def pending(session: Session, department: str, url: str, clock) -> WebhookDelivery:  # noqa: ANN001
    row = WebhookDelivery(department_code=department, url=url, body='{"event": "sla.red"}', next_attempt_at=clock.now)
    session.add(row)
    return row


def test_a_receiver_that_does_not_answer_holds_up_neither_escalations_nor_other_receivers(api, engine, receiver,
                                                                                         clock):
    """Issue 11, defect 5: deliveries went one after another inside the escalation pass."""
    Silent.release.clear()
    Silent.saw_other = []
    silent = HTTPServer(("127.0.0.1", 0), Silent)
    threading.Thread(target=silent.serve_forever, daemon=True).start()

    class Releasing(Receiver):
        def do_POST(self) -> None:  # noqa: N802
            super().do_POST()
            Silent.release.set()

    receiver_server = HTTPServer(("127.0.0.1", 0), Releasing)
    threading.Thread(target=receiver_server.serve_forever, daemon=True).start()
    try:
        with Session(engine) as session:
            pending(session, "WATER", f"http://127.0.0.1:{silent.server_address[1]}/hook", clock)
            pending(session, "SANITATION", f"http://127.0.0.1:{receiver_server.server_address[1]}/hook", clock)
            session.commit()
        scheduler = SlaScheduler(engine, webhook_timeout=5)
        scheduler.run_once()  # the escalation pass sends nothing
        with Session(engine) as session:
            assert [d.attempts for d in session.exec(select(WebhookDelivery))] == [0, 0]
        assert scheduler.deliver_once() == 2
        assert Silent.saw_other == [True]  # the other receiver got its delivery while this one was waiting
    finally:
        silent.shutdown()
        receiver_server.shutdown()


def test_a_failing_receiver_is_left_alone_for_a_while_and_admins_see_it(api, engine, clock):
    dead = "http://127.0.0.1:9/nothing-listens-here"
    with Session(engine) as session:
        dept = session.exec(select(Department).where(Department.code == "SANITATION")).one()
        dept.webhook_url = dead
        session.add(dept)
        session.commit()
        rows = [pending(session, "SANITATION", dead, clock) for _ in range(webhooks.BREAK_AFTER + 2)]
        session.commit()
        ids = [r.id for r in rows]
    deliver_due(engine, timeout=1, max_attempts=8, batch=webhooks.BREAK_AFTER)  # three failures in a row
    deliver_due(engine, timeout=1, max_attempts=8)  # the circuit is open: nothing is tried
    with Session(engine) as session:
        tried = [session.get(WebhookDelivery, i) for i in ids]
        assert sorted(d.attempts for d in tried) == [0, 0, 1, 1, 1]
        resting = [d for d in tried if d.attempts == 0]
        open_until = webhooks.circuits()[webhooks.target(dead)].open_until
        assert open_until > clock.now and all(d.next_attempt_at == open_until for d in resting)
    r = api.get("admin", "/api/v1/webhooks")
    assert r.status_code == 200, r.text
    (row,) = [w for w in r.json() if w["department_code"] == "SANITATION"]
    assert row["receiver"] == "http://127.0.0.1:9" and row["backlog"] == len(ids)
    assert row["last_success_at"] is None and row["last_failure_at"] and "ConnectError" in row["last_error"]
    assert row["circuit_open_until"] is not None
    assert api.get("dispatcher", "/api/v1/webhooks").status_code == 403
