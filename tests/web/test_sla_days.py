"""A case read says how far its limits are in their own basis: working limits in working days of the
calendar (8 hours in the test city), natural ones in days of 24 hours."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")


def test_overdue_time_reads_in_working_days_or_natural_days(api, clock) -> None:  # noqa: ANN001
    working = api.report("worker_a").json()["ticket"]["id"]  # rubbish: a working-time limit
    natural = api.report("worker_a", category_code="C0101").json()["ticket"]["id"]  # manhole cover: 6 natural hours
    clock.set(datetime(2026, 11, 26, 10, tzinfo=SH))  # Thursday 10:00; reported Monday 08:00

    detail = api.get("dispatcher", f"/api/v1/tickets/{working}").json()
    accept = next(t for t in detail["timers"] if t["stage"] == "accept")  # 1 working hour: due Monday 09:00
    assert accept["basis"] == "working" and accept["day_s"] == 8 * 3600
    assert accept["remaining_s"] == -25 * 3600  # Monday 7 h, Tuesday and Wednesday 8 h each, Thursday 2 h
    assert (accept["days"], accept["rest_s"]) == (3, 3600)
    listed = api.get("dispatcher", "/api/v1/tickets", params={"q": detail["case_number"]}).json()["items"][0]
    assert listed["sla"]["basis"] == "working" and listed["sla"]["days"] == 3

    detail = api.get("dispatcher", f"/api/v1/tickets/{natural}").json()
    handle = next(t for t in detail["timers"] if t["stage"] == "handle")  # due Monday 14:00
    assert handle["basis"] == "natural" and handle["day_s"] == 24 * 3600
    assert (handle["days"], handle["rest_s"]) == (2, 20 * 3600)


def test_map_rows_carry_the_length_of_a_day_in_the_limits_basis(api, clock) -> None:  # noqa: ANN001
    working = api.report("worker_a").json()["ticket"]["case_number"]
    natural = api.report("worker_a", category_code="C0101").json()["ticket"]["case_number"]
    clock.set(datetime(2026, 11, 26, 10, tzinfo=SH))
    body = api.get("dispatcher", "/api/v1/map/cases").json()
    rows = {row["case_number"]: row for row in (dict(zip(body["fields"], r, strict=True)) for r in body["rows"])}
    assert rows[working]["day_s"] == 8 * 3600 and rows[working]["remaining_s"] == -25 * 3600
    assert rows[natural]["day_s"] == 24 * 3600
