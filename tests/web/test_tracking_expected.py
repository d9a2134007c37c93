"""The tracking page's expected time says what is expected by then: while the case is 核实中 it is the
verify deadline (预计核实时间), not a promise that the problem will be fixed by then; once a department has
it, the handling deadline (预计办结时间)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from dispatch.models import Ticket
from tests.support.city import COMMUNITY_A, Api, cell_centre

LNG, LAT = cell_centre(COMMUNITY_A, 2)  # worker_a's cell


def ok(answer) -> dict:  # noqa: ANN001
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def test_the_expected_time_names_its_stage(api: Api, engine):  # noqa: ANN001
    made = ok(api.client.post("/public/v1/reports", json={
        "lat": LAT, "lng": LNG, "category_code": "E0101", "description": "路口垃圾没人清", "client_id": "t-1"}))
    with Session(engine) as s:
        tid = s.exec(select(Ticket.id).where(Ticket.case_number == made["case_number"])).one()

    def seen() -> tuple[str | None, datetime | None]:
        view = ok(api.client.get(f"/public/v1/track/{made['tracking_token']}"))
        return view["expected_stage"], view["expected_at"] and datetime.fromisoformat(view["expected_at"])

    def due(stage: str) -> datetime:
        timers = ok(api.get("shift_lead", f"/api/v1/tickets/{tid}"))["timers"]
        return datetime.fromisoformat(next(t["due_at"] for t in timers if t["stage"] == stage and t["active"]))

    assert seen() == ("verify", due("verify"))
    ok(api.act("worker_a", tid, "verify"))
    assert seen() == ("register", due("register"))
    ok(api.act("shift_lead", tid, "register"))
    assert seen() == ("dispatch", due("dispatch"))
    ok(api.act("dispatcher", tid, "dispatch", payload={"department_code": "SANITATION"}))
    assert seen() == ("handle", due("handle"))  # (the handling limit, not the earlier one to accept)
    ok(api.act("sanitation", tid, "accept"))
    assert seen() == ("handle", due("handle"))


def test_a_merged_report_follows_the_case_it_is_handled_with(api: Api, engine):  # noqa: ANN001
    """已并案办理 is not the end for its reporter: the link follows the case it was merged into to its close,
    with that case's status, department, expected time, the department's public reply and the after-photos —
    never the other reporter's words or photos."""
    from tests.support.city import after_photo

    first = ok(api.client.post("/public/v1/reports", json={
        "lat": LAT, "lng": LNG, "category_code": "E0101", "description": "路口垃圾成堆", "client_id": "m-1"}))
    second = ok(api.client.post("/public/v1/reports", json={
        "lat": LAT, "lng": LNG, "category_code": "E0101", "description": "同一堆垃圾", "client_id": "m-2"}))
    with Session(engine) as s:
        ids = dict(s.exec(select(Ticket.case_number, Ticket.id)).all())
    tid = ids[first["case_number"]]
    ok(api.act("shift_lead", ids[second["case_number"]], "merge", payload={"into": first["case_number"]}))

    def seen() -> dict:
        return ok(api.client.get(f"/public/v1/track/{second['tracking_token']}"))

    view = seen()
    assert view["public_status"] == "merged" and view["expected_at"] is None
    assert view["merged_into"]["case_number"] == first["case_number"]
    assert view["merged_into"]["public_status"] == "verifying"
    assert view["merged_into"]["expected_stage"] == "verify" and view["merged_into"]["expected_at"]
    ok(api.act("worker_a", tid, "verify"))
    ok(api.act("shift_lead", tid, "register"))
    ok(api.act("dispatcher", tid, "dispatch", payload={"department_code": "SANITATION"}))
    assert seen()["merged_into"]["department_name"] and seen()["merged_into"]["expected_stage"] == "handle"
    ok(api.act("sanitation", tid, "accept"))
    ok(api.resolve("sanitation", tid, reason="已清运完毕"))
    ok(api.act("worker_a", tid, "check_pass"))
    ok(api.act("shift_lead", tid, "close", payload={"close_type": "normal"}))
    view = seen()
    into = view["merged_into"]
    assert into["public_status"] == "closed" and into["closed_at"] and into["expected_at"] is None
    assert into["public_label"]["zh-CN"] and [n["text"] for n in into["notes"]] == ["已清运完毕"]
    assert "路口垃圾成堆" not in str(view)  # the other reporter's words
    after = [p for p in view["photos"] if p["stage"] == "resolve"]
    assert after and api.client.get(after[0]["url"]).status_code == 200
    # the other report's own photo is not reachable through this link
    with_photo = api.client.post("/public/v1/reports", data={
        "lat": str(LAT), "lng": str(LNG), "category_code": "E0101", "description": "又一堆", "client_id": "m-3"},
        files=[("photos", ("p.jpg", after_photo(), "image/jpeg"))])
    assert with_photo.status_code == 201, with_photo.text
    theirs = ok(api.client.get(f"/public/v1/track/{with_photo.json()['tracking_token']}"))["photos"][0]["id"]
    assert api.client.get(f"/public/v1/track/{second['tracking_token']}/photos/{theirs}").status_code == 404
    # a merged report has no result of its own to rate (its case's reporter rates that one)
    assert view["can_rate"] is False and view["cannot_rate"] == "ended"
    refused = api.client.post(f"/public/v1/track/{second['tracking_token']}/rating", json={"level": "satisfied"})
    assert refused.status_code == 409 and refused.json()["error"] == "not_rateable"
