"""SLA through the API: every ticket read carries its light, due time and remaining working time;
notifications for their recipient only; admins edit calendars and policies."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dispatch import escalation

SH = ZoneInfo("Asia/Shanghai")


def test_ticket_reads_carry_light_due_and_remaining(api, clock):
    tid = api.report("worker_a").json()["ticket"]["id"]
    clock.set(datetime(2026, 11, 23, 11, 30, tzinfo=SH))
    detail = api.get("sanitation", f"/api/v1/tickets/{tid}").json()
    assert detail["sla"]["stage"] in ("accept", "handle") and detail["sla"]["light"] == "red"  # accept: 1 h
    handle = next(t for t in detail["timers"] if t["stage"] == "handle")
    assert handle["light"] == "yellow" and handle["remaining_s"] == 1800
    assert datetime.fromisoformat(handle["due_at"]) == datetime(2026, 11, 23, 12, tzinfo=SH)
    api.act("sanitation", tid, "accept")
    listed = api.get("dispatcher", "/api/v1/tickets").json()["items"][0]
    assert listed["sla"] == {"stage": "handle", "light": "yellow", "due_at": handle["due_at"], "remaining_s": 1800,
                             "basis": "working", "day_s": 28800, "days": 0, "rest_s": 1800}


def test_notifications_reach_their_recipients_only(api, engine, clock):
    from sqlmodel import Session

    tid = api.report("worker_a").json()["ticket"]["id"]
    api.act("sanitation", tid, "accept")
    with Session(engine) as session:
        assert escalation.process_due(session=session, now=datetime(2026, 11, 23, 12, 1, tzinfo=SH)) == 2
        session.commit()
    mine = api.get("sanitation", "/api/v1/notifications").json()
    assert mine["unread"] == 1 and mine["items"][0]["kind"] == "sla.yellow"
    assert "E0101" in mine["items"][0]["title"]
    chief = api.get("sanitation_chief", "/api/v1/notifications", params={"unread": True}).json()
    assert [n["kind"] for n in chief["items"]] == ["sla.red", "sla.yellow"]
    assert api.get("water", "/api/v1/notifications").json() == {"unread": 0, "items": []}
    note_id = mine["items"][0]["id"]
    assert api.post("water", f"/api/v1/notifications/{note_id}/read").status_code == 404
    assert api.post("sanitation", f"/api/v1/notifications/{note_id}/read").json()["read_at"]
    assert api.get("sanitation", "/api/v1/notifications").json()["unread"] == 0


def test_admin_adds_next_years_holidays_and_deadlines_follow(api, clock):
    days_2026 = api.get("dispatcher", "/api/v1/calendars/standard/days", params={"year": 2026}).json()
    make_up = next(d for d in days_2026 if d["day"] == "2026-10-10")  # a Saturday worked for National Day
    assert make_up["kind"] == "workday" and make_up["source"] == "holidays"
    body = {"kind": "holiday", "name": "测试假日"}
    assert api.client.put("/api/v1/calendars/standard/days/2026-11-24", json=body,
                          headers=api.as_("dispatcher")).status_code == 403
    r = api.client.put("/api/v1/calendars/standard/days/2026-11-24", json=body, headers=api.as_("admin"))
    assert r.status_code == 200 and r.json()["source"] == "admin"
    clock.set(datetime(2026, 11, 23, 17, tzinfo=SH))
    t = api.report("worker_a").json()["ticket"]
    handle = next(x for x in api.get("dispatcher", f"/api/v1/tickets/{t['id']}").json()["timers"]
                  if x["stage"] == "handle")
    assert datetime.fromisoformat(handle["due_at"]) == datetime(2026, 11, 25, 11, tzinfo=SH)  # skips Tuesday
    bad = api.client.put("/api/v1/calendars/standard/days/2026-11-25", json={"kind": "party"},
                         headers=api.as_("admin"))
    assert bad.status_code == 422 and "holiday or workday" in bad.json()["message"]
    assert api.client.put("/api/v1/calendars/nope/days/2026-11-25", json=body,
                          headers=api.as_("admin")).status_code == 404


def test_a_holiday_declared_later_moves_running_deadlines(api, clock):
    """Filed on Monday 17:00 with 4 working hours: due Tuesday 11:00. Then Tuesday is declared a holiday:
    the running case falls due on Wednesday 11:00, green again; removing the holiday brings Tuesday back."""
    clock.set(datetime(2026, 11, 23, 17, tzinfo=SH))
    t = api.report("worker_a").json()["ticket"]

    def handle() -> dict:
        return next(x for x in api.get("dispatcher", f"/api/v1/tickets/{t['id']}").json()["timers"]
                    if x["stage"] == "handle")

    assert datetime.fromisoformat(handle()["due_at"]) == datetime(2026, 11, 24, 11, tzinfo=SH)
    clock.set(datetime(2026, 11, 23, 17, 30, tzinfo=SH))
    r = api.client.put("/api/v1/calendars/standard/days/2026-11-24", json={"kind": "holiday", "name": "临时假日"},
                       headers=api.as_("admin"))
    assert r.status_code == 200
    moved = handle()
    assert datetime.fromisoformat(moved["due_at"]) == datetime(2026, 11, 25, 11, tzinfo=SH)
    assert moved["light"] == "green" and moved["remaining_s"] == 3.5 * 3600
    assert api.client.delete("/api/v1/calendars/standard/days/2026-11-24",
                             headers=api.as_("admin")).status_code == 204
    assert datetime.fromisoformat(handle()["due_at"]) == datetime(2026, 11, 24, 11, tzinfo=SH)


def test_admin_sets_a_policy(api, clock):
    body = {"stage": "handle", "category": "E0101", "limit_hours": 2, "basis": "natural"}
    assert api.client.put("/api/v1/sla-policies", json=body, headers=api.as_("shift_lead")).status_code == 403
    assert api.client.put("/api/v1/sla-policies", json=body, headers=api.as_("admin")).status_code == 200
    bad = api.client.put("/api/v1/sla-policies", json={**body, "stage": "lunch"}, headers=api.as_("admin"))
    assert bad.status_code == 422 and "stages are" in bad.json()["message"]
    bad = api.client.put("/api/v1/sla-policies", json={**body, "category": "Z99"}, headers=api.as_("admin"))
    assert bad.status_code == 422
    t = api.report("worker_a").json()["ticket"]
    detail = api.get("dispatcher", f"/api/v1/tickets/{t['id']}").json()
    handle = next(x for x in detail["timers"] if x["stage"] == "handle")
    assert handle["basis"] == "natural" and handle["limit_s"] == 7200
    assert len(api.get("dispatcher", "/api/v1/sla-policies").json()["policies"]) == 1


def test_todays_counters(api, clock):
    first = api.report("worker_a").json()["ticket"]["id"]
    api.report("worker_b", community="310101001002", k=1, category_code="C0101", description="井盖")
    api.act("sanitation", first, "accept")
    clock.set(datetime(2026, 11, 23, 11, 30, tzinfo=SH))
    api.resolve("sanitation", first, reason="ok")  # on time: due 12:00
    counters = api.get("dispatcher", "/api/v1/stats/today").json()
    assert counters["open"] == 2 and counters["on_time_rate_today"] == 1.0 and counters["closed_today"] == 0
    assert counters["red"] >= 1  # the manhole case waits for WATER's acceptance: 1 working hour, long gone
    assert api.get("water", "/api/v1/stats/today").json()["open"] == 1
    listed = {t["id"]: t for t in api.get("dispatcher", "/api/v1/tickets").json()["items"]}
    assert listed[first]["on_time"] is True


def test_a_department_on_a_calendar_of_its_own(api, clock, session):
    """Sanitation works 07:00–19:00 every day: an admin creates that calendar and gives it to them; a case
    filed on Saturday at 18:00 with 4 working hours falls due on Sunday at 10:00."""
    from grid.calendars import set_department_calendar

    put = lambda code, body, who="admin": api.client.put(f"/api/v1/calendars/{code}", json=body,  # noqa: E731
                                                         headers=api.as_(who))
    long_day = {"name": "环卫全周 Sanitation, all week", "periods": "07:00-19:00", "weekdays": "1,2,3,4,5,6,7"}
    assert put("long-day", long_day, who="dispatcher").status_code == 403
    for code, body, fragment in (("long-day", {**long_day, "periods": "9-5"}, "08:00-12:00"),
                                 ("long-day", {**long_day, "weekdays": "0,8"}, "weekdays"),
                                 ("long-day", {**long_day, "timezone": "Mars/Olympus"}, "time zone"),
                                 ("24x7", long_day, "natural time"), ("Bad Code!", long_day, "calendar code")):
        r = put(code, body)
        assert r.status_code == 422 and fragment in r.json()["message"], r.text
    r = put("long-day", long_day)
    assert r.status_code == 200 and r.json()["periods"] == "07:00-19:00"
    days = api.get("admin", "/api/v1/calendars/long-day/days", params={"year": 2026}).json()
    assert any(d["day"] == "2026-10-01" and d["kind"] == "holiday" for d in days)  # official days come along
    set_department_calendar(session=session, department_code="SANITATION", calendar_code="long-day")
    session.commit()
    clock.set(datetime(2026, 11, 28, 18, tzinfo=SH))  # a Saturday
    t = api.report("worker_a").json()["ticket"]
    handle = next(x for x in api.get("dispatcher", f"/api/v1/tickets/{t['id']}").json()["timers"]
                  if x["stage"] == "handle")
    assert datetime.fromisoformat(handle["due_at"]) == datetime(2026, 11, 29, 10, tzinfo=SH)
    # shorter days from now on: the running deadline follows (18:00 close on Saturday, 2 h left on Sunday)
    clock.set(datetime(2026, 11, 28, 18, 30, tzinfo=SH))
    assert put("long-day", {**long_day, "periods": "07:00-18:00"}).status_code == 200
    handle = next(x for x in api.get("dispatcher", f"/api/v1/tickets/{t['id']}").json()["timers"]
                  if x["stage"] == "handle")
    assert datetime.fromisoformat(handle["due_at"]) == datetime(2026, 11, 29, 10, 30, tzinfo=SH)


def test_calendar_commands(monkeypatch, database_url, api):
    from tests.web.test_loop import run_cli

    ok = run_cli(monkeypatch, database_url, "calendar", "save", "night-crew", "--periods", "20:00-23:59",
                 "--weekdays", "1,2,3,4,5,6,7")
    assert ok.exit_code == 0 and "20:00-23:59" in ok.output, ok.output
    bad = run_cli(monkeypatch, database_url, "calendar", "save", "night-crew", "--periods", "late")
    assert bad.exit_code == 1 and "write it like 08:00-12:00" in bad.output
    day = run_cli(monkeypatch, database_url, "calendar", "set-day", "2027-01-01", "--kind", "holiday",
                  "--calendar", "night-crew")
    assert day.exit_code == 0, day.output
    days = api.get("admin", "/api/v1/calendars/night-crew/days", params={"year": 2027}).json()
    assert [(d["day"], d["kind"]) for d in days] == [("2027-01-01", "holiday")]
