"""The supervisor's board (issue 15): a period's counters, trend, top categories and cases per cell, counted from
the record with the injected clock, every figure worked out by hand below."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.support.city import COMMUNITY_A, COMMUNITY_B, cell_code

SHANGHAI = ZoneInfo("Asia/Shanghai")


def ok(answer) -> dict:  # noqa: ANN001
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def seed_november(api, clock) -> tuple[dict, dict, dict]:  # noqa: ANN001
    """Monday 2026-11-23 08:00: three worker reports, each registered and dispatched by the rules at once: A
    (E0101 → SANITATION) closed at once, every step on time; B (E0101 → SANITATION) accepted on Tuesday 10:00,
    long past its one working hour (late: overdue on Tuesday); C (C0101 → WATER) still waiting. November: 3
    reported, 3 registered, 1 closed, 1 overdue; the top minor class E0101 暴露垃圾 with 2, then C0101 with 1."""
    a = ok(api.report("worker_a", k=1))["ticket"]
    b = ok(api.report("worker_a", k=2))["ticket"]
    c = ok(api.report("worker_b", community=COMMUNITY_B, k=1, category_code="C0101", description="井盖缺失"))["ticket"]
    assert a["status"] == b["status"] == c["status"] == "dispatched"
    ok(api.act("sanitation", a["id"], "accept"))
    ok(api.resolve("sanitation", a["id"]))
    ok(api.act("worker_a", a["id"], "check_pass"))
    ok(api.act("shift_lead", a["id"], "close", payload={"close_type": "normal"}))
    clock.set(datetime(2026, 11, 24, 10, tzinfo=SHANGHAI))
    ok(api.act("sanitation", b["id"], "accept"))
    return a, b, c


def test_the_board_counts_a_period_from_the_record(api, clock):
    a, b, c = seed_november(api, clock)

    board = ok(api.get("supervisor", "/api/v1/board", params={"period": "2026-11"}))
    assert board["period"]["label"] == "2026-11" and board["period"]["from"] == "2026-11-01"
    assert board["period"]["to"] == "2026-11-30" and board["period"]["complete"] is False
    assert board["totals"] == {"reported": 3, "registered": 3, "closed": 1, "overdue": 1}
    # today (Tuesday): only B's late acceptance; open now B and C, both past their limits (B's 4 working hours
    # to handle ran out on Monday at 12:00, C's hour to accept at 09:00)
    assert board["today"] == {"date": "2026-11-24", "reported": 0, "registered": 0, "closed": 0, "overdue": 1,
                              "open": 2, "overdue_now": 2}
    days = {d["date"]: d for d in board["trend"]}
    assert len(board["trend"]) == 30 and board["trend"][0]["date"] == "2026-11-01"
    assert days["2026-11-23"] == {"date": "2026-11-23", "reported": 3, "closed": 1, "overdue": 0}
    assert days["2026-11-24"] == {"date": "2026-11-24", "reported": 0, "closed": 0, "overdue": 1}
    assert sum(d["reported"] for d in board["trend"]) == 3
    assert board["top_categories"] == [
        {"code": "E0101", "name": "暴露垃圾", "name_en": "Exposed rubbish", "count": 2},
        {"code": "C0101", "name": "上水井盖", "name_en": "Water-supply manhole cover", "count": 1}]
    assert board["cells"] == [{"code": cell_code(COMMUNITY_A, 1), "count": 1},
                              {"code": cell_code(COMMUNITY_A, 2), "count": 1},
                              {"code": cell_code(COMMUNITY_B, 1), "count": 1}]

    # local days: 23:30 on the last of November is November's (15:30 UTC), 00:30 on December 1st is not
    clock.set(datetime(2026, 11, 30, 23, 30, tzinfo=SHANGHAI))
    ok(api.report("worker_a", k=3))
    clock.set(datetime(2026, 12, 1, 0, 30, tzinfo=SHANGHAI))
    ok(api.report("worker_a", k=4))
    november = ok(api.get("admin", "/api/v1/board", params={"period": "2026-11"}))
    assert november["trend"][-1] == {"date": "2026-11-30", "reported": 1, "closed": 0, "overdue": 0}
    assert november["totals"]["reported"] == 4 and november["period"]["complete"] is True
    december = ok(api.get("admin", "/api/v1/board"))  # the current month by default
    assert december["period"]["label"] == "2026-12" and december["totals"]["reported"] == 1
    assert december["today"]["date"] == "2026-12-01" and december["today"]["reported"] == 1
    assert ok(api.get("admin", "/api/v1/board", params={"period": "2026-11-30"}))["totals"]["registered"] == 1
    assert ok(api.get("admin", "/api/v1/board", params={"period": "2026-10"}))["totals"] == {
        "reported": 0, "registered": 0, "closed": 0, "overdue": 0}


def test_the_board_is_for_supervisors_and_admins_and_wants_a_period(api):
    refused = api.get("sanitation", "/api/v1/board")
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert api.get("dispatcher", "/api/v1/board").status_code == 403
    for bad in ("2026-13", "next month", "2026-11-30..2026-11-01"):
        answer = api.get("supervisor", "/api/v1/board", params={"period": bad})
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["error"], answer.text
