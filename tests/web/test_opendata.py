"""Open data (issue 15, 数据开放): which cases the public gets (closed ones at once, the others once a week old;
never void, merged or rejected ones), exactly the documented fields, the location at the cell's centroid,
statistics computed by hand for a small period, the cache's ETag (304), the rate limit (429) and a refused
period (422). And privacy: markers planted in every personal or free-text field (descriptions, addresses,
reasons, ratings' comments, reporters' names and numbers, staff user names) appear in no answer at all."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from dispatch.models import Status, Ticket
from dispatch.opendata import FIELDS
from grid.models import Role
from grid.people import create_user
from tests.support.city import COMMUNITY_A, COMMUNITY_B, DISTRICT, STREET, Api, cell_centre, cell_code
from web.app import create_app
from web.auth import issue_token
from web.settings import Settings

SH = ZoneInfo("Asia/Shanghai")
PERIOD = {"from": "2026-11-23", "to": "2026-12-01"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Many requests from the one test client, and several public reports."""
    return settings.model_copy(update={"public_requests_per_minute": 100_000, "public_reports_per_hour": 1000})


def ok(answer) -> dict:  # noqa: ANN001
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def worker_case(api: Api, worker: str, community: str, k: int) -> int:
    """A grid worker's report: registered and dispatched to SANITATION at once (the city's rule)."""
    return ok(api.report(worker, community, k))["ticket"]["id"]


def handle_and_close(api: Api, tid: int, worker: str, clock=None, **late) -> None:  # noqa: ANN001, ANN003
    ok(api.act("sanitation", tid, "accept"))
    if late:
        clock.advance(**late)
    ok(api.resolve("sanitation", tid))
    ok(api.act(worker, tid, "check_pass"))
    ok(api.act("shift_lead", tid, "close", payload={"close_type": "normal"}))


def seed(api: Api, engine, clock) -> dict[str, int]:  # noqa: ANN001
    """11-23 08:00: A (closed on time), B (left open); 11-24 09:00: D (handled a day late, closed), V (void);
    12-01 10:00: C (open, a day old). B is then 8 days old."""
    ids = {"A": worker_case(api, "worker_a", COMMUNITY_A, 1), "B": worker_case(api, "worker_a", COMMUNITY_A, 2)}
    handle_and_close(api, ids["A"], "worker_a")
    clock.set(datetime(2026, 11, 24, 9, tzinfo=SH))
    ids["D"] = worker_case(api, "worker_b", COMMUNITY_B, 1)
    ids["V"] = worker_case(api, "worker_b", COMMUNITY_B, 2)
    handle_and_close(api, ids["D"], "worker_b", clock, days=1, hours=8)
    with Session(engine) as s:
        s.get(Ticket, ids["V"]).status = Status.void
        s.commit()
    clock.set(datetime(2026, 12, 1, 10, tzinfo=SH))
    ids["C"] = worker_case(api, "worker_a", COMMUNITY_A, 3)
    return ids


def numbers(engine, ids: dict[str, int]) -> dict[str, str]:  # noqa: ANN001
    with Session(engine) as s:
        return {s.get(Ticket, tid).case_number: name for name, tid in ids.items()}


def read_csv(client: TestClient, **query) -> list[dict]:  # noqa: ANN003
    answer = client.get("/open/v1/cases.csv", params=query)
    assert answer.status_code == 200, answer.text
    assert answer.content.startswith("\ufeff".encode()) and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == list(FIELDS)
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_closed_cases_at_once_open_ones_after_a_week_never_void_ones(api: Api, engine, clock):
    names = numbers(engine, seed(api, engine, clock))
    rows = read_csv(api.client, **PERIOD)
    assert sorted(names[r["case_number"]] for r in rows) == ["A", "B", "D"]
    by = {names[r["case_number"]]: r for r in rows}
    assert by["A"]["public_status"] == "已办结" and by["A"]["public_status_en"] == "Done"
    assert by["A"]["on_time"] == "true" and by["D"]["on_time"] == "false" and by["B"]["on_time"] == ""
    assert by["A"]["created_date"] == "2026-11-23" and by["A"]["closed_date"] == "2026-11-23"
    assert by["D"]["created_date"] == "2026-11-24" and by["D"]["closed_date"] == "2026-11-25"
    assert by["B"]["closed_date"] == "" and by["B"]["public_status"] == "处理中"
    assert by["A"]["category_code"] == "E0101" and by["A"]["category_name"] and by["A"]["category_name_en"]
    assert (by["D"]["district_code"], by["D"]["street_code"], by["D"]["community_code"], by["D"]["cell_code"]) == (
        DISTRICT, STREET, COMMUNITY_B, cell_code(COMMUNITY_B, 1))
    lng, lat = cell_centre(COMMUNITY_B, 1)
    assert (float(by["D"]["lng"]), float(by["D"]["lat"])) == (round(lng, 6), round(lat, 6))

    geo = ok(api.client.get("/open/v1/cases.geojson", params=PERIOD))
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 3
    for feature in geo["features"]:
        assert set(feature["properties"]) == set(FIELDS) - {"lng", "lat"}
        cell = feature["properties"]["cell_code"]
        expected = cell_centre(cell[:12], int(cell[12:]))
        assert feature["geometry"]["coordinates"] == pytest.approx(list(expected), abs=1e-6)
    # filters: a community, a cell, a category prefix; the day C was reported, alone, is empty (C is a day old)
    assert {names[r["case_number"]] for r in read_csv(api.client, **PERIOD, area=COMMUNITY_A)} == {"A", "B"}
    assert {names[r["case_number"]] for r in read_csv(api.client, **PERIOD, area=cell_code(COMMUNITY_A, 2))} == {"B"}
    assert len(read_csv(api.client, **PERIOD, category="e01")) == 3
    assert read_csv(api.client, **PERIOD, category="C") == []
    assert read_csv(api.client, **{"from": "2026-12-01", "to": "2026-12-01"}) == []


