"""The console's departments over the API (issue 13): an admin changes a department's names and calendar, sets,
rotates and removes its webhook (the secret shown once), sends it a signed test delivery, and sees the open
cases each department holds by light. Every change is on the security log."""

from __future__ import annotations

import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlmodel import Session, select

from dispatch.models import Ticket, WebhookDelivery
from grid.clock import utcnow
from tests.support.city import COMMUNITY_A
from web.background.webhooks import signature
from web.models import SecurityEvent


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


@pytest.fixture
def receiver():
    Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook/TOKEN"
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nobody listens there once the socket is closed


def log(engine, kind: str) -> list[SecurityEvent]:  # noqa: ANN001
    with Session(engine) as session:
        return list(session.exec(select(SecurityEvent).where(SecurityEvent.kind == kind)
                                 .order_by(SecurityEvent.seq)))


def department(api, code: str) -> dict:  # noqa: ANN001
    return next(d for d in api.get("admin", "/api/v1/departments").json() if d["code"] == code)


def test_an_admin_changes_names_and_calendar_and_the_log_says_what_changed(api, engine):
    r = api.client.patch("/api/v1/departments/WATER", headers=api.as_("admin"),
                         json={"name": "供水管理所", "name_en": "Water works", "calendar_code": "24x7"})
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["name_en"], r.json()["calendar_code"]) == ("供水管理所", "Water works", "24x7")
    assert department(api, "WATER")["calendar_code"] == "24x7"
    [entry] = log(engine, "department_change")
    assert (entry.subject, entry.channel, entry.actor_name) == ("department:WATER", "api", "admin")
    after = {"name": "供水管理所", "name_en": "Water works", "calendar_code": "24x7"}
    assert json.loads(entry.detail)["after"] == after

    r = api.client.patch("/api/v1/departments/WATER", headers=api.as_("admin"), json={"calendar_code": ""})
    assert r.status_code == 200 and r.json()["calendar_code"] is None  # back to the standard calendar


def test_an_unknown_calendar_a_bad_value_or_department_and_a_non_admin_are_refused(api, engine):
    r = api.client.patch("/api/v1/departments/WATER", headers=api.as_("admin"), json={"calendar_code": "nope"})
    assert r.status_code == 422 and r.json()["error"] == "unknown_calendar" and "nope" in r.json()["message"]
    r = api.client.patch("/api/v1/departments/WATER", headers=api.as_("admin"), json={"name": "x" * 65})
    assert r.status_code == 422
    r = api.client.patch("/api/v1/departments/NOBODY", headers=api.as_("admin"), json={"name": "谁"})
    assert r.status_code == 404 and r.json()["error"] == "unknown_department"
    for user in ("dispatcher", "water", "supervisor"):
        assert api.client.patch("/api/v1/departments/WATER", headers=api.as_(user),
                                json={"name": "改名"}).status_code == 403
        assert api.client.put("/api/v1/departments/WATER/webhook", headers=api.as_(user),
                              json={"url": "https://example.com/h"}).status_code == 403
        assert api.get(user, "/api/v1/departments/lights").status_code == 403
    assert department(api, "WATER")["name"] != "改名" and not log(engine, "department_change")


def test_a_webhook_secret_is_shown_once_kept_rotated_and_removed(api, engine):
    put = lambda body: api.client.put("/api/v1/departments/WATER/webhook", headers=api.as_("admin"),  # noqa: E731
                                      json=body)
    r = put({"url": "https://hooks.example.com/t/PATHTOKEN"})
    assert r.status_code == 200, r.text
    first = r.json()["secret"]
    assert r.json()["receiver"] == "https://hooks.example.com" and len(first) >= 32
    assert department(api, "WATER")["webhook"] == {"host": "hooks.example.com", "secret_set": True}
    assert all(d["webhook"] is None for d in api.get("water", "/api/v1/departments").json())  # admins only

    r = put({"url": "https://hooks.example.com/t/other"})  # the secret is kept: not shown again
    assert r.status_code == 200 and r.json()["secret"] is None
    r = put({"url": "https://hooks.example.com/t/other", "rotate_secret": True})
    assert r.json()["secret"] and r.json()["secret"] != first
    assert put({"url": "ftp://hooks.example.com/"}).json()["error"] == "invalid_webhook_url"

    r = api.client.delete("/api/v1/departments/WATER/webhook", headers=api.as_("admin"))
    assert r.status_code == 204
    assert department(api, "WATER")["webhook"] is None
    details = [json.loads(e.detail) for e in log(engine, "webhook_change")]
    assert details == [{"before": {"receiver": None}, "after": {"receiver": "https://hooks.example.com"},
                        "secret": "set"},
                       {"receiver": "https://hooks.example.com", "path": "changed"},
                       {"secret": "rotated"},
                       {"before": {"receiver": "https://hooks.example.com"}, "after": {"receiver": None},
                        "secret": "removed"}]
    assert not any(first in e.detail or "PATHTOKEN" in e.detail for e in log(engine, "webhook_change"))


