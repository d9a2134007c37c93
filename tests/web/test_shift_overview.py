"""The control room's own shift (issue 12): what each dispatcher and shift lead did on a day, from the trail."""

from __future__ import annotations

from datetime import timedelta


def test_the_shift_overview_counts_each_persons_acts_of_the_day(api, clock):
    case = api.report("worker_a", category_code="E0601").json()["ticket"]  # E06: no rule, left to the dispatcher
    assert case["status"] == "registered"
    assert api.act("dispatcher", case["id"], "dispatch", payload={"department_code": "SANITATION"}).status_code == 200
    other = api.report("worker_a", k=2, category_code="E0601").json()["ticket"]
    assert api.act("dispatcher", other["id"], "comment", reason="已电话联系").status_code == 200
    assert api.act("shift_lead", other["id"], "urge", reason="请尽快派遣").status_code == 200

    day = api.get("supervisor", "/api/v1/stats/shift").json()
    people = {p["username"]: p for p in day["people"]}
    assert set(people) == {"dispatcher", "shift_lead"}  # the worker's reports are not the shift's
    assert people["dispatcher"]["acts"] == {"dispatch": 1, "comment": 1} and people["dispatcher"]["total"] == 2
    assert people["shift_lead"]["acts"] == {"urge": 1} and people["shift_lead"]["role"] == "shift_lead"
    assert day["people"][0]["username"] == "dispatcher"  # the busiest first

    yesterday = (clock.now - timedelta(days=1)).date().isoformat()
    assert api.get("admin", "/api/v1/stats/shift", params={"day": yesterday}).json()["people"] == []
    assert api.get("worker_a", "/api/v1/stats/shift").status_code == 403
    assert api.get("admin", "/api/v1/stats/shift", params={"day": "2026-13-01"}).status_code == 422