def test_stats_are_the_periods_figures(api: Api, engine, clock):
    seed(api, engine, clock)
    stats = ok(api.client.get("/open/v1/stats", params=PERIOD))
    # A, B, D: reported 3, closed 2 (A, D), handled 2 (A on time, D late)
    assert (stats["reported"], stats["closed"], stats["handled"], stats["on_time"]) == (3, 2, 2, 1)
    assert stats["closure_rate"] == 0.6667 and stats["on_time_rate"] == 0.5
    assert stats["from"] == "2026-11-23" and stats["to"] == "2026-12-01" and stats["min_age_days"] == 7
    [category] = stats["categories"]
    assert category["code"] == "E0101" and category["reported"] == 3 and category["name"]
    assert [(s["code"], s["reported"], s["closed"]) for s in stats["streets"]] == [(STREET, 3, 2)]
    assert stats["days"] == [{"date": "2026-11-23", "reported": 2, "closed": 1},
                             {"date": "2026-11-24", "reported": 1, "closed": 1}]
    community = ok(api.client.get("/open/v1/stats", params={**PERIOD, "area": COMMUNITY_B}))
    assert (community["reported"], community["on_time_rate"]) == (1, 0.0)
    empty = ok(api.client.get("/open/v1/stats", params={**PERIOD, "category": "C01"}))
    assert empty["reported"] == 0 and empty["closure_rate"] is None and empty["days"] == []


