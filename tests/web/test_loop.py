"""The whole loop through the HTTP API, the timeline, and the tamper-evident audit trail."""

from __future__ import annotations

from sqlalchemy import text

from tests.support.cli import invoke
from web.settings import get_settings


def run_cli(monkeypatch, database_url: str, *args: str):  # noqa: ANN001, ANN201
    monkeypatch.setenv("GRIDOPS_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        return invoke(args)
    finally:
        get_settings.cache_clear()


def test_report_to_close_with_rework(api, engine, database_url, monkeypatch, media_dir):
    monkeypatch.setenv("GRIDOPS_MEDIA_DIR", str(media_dir))  # where the after-photos are, for audit verify
    r = api.report("worker_a", description="路口暴露垃圾, 约两立方")
    assert r.status_code == 201, r.text
    ticket = r.json()["ticket"]
    tid = ticket["id"]
    # a worker's report in their own cell, with a matching rule: registered and dispatched by the system
    assert ticket["status"] == "dispatched"
    assert ticket["department_code"] == "SANITATION"
    assert ticket["case_number"].startswith("E0101") and len(ticket["case_number"]) == 17

    assert api.act("sanitation", tid, "accept").json()["status"] == "accepted"
    r = api.resolve("sanitation", tid, reason="已清运")
    assert r.json()["status"] == "resolved"
    assert "check_fail" in api.get("worker_a", f"/api/v1/tickets/{tid}").json()["allowed_actions"]
    assert api.act("worker_a", tid, "check_fail", reason="仍有残留").json()["status"] == "rework"
    assert api.resolve("sanitation", tid, reason="已彻底清理").json()["status"] == "resolved"
    assert api.act("worker_a", tid, "check_pass").json()["status"] == "checked"
    # 特殊结案 says why (an audit found one closed with nothing on record); the normal close needs no note
    r = api.act("shift_lead", tid, "close", payload={"close_type": "special"}, reason="  ")
    assert r.status_code == 422 and r.json()["error"] == "text_required" and r.json()["field"] == "reason", r.text
    assert api.get("shift_lead", f"/api/v1/tickets/{tid}").json()["status"] == "checked"
    r = api.act("shift_lead", tid, "close")
    assert r.status_code == 200, r.text
    detail = r.json()
    assert detail["status"] == "closed"
    assert detail["allowed_actions"] == ["comment"]
    steps = [(e["action"], e["from_status"], e["to_status"]) for e in detail["timeline"]]
    assert steps == [
        ("report", None, "reported"),
        ("register", "reported", "registered"),
        ("dispatch", "registered", "dispatched"),
        ("accept", "dispatched", "accepted"),
        ("resolve", "accepted", "resolved"),
        ("check_fail", "resolved", "rework"),
        ("resolve", "rework", "resolved"),
        ("check_pass", "resolved", "checked"),
        ("close", "checked", "closed"),
    ]
    assert [e["actor"] for e in detail["timeline"]][:3] == ["worker_a", "system", "system"]
    assert detail["timeline"][5]["reason"] == "仍有残留"
    assert detail["routing"][0]["rule_id"] is not None
    assert all(detail["timestamps"][k] for k in ("registered", "dispatched", "accepted", "resolved", "closed"))

    ok = run_cli(monkeypatch, database_url, "audit", "verify")
    assert ok.exit_code == 0, ok.output
    assert "OK: 1 cases, 9 events" in ok.output

    with engine.begin() as conn:  # someone edits history: the rework never happened
        conn.execute(text("UPDATE ticket_event SET reason = 'ok' WHERE seq = 6"))
    bad = run_cli(monkeypatch, database_url, "audit", "verify")
    assert bad.exit_code == 1
    assert "does not match its hash" in bad.output and ticket["case_number"] in bad.output


def test_deleting_the_last_event_is_detected(api, engine, database_url, monkeypatch):
    tid = api.report("worker_a").json()["ticket"]["id"]
    api.act("sanitation", tid, "accept")
    assert run_cli(monkeypatch, database_url, "audit", "verify").exit_code == 0
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM ticket_event WHERE seq = (SELECT MAX(seq) FROM ticket_event)"))
    result = run_cli(monkeypatch, database_url, "audit", "verify")
    assert result.exit_code == 1 and "records 4 events but the trail has 3" in result.output


def test_deleting_a_whole_case_with_its_events_is_detected(api, engine, database_url, monkeypatch):
    from web.db import import_models

    keep = api.report("worker_a").json()["ticket"]
    gone = api.report("worker_a", k=2).json()["ticket"]
    assert run_cli(monkeypatch, database_url, "audit", "verify").exit_code == 0
    with engine.begin() as conn:  # every trace of the second case, its own trail included
        for table in reversed(import_models().metadata.sorted_tables):
            if "ticket_id" in table.c:
                conn.execute(table.delete().where(table.c.ticket_id == gone["id"]))
        conn.execute(text("DELETE FROM ticket WHERE id = :id"), {"id": gone["id"]})
    result = run_cli(monkeypatch, database_url, "audit", "verify")
    assert result.exit_code == 1 and gone["case_number"] in result.output and "issued" in result.output
    assert keep["case_number"] not in result.output


def test_citizen_report_is_verified_registered_and_dispatched_by_people(api):
    r = api.report("dispatcher", source="citizen", category_code="C0101", description="井盖缺失")
    assert r.status_code == 201, r.text
    t = r.json()["ticket"]
    assert t["status"] == "verifying" and t["source"] == "citizen"
    # only the cell's worker verifies on site
    assert api.act("worker_b", t["id"], "verify").status_code == 404  # not in worker_b's cells: invisible
    assert api.act("worker_a", t["id"], "verify").json()["status"] == "reported"
    detail = api.act("shift_lead", t["id"], "register").json()
    assert detail["status"] == "registered" and detail["suggested_department_code"] == "WATER"
    assert "rule #" in detail["routing"][-1]["reason"]
    detail = api.act("dispatcher", t["id"], "dispatch").json()  # the suggestion is preselected
    assert detail["status"] == "dispatched" and detail["department_code"] == "WATER"
    assert api.get("water", f"/api/v1/tickets/{t['id']}").status_code == 200
    assert api.get("sanitation", f"/api/v1/tickets/{t['id']}").status_code == 404


def test_returns_extensions_suspensions_and_voids(api):
    tid = api.report("worker_a").json()["ticket"]["id"]
    assert api.act("sanitation", tid, "request_return", reason="不是我们的").json()["status"] == "return_requested"
    assert api.act("dispatcher", tid, "deny_return", reason="属于环卫").json()["status"] == "dispatched"
    api.act("sanitation", tid, "accept")
    assert api.act("sanitation", tid, "request_extension", reason="需要协调", payload={"hours": 8}).status_code == 200
    detail = api.act("dispatcher", tid, "approve_extension").json()
    assert detail["status"] == "accepted" and detail["extension_hours"] == 8
    api.act("sanitation", tid, "request_suspension", reason="列入改造计划")
    assert api.act("shift_lead", tid, "approve_suspension").json()["status"] == "suspended"
    assert api.act("sanitation", tid, "resume").json()["status"] == "accepted"
    api.act("sanitation", tid, "request_return", reason="确属绿化")
    detail = api.act("dispatcher", tid, "approve_return").json()
    assert detail["status"] == "registered" and detail["department_code"] is None
    assert api.get("sanitation", f"/api/v1/tickets/{tid}").status_code == 404
    api.act("dispatcher", tid, "dispatch", payload={"department_code": "GREENING"})
    assert api.act("dispatcher", tid, "request_void", reason="重复上报").json()["status"] == "void_requested"
    assert api.act("shift_lead", tid, "deny_void", reason="不是重复").json()["status"] == "dispatched"
    api.act("dispatcher", tid, "request_void", reason="重复上报")
    assert api.act("shift_lead", tid, "approve_void").json()["status"] == "void"


def test_duplicates_support_and_merge(api):
    first = api.report("worker_a").json()["ticket"]
    r = api.report("worker_a", description="同一堆垃圾")
    assert [d["case_number"] for d in r.json()["duplicates"]] == [first["case_number"]]
    assert r.json()["duplicates"][0]["distance_m"] == 0
    other_category = api.report("worker_a", category_code="E0102", description="道路不洁")
    assert other_category.json()["duplicates"] == []
    far = api.report("worker_a", k=3)  # about 190 m away
    assert far.json()["duplicates"] == []
    second = r.json()["ticket"]
    assert api.act("worker_a", first["id"], "support").json()["support_count"] == 1
    again = api.act("worker_a", first["id"], "support")  # one person counts once
    assert again.status_code == 409 and "already support" in again.json()["message"]
    merged = api.act("dispatcher", second["id"], "merge", payload={"into": first["case_number"]}).json()
    assert merged["status"] == "merged" and merged["merged_into_id"] == first["id"]
    target = api.get("dispatcher", f"/api/v1/tickets/{first['id']}").json()
    assert target["support_count"] == 2 and target["timeline"][-1]["action"] == "merged_in"


def test_idempotency_key_never_makes_a_second_case(api):
    headers = {"Idempotency-Key": "phone-42-report-7"}
    a = api.post("worker_a", "/api/v1/reports", headers=headers,
                 json={"lat": 31.2305, "lng": 121.4805, "category_code": "E0101", "description": "垃圾"})
    b = api.post("worker_a", "/api/v1/reports", headers=headers,
                 json={"lat": 31.2305, "lng": 121.4805, "category_code": "E0101", "description": "垃圾"})
    assert a.status_code == 201 and b.status_code == 200
    assert a.json()["ticket"]["id"] == b.json()["ticket"]["id"] and b.json()["created"] is False
    assert api.get("dispatcher", "/api/v1/tickets").json()["total"] == 1


def test_lists_filter_and_scope(api):
    api.report("worker_a", k=1)
    api.report("worker_b", community="310101001002", k=2, category_code="C0101", description="井盖")
    api.report("dispatcher", source="hotline", k=4, category_code="E0601", description="其他")
    all_ = api.get("dispatcher", "/api/v1/tickets").json()
    assert all_["total"] == 3
    assert api.get("dispatcher", "/api/v1/tickets", params={"category": "C01"}).json()["total"] == 1
    assert api.get("dispatcher", "/api/v1/tickets", params={"area": "310101001002"}).json()["total"] == 1
    assert api.get("dispatcher", "/api/v1/tickets", params={"status": "verifying,dispatched"}).json()["total"] == 3
    assert api.get("dispatcher", "/api/v1/tickets", params={"department": "WATER"}).json()["total"] == 1
    bbox = "121.480,31.230,121.481,31.231"
    assert api.get("dispatcher", "/api/v1/tickets", params={"bbox": bbox}).json()["total"] == 1
    page = api.get("dispatcher", "/api/v1/tickets", params={"limit": 2, "offset": 2}).json()
    assert len(page["items"]) == 1 and page["total"] == 3
    assert api.get("sanitation", "/api/v1/tickets").json()["total"] == 1
    assert api.get("water", "/api/v1/tickets").json()["total"] == 1
    assert api.get("worker_b", "/api/v1/tickets").json()["total"] == 1  # only community B's case
    assert api.get("worker_a", "/api/v1/tickets").json()["total"] == 2  # its cells: its own + the hotline case


def test_locate_cells_catalogue_and_health(api):
    r = api.get("worker_a", "/api/v1/locate", params={"lat": 31.2305, "lng": 121.4805})
    assert r.status_code == 200
    body = r.json()
    assert body["cell"]["code"] == "310101001001001"
    assert [a["level"] for a in body["ancestors"]] == ["district", "street", "community"]
    cells = api.get("worker_a", "/api/v1/cells", params={"bbox": "121.4800,31.2300,121.4815,31.2305"}).json()
    assert {f["id"] for f in cells["features"]} == {"310101001001001", "310101001001002"}
    assert cells["features"][0]["geometry"]["type"] == "Polygon"
    cats = api.get("worker_a", "/api/v1/categories").json()
    assert len(cats) >= 30 and {c["kind"] for c in cats} == {"component", "event"}
    # issue 12: the control-room filter groups by major class; it read a major_code the answer lacked
    assert {c["major_code"] for c in cats if c["code"].startswith("E01")} == {"E01"}
    assert len(api.get("worker_a", "/api/v1/departments").json()) >= 6
    assert api.client.get("/healthz").json()["status"] == "ok"
    assert api.client.get("/api/v1/tickets").status_code == 401
    assert api.client.get("/api/v1/cells", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert api.client.get("/openapi.json").status_code == 401  # the schema for signed-in users only
    assert api.client.get("/docs", follow_redirects=False).headers["location"] == "/login"
    assert api.get("worker_a", "/openapi.json").status_code == 200 and api.get("worker_a", "/docs").status_code == 200