def test_a_test_delivery_is_signed_and_says_how_the_receiver_took_it(api, engine, receiver):
    r = api.post("admin", "/api/v1/departments/WATER/webhook/test")
    assert r.status_code == 409 and r.json()["error"] == "no_webhook"
    secret = api.client.put("/api/v1/departments/WATER/webhook", headers=api.as_("admin"),
                            json={"url": receiver}).json()["secret"]

    r = api.post("admin", "/api/v1/departments/WATER/webhook/test")
    assert r.status_code == 200, r.text
    assert r.json()["ok"] is True and r.json()["status_code"] == 204 and r.json()["error"] == ""
    [(headers, body)] = Receiver.received
    assert headers["X-Gridops-Test"] == "1" and json.loads(body)["test"] is True
    assert headers["X-Gridops-Signature"] == signature(secret, headers["X-Gridops-Timestamp"], body.decode())
    with Session(engine) as session:
        assert not session.exec(select(WebhookDelivery)).all()  # a test is not a delivery

    api.client.put("/api/v1/departments/WATER/webhook", headers=api.as_("admin"),
                   json={"url": f"http://127.0.0.1:{closed_port()}/hook"})
    r = api.post("admin", "/api/v1/departments/WATER/webhook/test")
    assert r.status_code == 200
    assert r.json()["ok"] is False and r.json()["status_code"] is None and r.json()["error"]
    assert api.post("water", "/api/v1/departments/WATER/webhook/test").status_code == 403


def test_lights_count_each_departments_open_cases_yellow_and_red_now(api, engine):
    ids = []
    for k in (1, 2, 3):
        r = api.report("worker_a", COMMUNITY_A, k)
        assert r.status_code == 201, r.text
        ids.append(r.json()["ticket"]["id"])
    now = utcnow()
    with Session(engine) as session:  # one yellow now, one red, one green (the stored light instants)
        for ticket_id, yellow, red in ((ids[0], -1, 1), (ids[1], -2, -1), (ids[2], 1, 2)):
            ticket = session.get(Ticket, ticket_id)
            assert ticket.department_code == "SANITATION"
            ticket.sla_yellow_at, ticket.sla_red_at = now + timedelta(hours=yellow), now + timedelta(hours=red)
            session.add(ticket)
        session.commit()
    r = api.get("admin", "/api/v1/departments/lights")
    assert r.status_code == 200, r.text
    rows = {row["department_code"]: row for row in r.json()}
    assert rows["SANITATION"] == {"department_code": "SANITATION", "open": 3, "yellow": 1, "red": 1}
    assert rows["WATER"] == {"department_code": "WATER", "open": 0, "yellow": 0, "red": 0}


def test_users_are_listed_by_department(api):
    r = api.get("admin", "/api/v1/users", params={"department": "SANITATION"})
    assert r.status_code == 200
    assert {u["username"] for u in r.json()} == {"sanitation", "sanitation_chief"}
    leaders = api.get("admin", "/api/v1/users", params={"leader": "true"}).json()  # the table's leader column
    assert {(u["username"], u["department_code"]) for u in leaders} == {("sanitation_chief", "SANITATION")}


def test_the_cli_edits_a_department_and_tests_its_webhook(api, engine, gridops, receiver):  # noqa: ANN001
    done = gridops("department", "edit", "WATER", "--name", "区水务局（排水）", "--phone", "021-12345")
    assert done.exit_code == 0, done.output
    assert (department(api, "WATER")["name"], department(api, "WATER")["phone"]) == ("区水务局（排水）", "021-12345")
    assert [e.channel for e in log(engine, "department_change")] == ["cli"]
    assert gridops("department", "edit", "WATER").exit_code == 1  # nothing to change

    assert gridops("department", "test", "WATER").exit_code == 1  # no webhook yet: said, not a traceback
    assert gridops("department", "webhook", "WATER", receiver).exit_code == 0
    sent = gridops("department", "test", "WATER")
    assert sent.exit_code == 0 and "delivered (HTTP 204)" in sent.output
    assert len(Receiver.received) == 1