def test_answers_are_cached_with_an_etag(api: Api, engine, clock):
    seed(api, engine, clock)
    for url in ("/open/v1/stats", "/open/v1/cases.csv", "/open/v1/cases.geojson"):
        first = api.client.get(url, params=PERIOD)
        assert first.status_code == 200 and first.headers["etag"].startswith('"')
        assert first.headers["cache-control"].startswith("public, max-age=")
        again = api.client.get(url, params=PERIOD, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == first.headers["etag"]
        other = api.client.get(url, params=PERIOD, headers={"If-None-Match": '"something-else"'})
        assert other.status_code == 200 and other.content == first.content
    # computed once per query within the cache time: a case closed meanwhile shows later, not now
    before = api.client.get("/open/v1/stats", params=PERIOD).json()
    with Session(engine) as s:
        s.exec(select(Ticket).where(Ticket.status == Status.dispatched)).first().status = Status.void
        s.commit()
    assert api.client.get("/open/v1/stats", params=PERIOD).json() == before


def test_a_bad_period_or_filter_is_refused(api: Api):
    for query, code in (({"from": "2026-12-02", "to": "2026-12-01"}, "bad_period"),
                        ({"from": "2025-01-01", "to": "2026-12-01"}, "period_too_long")):
        for url in ("/open/v1/stats", "/open/v1/cases.csv", "/open/v1/cases.geojson"):
            answer = api.client.get(url, params=query)
            assert answer.status_code == 422 and answer.json()["error"] == code, answer.text
            assert "period" in answer.json()["message"]
    for query in ({"from": "2026-13-01"}, {"category": "E1"}, {"area": "3101"}, {"area": "31010100100"}):
        assert api.client.get("/open/v1/stats", params=query).status_code == 422, query
    assert ok(api.client.get("/open/v1/stats", params={"from": "2025-12-01", "to": "2026-12-01"}))["reported"] == 0


def test_open_data_is_rate_limited_per_address(engine, city, settings):  # noqa: ANN001
    tight = settings.model_copy(update={"public_requests_per_minute": 3})
    with TestClient(create_app(tight)) as client:
        answers = [client.get(url) for url in ("/open/v1/stats", "/open/v1/cases.csv", "/open/v1/cases.geojson",
                                               "/open/v1/stats")]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert int(answers[-1].headers["Retry-After"]) > 0 and answers[-1].json()["error"] == "rate_limited"


# --- privacy -------------------------------------------------------------------------------------------

MARKERS = {
    "description": "MARKER_DESC_5f2a", "address": "MARKER_ADDR_77c1", "contact_name": "MARKER_NAME_e9b0",
    "contact_phone": "13955501234", "user": "MARKER_USER_x", "display": "MARKER_DISPLAY_41", "reason":
    "MARKER_REASON_0d3", "rating": "MARKER_RATING_c4", "verify": "MARKER_VERIFY_9a",
}


def test_no_personal_data_or_free_text_in_any_open_answer(api: Api, engine, clock):
    with Session(engine) as s:  # a department user whose name and display name are markers
        user = create_user(session=s, username=MARKERS["user"], role=Role.department,
                           display_name=MARKERS["display"], department_code="SANITATION")
        token = issue_token(session=s, user=user)
        s.commit()
    api.tokens = {**api.tokens, "marker": token}
    lng, lat = cell_centre(COMMUNITY_A, 2)
    tracking = []
    for k in range(2):
        made = ok(api.client.post("/public/v1/reports", json={
            "lat": lat, "lng": lng, "category_code": "E0101", "description": f"{MARKERS['description']} {k}",
            "address": MARKERS["address"], "contact_name": MARKERS["contact_name"],
            "contact_phone": MARKERS["contact_phone"], "client_id": f"marker-{k}"}))
        tracking.append(made["tracking_token"])
        with Session(engine) as s:
            tid = s.exec(select(Ticket.id).where(Ticket.case_number == made["case_number"])).one()
        ok(api.act("worker_a", tid, "verify", reason=MARKERS["verify"]))
        ok(api.act("shift_lead", tid, "register", reason=MARKERS["reason"]))
        ok(api.act("dispatcher", tid, "dispatch", payload={"department_code": "SANITATION"},
                   reason=MARKERS["reason"]))
        ok(api.act("marker", tid, "accept", reason=MARKERS["reason"]))
        ok(api.resolve("marker", tid, reason=MARKERS["reason"]))
        ok(api.act("worker_a", tid, "check_pass", reason=MARKERS["reason"]))
        ok(api.act("shift_lead", tid, "close", payload={"close_type": "normal"}, reason=MARKERS["reason"]))
    ok(api.client.post(f"/public/v1/track/{tracking[0]}/rating", json={"level": "satisfied",
                                                                       "comment": MARKERS["rating"]}))
    worker_case(api, "worker_b", COMMUNITY_B, 4)  # an open one, too young
    clock.advance(days=8)  # … and now old enough
    with Session(engine) as s:  # the markers are in the record
        assert s.exec(select(Ticket).where(Ticket.contact_name == MARKERS["contact_name"])).first() is not None

    periods = [{}, PERIOD, {"from": "2026-11-23", "to": "2026-11-23"}, {"from": "2026-01-01"},
               {"to": "2026-11-30"}, {"from": "2025-12-02", "to": "2026-12-02"}]
    filters = [{}, {"category": "E"}, {"category": "E01"}, {"category": "e0101"}, {"category": "C"},
               {"area": DISTRICT}, {"area": STREET}, {"area": COMMUNITY_A}, {"area": cell_code(COMMUNITY_A, 2)},
               {"area": COMMUNITY_B}]
    bodies = 0
    for url in ("/open/v1/stats", "/open/v1/cases.csv", "/open/v1/cases.geojson"):
        for when in periods:
            for which in filters:
                answer = api.client.get(url, params={**when, **which})
                assert answer.status_code == 200, answer.text
                seen = answer.content.decode("utf-8-sig") + json.dumps(dict(answer.headers))
                found = [m for m in MARKERS.values() if m in seen or m.lower() in seen.lower()]
                assert found == [], (url, when, which, found)
                bodies += bool(answer.content.strip(b"\xef\xbb\xbf\r\n"))
    assert bodies == 3 * len(periods) * len(filters)
    published = read_csv(api.client, **PERIOD)
    assert len(published) == 3 and {r["public_status"] for r in published} == {"已办结", "处理中"}
