"""Evaluation (issue 15): a seeded day whose every figure, score and grade is worked out by hand below, for a
department, an area and each post; the same day counted again after more events; the scheme's versions; and
the rectification a poor grade opens.

Monday 2026-11-23, working hours 08:00-12:00 and 14:00-18:00. Limits: verify 0.5 h, register 1 h, dispatch 1 h,
check 0.5 h, close 1 h (working), handling E0101 4 working hours, E0601 16.

    A  E0101 worker_a  auto-registered and -dispatched to SANITATION 08:00; accepted 08:10; resolved 09:00 (on
       time); checked 09:10 (on time); closed 09:20 (on time)
    B  E0101 worker_a  same start; resolved 09:00; check FAILS 09:20 (on time) → rework; resolved again 16:00
       (LATE: due 15:20); checked 16:10; closed 16:20 (on time)
    C  E0101 worker_a  same start; accepted 08:10, still being handled at the day's end
    D  E0601 worker_a  registered 08:00 (no rule); dispatcher sends it to SANITATION 08:30 (on time, due 09:00);
       accepted 08:40; resolved 10:00 (on time); checked 10:40 (LATE: due 10:30); closed 11:50 (LATE: due 11:40)
    P  E0601 citizen   08:00 at A5; worker_a verifies 08:20 (on time); shift lead registers 08:40 (on time);
       dispatcher sends it to ENFORCEMENT 09:50 (LATE: due 09:40); ENFORCEMENT asks to return it 10:00,
       dispatcher approves 10:05: back to be dispatched (not due to close)
    Q  E0601 hotline   operator takes the call 08:00 at A6; worker_a verifies 08:25; shift lead registers 09:30
       (LATE: due 09:25); dispatcher asks to void 09:40, shift lead approves 09:45 (withdrawn)
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.support.city import COMMUNITY_A, STREET, Api, cell_centre

SH = ZoneInfo("Asia/Shanghai")
DAY = "2026-11-23"


def at(clock, hhmm: str, day: int = 23) -> None:  # noqa: ANN001
    h, m = map(int, hhmm.split(":"))
    clock.set(datetime(2026, 11, day, h, m, tzinfo=SH))


def ok(answer) -> dict:  # noqa: ANN001
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def seed(api: Api, clock) -> dict[str, int]:  # noqa: ANN001
    ids = {}
    at(clock, "08:00")
    for name, k, category in (("A", 1, "E0101"), ("B", 2, "E0101"), ("C", 3, "E0101"), ("D", 4, "E0601")):
        ids[name] = ok(api.report("worker_a", k=k, category_code=category))["ticket"]["id"]
    lng, lat = cell_centre(COMMUNITY_A, 5)
    made = ok(api.client.post("/public/v1/reports", json={
        "lat": lat, "lng": lng, "category_code": "E0601", "description": "路边有人乱搭棚子", "client_id": "p-1"}))
    ids["P"] = ok(api.get("supervisor", "/api/v1/tickets", params={"q": made["case_number"]}))["items"][0]["id"]
    lng, lat = cell_centre(COMMUNITY_A, 6)
    ids["Q"] = ok(api.post("operator", "/api/v1/reports", json={
        "lat": lat, "lng": lng, "category_code": "E0601", "description": "来电反映有人占道经营",
        "contact_name": "李四", "contact_phone": "13700001111"}))["ticket"]["id"]

    def do(hhmm: str, user: str, name: str, action: str, **body) -> None:  # noqa: ANN003
        at(clock, hhmm)
        ok(api.resolve(user, ids[name]) if action == "resolve" else api.act(user, ids[name], action, **body))

    do("08:10", "sanitation", "A", "accept")
    do("08:10", "sanitation", "B", "accept")
    do("08:10", "sanitation", "C", "accept")
    do("08:20", "worker_a", "P", "verify")
    do("08:25", "worker_a", "Q", "verify")
    do("08:30", "dispatcher", "D", "dispatch", payload={"department_code": "SANITATION"})
    do("08:40", "sanitation", "D", "accept")
    do("08:40", "shift_lead", "P", "register")
    do("09:00", "sanitation", "A", "resolve")
    do("09:00", "sanitation", "B", "resolve")
    do("09:10", "worker_a", "A", "check_pass")
    do("09:20", "shift_lead", "A", "close")
    do("09:20", "worker_a", "B", "check_fail", reason="还有垃圾没清")
    do("09:30", "shift_lead", "Q", "register")
    do("09:40", "dispatcher", "Q", "request_void", reason="重复来电")
    do("09:45", "shift_lead", "Q", "approve_void")
    do("09:50", "dispatcher", "P", "dispatch", payload={"department_code": "ENFORCEMENT"})
    do("10:00", "sanitation", "D", "resolve")
    do("10:00", "enforcement", "P", "request_return", reason="不属于本单位职责")
    do("10:05", "dispatcher", "P", "approve_return")
    do("10:40", "worker_a", "D", "check_pass")
    do("11:50", "shift_lead", "D", "close")
    do("16:00", "sanitation", "B", "resolve")
    do("16:10", "worker_a", "B", "check_pass")
    do("16:20", "shift_lead", "B", "close")
    return ids


@pytest.fixture
def seeded(api: Api, clock, engine):  # noqa: ANN001, ANN201
    from sqlmodel import Session

    from grid.models import Role
    from grid.people import create_user
    from web.auth import issue_token

    with Session(engine) as s:  # ENFORCEMENT needs a clerk to return its case
        user = create_user(session=s, username="enforcement", role=Role.department, department_code="ENFORCEMENT")
        api.tokens["enforcement"] = issue_token(session=s, user=user)
        s.commit()
    return seed(api, clock)


def scores(api: Api, obj: str, period: str = DAY) -> dict:
    return ok(api.get("supervisor", "/api/v1/evaluation/scores", params={"object": obj, "period": period}))


def by_subject(page: dict) -> dict[str, dict]:
    return {item["subject"]: {**item, "f": {f["key"]: f for f in item["indicators"]}} for item in page["items"]}


def fig(item: dict, key: str) -> tuple:
    f = item["f"][key]
    return f["numerator"], f["denominator"]


def test_a_seeded_day_counts_scores_and_grades_as_worked_out_by_hand(api: Api, clock, seeded, city):
    page = scores(api, "department")
    assert page["scheme"]["version"] == 1 and page["period"]["from"] == DAY and page["period"]["to"] == DAY
    san = by_subject(page)["SANITATION"]
    assert san["f"]["cases"]["value"] == 4  # A B C D
    assert fig(san, "closure_rate") == (3, 4)  # A B D closed; C still being handled
    assert fig(san, "on_time_rate") == (3, 4)  # A, B (first), D on time; B's second handling late
    assert fig(san, "rework_rate") == (1, 3)  # of A B D handled, B sent back
    # 10 (4 cases ≤ 50) + 30 × 3/4 + 30 × 3/4 + 30 × (1 − 1/3) = 10 + 22.5 + 22.5 + 20
    assert san["score"] == 75.0 and san["grade"] == "B"
    enf = by_subject(page)["ENFORCEMENT"]
    assert enf["f"]["returns"]["value"] == 1 and enf["f"]["cases"]["value"] == 1
    assert enf["score"] is None and enf["grade"] is None  # its one case went back: nothing to rate it on
    assert page["items"][0]["subject"] == "SANITATION"  # the best first, the unscored last

    assert by_subject(scores(api, "district"))[STREET[:6]]["score"] == 72.5  # the district holds only this street
    street = by_subject(scores(api, "street"))[STREET]
    assert street["f"]["cases"]["value"] == 6
    assert fig(street, "closure_rate") == (3, 4)  # P went back, Q was withdrawn: not due to close
    assert fig(street, "on_time_close_rate") == (2, 3)  # B's last handling was late
    per_cell = street["f"]["cases_per_cell"]
    assert per_cell["value"] == pytest.approx(0.5) and per_cell["points"] == 10  # 6 cases in 12 cells
    assert fig(street, "public_found_rate") == (2, 6)  # P (citizen) and Q (hotline)
    # 10 + 30 × 3/4 + 30 × 2/3 + 30 × (1 − 1/3) = 10 + 22.5 + 20 + 20
    assert street["score"] == 72.5 and street["grade"] == "C"

    users = {u: str(city.actors[u].user_id) for u in ("worker_a", "shift_lead", "dispatcher", "operator")}
    worker = by_subject(scores(api, "worker"))[users["worker_a"]]
    assert worker["f"]["reports"]["value"] == 4
    assert fig(worker, "valid_report_rate") == (4, 4)
    assert fig(worker, "verify_on_time_rate") == (2, 2)  # P 08:20, Q 08:25
    assert fig(worker, "check_on_time_rate") == (3, 4)  # D's check late
    assert fig(worker, "missed_rate") == (2, 6)  # P and Q found by the public, A B C D by the worker
    # 40 × 1 + 20 × (1 − 1/3) + 20 × 1 + 20 × 3/4 = 40 + 13.33 + 20 + 15
    assert worker["score"] == 88.33 and worker["grade"] == "B"

    lead = by_subject(scores(api, "shift_lead"))[users["shift_lead"]]
    assert fig(lead, "register_on_time_rate") == (1, 2)  # P on time, Q late
    assert fig(lead, "accurate_register_rate") == (1, 2)  # Q withdrawn
    assert fig(lead, "close_on_time_rate") == (2, 3)  # D's close late
    assert lead["score"] == 55.83 and lead["grade"] == "D"  # 25 × 1/2 + 40 × 1/2 + 35 × 2/3

    disp = by_subject(scores(api, "dispatcher"))[users["dispatcher"]]
    assert disp["f"]["dispatches"]["value"] == 2 and disp["f"]["dispatches"]["points"] == 4  # D and P: fewer than 20
    assert fig(disp, "dispatch_on_time_rate") == (1, 2)  # P late
    assert fig(disp, "accurate_dispatch_rate") == (1, 2)  # P returned
    assert disp["score"] == 44.0 and disp["grade"] == "D"  # 4 + 40 × 1/2 + 40 × 1/2

    op = by_subject(scores(api, "operator"))[users["operator"]]
    assert op["f"]["intake"]["value"] == 1 and op["f"]["intake"]["points"] == 5
    assert fig(op, "valid_intake_rate") == (1, 1)  # Q was registered (then withdrawn)
    assert op["f"]["callback_rate"]["denominator"] == 0 and op["f"]["callback_rate"]["points"] is None
    assert op["score"] == 80.0 and op["grade"] == "B"  # 5 + 40 × 1 standing for the 75 of both rates

    # every figure drills down to its cases: the 4 handlings, B's second one marked
    cases = ok(api.get("supervisor", "/api/v1/evaluation/cases", params={
        "object": "department", "subject": "SANITATION", "indicator": "on_time_rate", "period": DAY}))
    assert (cases["numerator"], cases["denominator"]) == (3, 4)
    marks = sorted((c["id"], c["hit"]) for c in cases["items"])
    assert marks == sorted([(seeded["A"], True), (seeded["B"], True), (seeded["B"], False), (seeded["D"], True)])

    # the same day counted again after more events (the next day) gives the same figures
    before = {o: scores(api, o) for o in ("department", "street", "worker", "shift_lead", "dispatcher", "operator")}
    at(clock, "09:00", day=24)
    ok(api.resolve("sanitation", seeded["C"]))  # late: due 14:10 the day before
    at(clock, "09:10", day=24)
    ok(api.act("worker_a", seeded["C"], "check_pass"))
    ok(api.act("shift_lead", seeded["C"], "close"))
    ok(api.act("dispatcher", seeded["P"], "dispatch", payload={"department_code": "SANITATION"}))
    again = {o: scores(api, o) for o in before}
    for o in before:
        assert again[o]["items"] == before[o]["items"], o
    # the next day's closure: C, closed (late) that day, counts; P, dispatched that day, is not due before the
    # 25th (16 working hours): not yet due to close
    day2 = by_subject(scores(api, "department", "2026-11-24"))["SANITATION"]
    assert fig(day2, "closure_rate") == (1, 1) and day2["f"]["cases"]["value"] == 1


def test_a_poor_grade_opens_a_rectification_that_closes_with_an_account(api: Api, clock, seeded):
    """Day 2: SANITATION's one handling (C) is late: 10 + (0 × 30 + 1 × 30) standing for 90 = 55, grade D, and
    its on-time rate 0 is under the scheme's 0.8: two items; day 1's on-time rate (3/4) opened one too."""
    at(clock, "09:00", day=24)
    ok(api.resolve("sanitation", seeded["C"]))
    assert api.post("supervisor", "/api/v1/evaluation/rectifications/open",
                    params={"period": "2026-11-24"}).json()["error"] == "period_not_over"
    at(clock, "08:00", day=25)
    day1 = ok(api.post("supervisor", "/api/v1/evaluation/rectifications/open", params={"period": DAY}))
    assert [(i["object"], i["subject"], i["reason"], i["value"]) for i in day1] == [
        ("department", "SANITATION", "on_time_rate", 0.75)]
    assert ok(api.post("supervisor", "/api/v1/evaluation/rectifications/open", params={"period": DAY})) == []
    day2 = ok(api.post("supervisor", "/api/v1/evaluation/rectifications/open", params={"period": "2026-11-24"}))
    assert sorted((i["subject"], i["reason"], i["grade"], i["score"]) for i in day2) == [
        ("SANITATION", "grade", "D", 55.0), ("SANITATION", "on_time_rate", "D", 55.0)]
    assert day2[0]["due_on"] == "2026-12-09"  # 15 days after the period

    listed = ok(api.get("sanitation", "/api/v1/evaluation/rectifications"))  # the owner sees its own
    first = next(i for i in listed if i["period"] == DAY)
    assert first["next"] == {"period": "2026-11-24", "score": 55.0, "grade": "D", "value": 0.0}  # beside it
    assert api.get("water", "/api/v1/evaluation/rectifications").json() == []
    short = api.post("sanitation", f"/api/v1/evaluation/rectifications/{first['id']}/close", json={"account": "好"})
    assert short.status_code == 422 and short.json()["error"] == "account_too_short"
    assert api.post("water", f"/api/v1/evaluation/rectifications/{first['id']}/close",
                    json={"account": "已增加人手，每日两次巡查"}).status_code == 404
    closed = ok(api.post("sanitation", f"/api/v1/evaluation/rectifications/{first['id']}/close",
                         json={"account": "已增加人手，每日两次巡查，超时案件每日通报"}))
    assert closed["state"] == "closed" and closed["closed_by"] == "sanitation"
    assert first["id"] not in [i["id"] for i in ok(api.get("supervisor", "/api/v1/evaluation/rectifications"))]
    assert api.post("sanitation", f"/api/v1/evaluation/rectifications/{first['id']}/close",
                    json={"account": "再次说明整改情况如下"}).status_code == 409


def test_the_scheme_is_versioned_data_and_a_period_keeps_the_version_in_force(api: Api, clock):
    schemes = ok(api.get("admin", "/api/v1/evaluation/schemes"))
    body = schemes[0]["body"]
    assert schemes[0]["version"] == 1 and body["grades"] == {"A": 90, "B": 75, "C": 60, "D": 40}
    stricter = {**body, "grades": {"A": 95, "B": 85, "C": 70, "D": 50}}
    today = clock.now.astimezone(SH).date()
    late = api.post("admin", "/api/v1/evaluation/schemes", json={
        "valid_from": (today - timedelta(days=1)).isoformat(), "body": stricter})
    assert late.status_code == 422 and late.json()["error"] == "scheme_retroactive"
    broken = {**body, "objects": {**body["objects"], "dispatcher": {"indicators": [{"key": "dispatches_made"}]}}}
    bad = api.post("admin", "/api/v1/evaluation/schemes", json={"valid_from": today.isoformat(), "body": broken})
    assert bad.status_code == 422 and "dispatches_made" in bad.json()["message"]
    uneven = {**body, "objects": {**body["objects"], "shift_lead": {"indicators": [
        {"key": "register_on_time_rate", "weight": 50}]}}}
    bad = api.post("admin", "/api/v1/evaluation/schemes", json={"valid_from": today.isoformat(), "body": uneven})
    assert bad.status_code == 422 and "100" in bad.json()["message"]
    assert api.post("supervisor", "/api/v1/evaluation/schemes",
                    json={"valid_from": today.isoformat(), "body": stricter}).status_code == 403

    made = ok(api.post("admin", "/api/v1/evaluation/schemes", json={
        "valid_from": (today + timedelta(days=1)).isoformat(), "body": stricter, "note": "2027 考核办法"}))
    assert made["version"] == 2
    assert scores(api, "department", today.isoformat())["scheme"]["version"] == 1  # today keeps version 1
    assert scores(api, "department", (today + timedelta(days=1)).isoformat())["scheme"]["version"] == 2
    log = ok(api.get("admin", "/api/v1/security-events", params={"kind": "evaluation_scheme_change"}))
    assert log[0]["subject"] == "evaluation_scheme:2"

    assert api.get("sanitation", "/api/v1/evaluation/scores", params={"object": "department",
                                                                      "period": DAY}).status_code == 403
    wrong = api.get("supervisor", "/api/v1/evaluation/scores", params={"object": "department", "period": "2026-13"})
    assert wrong.status_code == 422 and wrong.json()["error"] == "period_invalid"
    for far in ("0001-01", "9999", "0001-01-01..0001-01-02"):  # (dates the time zone cannot convert)
        wrong = api.get("supervisor", "/api/v1/evaluation/scores", params={"object": "street", "period": far})
        assert wrong.status_code == 422 and wrong.json()["error"] == "period_out_of_range", far
    csv = api.get("supervisor", "/api/v1/evaluation/scores.csv", params={"object": "department", "period": DAY})
    assert csv.status_code == 200 and csv.content.startswith("\ufeff对象,名称,得分,等级".encode())


def test_the_cli_scores_drills_down_edits_the_scheme_and_rectifies(api: Api, clock, seeded, gridops, tmp_path):
    out = tmp_path / "scores.csv"
    result = gridops("evaluation", "scores", "department", DAY, "--out", out)
    assert result.exit_code == 0, result.output
    rows = {r[0]: r for r in (line.split(",") for line in out.read_text(encoding="utf-8-sig").splitlines()[1:])}
    assert rows["SANITATION"][2:4] == ["75.0", "B"]
    book = tmp_path / "scores.xlsx"
    assert gridops("evaluation", "scores", "street", DAY, "--out", book, "--lang", "en").exit_code == 0
    from openpyxl import load_workbook

    sheet = list(load_workbook(book).active.values)
    assert sheet[0][:4] == ("subject", "name", "score", "grade") and (sheet[1][0], sheet[1][2]) == (STREET, 72.5)
    result = gridops("evaluation", "cases", "department", "SANITATION", "on_time_rate", DAY)
    assert result.exit_code == 0 and "on_time_rate: 3/4" in result.output and result.output.count("✗") == 1
    assert gridops("evaluation", "scores", "department", "2026-13").exit_code == 1

    scheme = tmp_path / "scheme.json"
    assert gridops("evaluation", "scheme", "--out", scheme).exit_code == 0
    result = gridops("evaluation", "scheme-save", str(scheme), "--from", "2026-11-24", "--note", "同上")
    assert result.exit_code == 0 and "version 2 saved" in result.output, result.output
    result = gridops("evaluation", "scheme-save", str(scheme), "--from", "2026-11-01")
    assert result.exit_code == 1 and "today" in result.output

    at(clock, "08:00", day=24)
    result = gridops("evaluation", "rectify", DAY)
    assert result.exit_code == 0 and "SANITATION" in result.output and "1 items opened" in result.output
    listed = gridops("evaluation", "items")
    assert "on_time_rate" in listed.output
    item = ok(api.get("supervisor", "/api/v1/evaluation/rectifications"))[0]["id"]
    assert gridops("evaluation", "close-item", str(item), "--account", "短").exit_code == 1
    assert gridops("evaluation", "close-item", str(item), "--account", "已调整排班，超时案件每日通报").exit_code == 0
    assert ok(api.get("supervisor", "/api/v1/evaluation/rectifications")) == []


def test_the_scheduler_opens_last_months_items_once_the_month_is_over(api: Api, clock, seeded, engine):
    from web.background.scheduler import SlaScheduler

    scheduler = SlaScheduler(engine)
    assert scheduler.rectify_once() == 0  # November is not over: October had nothing to rectify
    clock.set(datetime(2026, 12, 1, 1, 0, tzinfo=SH))
    assert scheduler.rectify_once() == 1  # November: SANITATION's on-time rate 3/4 is under 0.8
    assert SlaScheduler(engine).rectify_once() == 0  # another process, or a restart: nothing twice
    items = ok(api.get("supervisor", "/api/v1/evaluation/rectifications"))
    assert [(i["period"], i["subject"], i["reason"]) for i in items] == [("2026-11", "SANITATION", "on_time_rate")]


def test_scoring_reads_without_holding_up_the_writers_on_sqlite(engine, database_url, city):
    """On SQLite every transaction takes the write lock at BEGIN (web.db), except a reading one: a month scored
    (seconds at a city's size) must not make a report wait for it."""
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's readers never block its writers")
    from sqlalchemy import text
    from sqlmodel import Session

    from dispatch.evaluation import periods
    from dispatch.evaluation.scores import evaluate
    from web.db import reading

    with Session(engine) as reader:
        evaluate(session=reading(reader), obj="department", period=periods.parse(DAY, SH))  # its transaction is open
        with engine.connect() as writer:
            writer.exec_driver_sql("PRAGMA busy_timeout=100")  # a writer held up would fail within 0.1 s
            try:
                writer.execute(text("UPDATE department SET phone = '021-1' WHERE code = 'SANITATION'"))
                writer.commit()
            finally:
                writer.exec_driver_sql("PRAGMA busy_timeout=30000")
