"""整改: a reopened case's rectification is due 15 working days later (the default in the SLA policy's table,
in working days), counted on the department's own calendar: its holidays skipped, its make-up working day
counted, and a working day as long as that calendar's day (7 hours here), not 8 hours whatever the calendar."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dispatch.policies import DEFAULT_WORKING_DAYS
from tests.support.city import Api
from tests.web.test_public import case_id, close_case, file, ok

SH = ZoneInfo("Asia/Shanghai")


def test_a_reopen_is_due_15_working_days_later_on_the_departments_calendar(api: Api, engine, clock):  # noqa: ANN001
    assert DEFAULT_WORKING_DAYS["rectify"] == 15
    defaults = ok(api.get("admin", "/api/v1/sla-policies"))["defaults"]
    assert defaults["working_days"] == {"rectify": 15} and "rectify" not in defaults["stages"]
    # SANITATION works 09:00–12:00 and 13:00–17:00, Monday to Friday; 1 and 2 December are its holidays,
    # Saturday 5 December a make-up working day (调休)
    ok(api.client.put("/api/v1/calendars/short", headers=api.as_("admin"),
                      json={"name": "环卫作息", "periods": "09:00-12:00,13:00-17:00"}))
    for day, kind in (("2026-12-01", "holiday"), ("2026-12-02", "holiday"), ("2026-12-05", "workday")):
        ok(api.client.put(f"/api/v1/calendars/short/days/{day}", headers=api.as_("admin"), json={"kind": kind}))
    ok(api.client.patch("/api/v1/departments/SANITATION", headers=api.as_("admin"), json={"calendar_code": "short"}))

    made = file(api.client, contact_phone="13900005555")
    tid = case_id(engine, made["case_number"])
    close_case(api, tid)
    ok(api.client.post(f"/public/v1/track/{made['tracking_token']}/rating", json={"level": "dissatisfied"}))
    clock.set(datetime(2026, 11, 25, 10, tzinfo=SH))  # Wednesday 10:00
    reopened = ok(api.act("shift_lead", tid, "reopen", reason="请彻底清理"))
    rectify = next(t for t in reopened["timers"] if t["stage"] == "rectify")
    assert rectify["calendar"] == "short" and rectify["basis"] == "working"
    assert rectify["limit_s"] == 15 * 7 * 3600 and rectify["day_s"] == 7 * 3600
    # working days from Thursday 26 November: 26, 27, 30, (1 and 2 December off) 3, 4, Saturday 5, 7, 8, 9, 10,
    # 11, 14, 15, 16 and the 15th, Thursday 17 December, at the hour of the reopen
    assert datetime.fromisoformat(rectify["due_at"]) == datetime(2026, 12, 17, 10, tzinfo=SH)
    assert track_due(api, made["tracking_token"]) == datetime(2026, 12, 17, 10, tzinfo=SH)


def track_due(api: Api, token: str) -> datetime:
    """What the citizen is told: when the rectification is expected."""
    return datetime.fromisoformat(ok(api.client.get(f"/public/v1/track/{token}"))["expected_at"])
