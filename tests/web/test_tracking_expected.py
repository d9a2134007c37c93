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
