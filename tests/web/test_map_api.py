"""The control-room map's compact endpoints: every open case with its light for the markers (or, past the
limit, how many there are: the cases in a box), the cells and higher areas as delta-encoded rings, the
caller's scope, and clear 4xx answers for bad parameters."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.support.city import COMMUNITY_A, COMMUNITY_B, X0, Y0, D, cell_code

SH = ZoneInfo("Asia/Shanghai")
ORDER = {"red": 0, "yellow": 1, "green": 2}


def rows(response) -> list[dict]:  # noqa: ANN001
    assert response.status_code == 200, response.text
    body = response.json()
    return [dict(zip(body["fields"], row, strict=True)) for row in body["rows"]]


def decode(ring: list[int], scale: int) -> list[tuple[float, float]]:
    points, x, y = [], 0, 0
    for i in range(0, len(ring), 2):
        x, y = x + ring[i], y + ring[i + 1]
        points.append((x / scale, y / scale))
    return points


def test_open_cases_with_their_lights_and_the_same_light_as_the_ticket_api(api, clock):
    dispatched = api.report("worker_a").json()["ticket"]["id"]  # rule: SANITATION, dispatched at once
    waiting = api.report("worker_b", community=COMMUNITY_B, k=2, category_code="E0601",
                         description="无主杂物").json()["ticket"]["id"]  # no rule: waits for dispatch
    closed = api.report("worker_a", k=2).json()["ticket"]["id"]
    api.act("dispatcher", closed, "request_void", reason="重复上报")
    api.act("shift_lead", closed, "approve_void")
    clock.set(datetime(2026, 11, 23, 8, 50, tzinfo=SH))  # 50 of 60 working minutes: yellow

    found = {r["id"]: r for r in rows(api.get("dispatcher", "/api/v1/map/cases"))}
    assert set(found) == {dispatched, waiting}  # the void case is not open
    case = found[waiting]
    assert case["status"] == "registered" and case["category"] == "E0601" and case["department"] is None
    assert case["suggested_department"] == "STREET_OFFICE" and case["cell"] == cell_code(COMMUNITY_B, 2)
    assert case["light"] == "yellow" and case["remaining_s"] == 600
    assert found[dispatched]["department"] == "SANITATION"
    for tid in (dispatched, waiting):
        sla = api.get("dispatcher", f"/api/v1/tickets/{tid}").json()["sla"]
        assert found[tid]["light"] == sla["light"]
        assert found[tid]["remaining_s"] == round(sla["remaining_s"])
        assert found[tid]["due"] == int(datetime.fromisoformat(sla["due_at"]).timestamp())

    clock.set(datetime(2026, 11, 23, 9, 30, tzinfo=SH))
    assert {r["id"]: r["light"] for r in rows(api.get("dispatcher", "/api/v1/map/cases"))}[waiting] == "red"
    assert [r["id"] for r in rows(api.get("dispatcher", "/api/v1/map/cases?light=red&category=E06"))] == [waiting]


def test_filters_and_ids_for_catching_up(api, clock):
    a = api.report("worker_a").json()["ticket"]["id"]
    b = api.report("worker_b", community=COMMUNITY_B, k=1, category_code="C0101", description="井盖缺失",
                   urgency="urgent").json()["ticket"]["id"]
    assert [r["id"] for r in rows(api.get("dispatcher", "/api/v1/map/cases?category=C"))] == [b]
    assert [r["id"] for r in rows(api.get("dispatcher", "/api/v1/map/cases?urgency=urgent"))] == [b]
    assert [r["id"] for r in rows(api.get("dispatcher", f"/api/v1/map/cases?area={COMMUNITY_A}"))] == [a]
    assert [r["id"] for r in rows(api.get("dispatcher", "/api/v1/map/cases?department=WATER"))] == [b]
    assert [r["id"] for r in rows(api.get("dispatcher", "/api/v1/map/cases?status=dispatched,accepted"))] == [a, b]
    api.act("sanitation", a, "accept")
    api.resolve("sanitation", a, reason="已清运")
    api.act("worker_a", a, "check_pass")
    api.act("shift_lead", a, "close")
    # the snapshot names the newest event it includes: a live client resumes from there
    snapshot = api.get("dispatcher", "/api/v1/map/cases").json()["last_event_id"]
    assert snapshot > 0
    api.act("supervisor", b, "urge", reason="尽快处理")
    assert api.get("dispatcher", "/api/v1/map/cases").json()["last_event_id"] > snapshot
    # a live client asks for the cases an event named: closed ones come back too, with no light
    caught = {r["id"]: r for r in rows(api.get("dispatcher", f"/api/v1/map/cases?ids={a},{b}"))}
    assert caught[a]["status"] == "closed" and caught[a]["light"] is None
    assert caught[b]["status"] == "dispatched" and caught[b]["light"] in ("green", "yellow", "red")


def test_scope_a_department_sees_only_its_own(api):
    mine = api.report("worker_a").json()["ticket"]["id"]
    api.report("worker_b", community=COMMUNITY_B, k=1, category_code="C0101", description="井盖缺失")
    assert [r["id"] for r in rows(api.get("sanitation", "/api/v1/map/cases"))] == [mine]
    stats = api.get("sanitation", "/api/v1/map/cells?stats=true").json()["stats"]
    assert stats == {cell_code(COMMUNITY_A, 1): [1, "green"]}


def test_cells_with_stats_are_the_same_gzipped_or_not(api):
    """The geometry is compressed once and only the stats anew (a copied compressor): the gzipped answer
    must decode to exactly the plain one."""
    api.report("worker_a", k=1)
    zipped, plain = (api.client.get("/api/v1/map/cells?stats=true",
                                    headers={**api.as_("dispatcher"), "Accept-Encoding": encoding})
                     for encoding in ("gzip", "identity"))
    assert zipped.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
    assert zipped.json() == plain.json() and plain.json()["stats"] == {cell_code(COMMUNITY_A, 1): [1, "green"]}
    assert len(plain.json()["codes"]) == 12


def test_cells_as_compact_rings_with_counts(api):
    api.report("worker_a", k=1)
    api.report("worker_a", k=1, category_code="E0102", description="道路不洁")
    r = api.get("dispatcher", "/api/v1/map/cells")
    assert r.status_code == 200 and r.headers["etag"]
    body = r.json()
    assert body["level"] == "cell" and body["count"] == 12 and len(body["codes"]) == len(body["geoms"]) == 12
    i = body["codes"].index(cell_code(COMMUNITY_A, 1))
    ring = decode(body["geoms"][i][0][0], body["scale"])
    xs, ys = sorted({round(x, 6) for x, _ in ring}), sorted({round(y, 6) for _, y in ring})
    assert len(ring) == 4 and xs == [X0, round(X0 + D, 6)] and ys == [Y0, round(Y0 + D, 6)]
    # unchanged geometry: the browser's copy is still good
    again = api.client.get("/api/v1/map/cells", headers={**api.as_("dispatcher"), "If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    stats = api.get("dispatcher", "/api/v1/map/cells?stats=1").json()["stats"]
    assert stats[cell_code(COMMUNITY_A, 1)][0] == 2
    communities = api.get("dispatcher", "/api/v1/map/cells?level=community&stats=1").json()
    assert communities["codes"] == [COMMUNITY_A, COMMUNITY_B]
    # a community of 2×3 cells is one rectangle: the corners along its edges are simplified away
    assert len(decode(communities["geoms"][0][0][0], communities["scale"])) == 4
    assert communities["stats"] == {COMMUNITY_A: [2, "green"]}
    assert api.get("dispatcher", "/api/v1/map/cells?level=district").json()["codes"] == ["310101"]


def test_compressed_when_asked(api):
    r = api.client.get("/api/v1/map/cells", headers={**api.as_("dispatcher"), "Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip" and r.json()["count"] == 12


@pytest.fixture
def limit_3(api):  # noqa: ANN001, ANN201
    """The server's most cases per /map/cases answer set to 3: a handful of cases is a large city."""
    api.client.app.state.gridops.settings.map_case_limit = 3
    return 3


def box(community: str, cols: range, rows: range = range(2)) -> str:
    """min_lng,min_lat,max_lng,max_lat round the given cell columns and rows of a community."""
    offset = 0 if community == COMMUNITY_A else 3
    return (f"{X0 + (offset + cols.start) * D:.6f},{Y0 + rows.start * D:.6f},"
            f"{X0 + (offset + cols.stop) * D:.6f},{Y0 + rows.stop * D:.6f}")


def test_a_box_holds_the_cases_in_view_and_says_how_many_match(api, clock):
    a1 = api.report("worker_a", k=1).json()["ticket"]["id"]
    a2 = api.report("worker_a", k=2, category_code="E0102", description="道路不洁").json()["ticket"]["id"]
    b = api.report("worker_b", community=COMMUNITY_B, k=1, category_code="C0101",
                   description="井盖缺失").json()["ticket"]["id"]
    body = api.get("dispatcher", "/api/v1/map/cases").json()
    assert (body["total"], body["count"], body["truncated"], body["limit"]) == (3, 3, False, 20_000)
    in_a = api.get("dispatcher", f"/api/v1/map/cases?bbox={box(COMMUNITY_A, range(3))}")
    assert [r["id"] for r in rows(in_a)] == [a1, a2] and in_a.json()["total"] == 2
    only_first = api.get("dispatcher", f"/api/v1/map/cases?bbox={box(COMMUNITY_A, range(1))}")
    assert [r["id"] for r in rows(only_first)] == [a1]
    in_b = api.get("dispatcher", f"/api/v1/map/cases?bbox={box(COMMUNITY_B, range(3))}&category=C")
    assert [r["id"] for r in rows(in_b)] == [b]
    empty = api.get("dispatcher", f"/api/v1/map/cases?bbox={box(COMMUNITY_B, range(3))}&category=E").json()
    assert (empty["total"], empty["rows"], empty["truncated"]) == (0, [], False)
    # a department sees only its own, in the box too
    assert [r["id"] for r in rows(api.get("sanitation", f"/api/v1/map/cases?bbox={box(COMMUNITY_B, range(3))}"))] == []


def test_more_than_the_limit_is_a_count_without_rows_until_the_box_or_filters_narrow(api, clock, limit_3):
    ids = [api.report("worker_a", k=k).json()["ticket"]["id"] for k in (1, 2, 3)]
    waiting = api.report("worker_b", community=COMMUNITY_B, k=2, category_code="E0601",
                         description="无主杂物").json()["ticket"]["id"]  # no rule: red at 09:00
    body = api.get("dispatcher", "/api/v1/map/cases").json()
    assert (body["total"], body["count"], body["rows"], body["truncated"], body["limit"]) == (4, 0, [], True, 3)
    # a smaller limit asked for
    assert api.get("dispatcher", f"/api/v1/map/cases?limit=2&bbox={box(COMMUNITY_A, range(3))}").json()[
        "truncated"] is True
    assert [r["id"] for r in rows(api.get("dispatcher", f"/api/v1/map/cases?bbox={box(COMMUNITY_A, range(3))}"))] \
        == ids
    # the filters count on the server, the light from the stored instants: as many as the rows say
    everyone = f"/api/v1/map/cases?ids={','.join(map(str, [*ids, waiting]))}"
    seen = set()
    for moment in ((8, 10), (8, 50), (9, 30)):
        clock.set(datetime(2026, 11, 23, *moment, tzinfo=SH))
        lights = Counter(r["light"] for r in rows(api.get("dispatcher", everyone)))
        for light in ("red", "yellow", "green", "none"):
            assert api.get("dispatcher", f"/api/v1/map/cases?light={light}").json()["total"] == lights[light], light
        seen |= set(lights)
    assert {"red", "yellow", "green"} <= seen
    assert [r["id"] for r in rows(api.get("dispatcher", "/api/v1/map/cases?department=-"))] == [waiting]
    # a live client catching up is never cut short
    caught = api.get("dispatcher", everyone).json()
    assert (caught["count"], caught["total"], caught["truncated"]) == (4, 4, False)


@pytest.mark.parametrize("query", ["bbox=1,2,3", "bbox=121.5,31.3,121.4,31.2", "bbox=a,b,c,d",
                                   "bbox=200,0,201,1", "limit=0", "limit=-1", "limit=many", "limit=20001"])
def test_bad_box_or_limit_is_a_clear_422(api, query):
    r = api.get("dispatcher", f"/api/v1/map/cases?{query}")
    assert r.status_code == 422, (query, r.status_code, r.text)
    assert r.json()["message"]


@pytest.mark.parametrize("query", [
    "status=nonsense", "urgency=extreme", "light=blue", "area=31x", "ids=1,a", "ids=-4",
    "created_from=2026-11-23T08:00:00", "category=E0%25", "area=" + "1" * 16,
    "ids=" + ",".join(str(i) for i in range(1, 502)),
])
def test_bad_case_parameters_are_clear_4xx(api, query):
    r = api.get("dispatcher", f"/api/v1/map/cases?{query}")
    assert r.status_code == 422, (query, r.status_code, r.text)
    assert r.json()["message"]


@pytest.mark.parametrize("query", ["level=planet", "within=abc", "bbox=1,2,3", "bbox=10,10,0,0", "stats=maybe"])
def test_bad_cell_parameters_are_clear_4xx(api, query):
    r = api.get("dispatcher", f"/api/v1/map/cells?{query}")
    assert r.status_code == 422, (query, r.status_code, r.text)
    assert r.json()["message"]


def test_sign_in_needed(api):
    assert api.client.get("/api/v1/map/cases").status_code == 401
    assert api.client.get("/api/v1/map/cells").status_code == 401


def test_todays_counters_match_the_case_by_case_timers(api, clock, city, engine):
    """/stats/today counts in SQL from the stored light instants; each count must be what the timers say one
    case at a time (sla.view through tests/support/reference.py), for each caller's scope."""
    from sqlmodel import Session, select

    from dispatch import queries, sla
    from dispatch.models import TERMINAL, Ticket
    from dispatch.scope import visible
    from tests.support import reference

    first = api.report("worker_a").json()["ticket"]["id"]
    api.report("worker_b", community=COMMUNITY_B, k=1, category_code="C0101", description="井盖")
    api.report("worker_b", community=COMMUNITY_B, k=2, category_code="E0601", description="杂物")
    api.act("sanitation", first, "accept")
    clock.set(datetime(2026, 11, 23, 11, 30, tzinfo=SH))
    api.resolve("sanitation", first, reason="ok")
    clock.set(datetime(2026, 11, 23, 16, 10, tzinfo=SH))  # some yellow, some red by now
    start = datetime(2026, 11, 23, tzinfo=SH)
    for user in ("dispatcher", "water", "sanitation"):
        actor = city.actors[user]
        with Session(engine) as session:  # closed before the API is asked (SQLite: one writer at a time)
            open_ids = session.exec(select(Ticket.id).where(visible(actor), Ticket.status.not_in(
                [str(s) for s in TERMINAL]))).all()
            timers = queries.timers_by_ticket(session=session, ticket_ids=list(open_ids))
            views = {tid: [sla.view(session=session, timer=t, now=clock.now) for t in timers.get(tid, [])]
                     for tid in open_ids}
            expected = reference.today_counters(session=session, actor=actor, start=start,
                                              end=datetime(2026, 11, 24, tzinfo=SH), views=views)
        assert api.get(user, "/api/v1/stats/today").json() == expected, user
    counts = api.get("dispatcher", "/api/v1/stats/today").json()
    assert counts["open"] == 3 and counts["yellow"] + counts["red"] >= 1


def test_area_stats_match_a_case_by_case_count(api, clock, city, engine):
    """/map/cells?stats counts from the stored light instants in SQL; each area's count and worst light must
    be what the calendar says case by case (markers, through sla's working-time lights)."""
    from sqlmodel import Session

    from dispatch import markers

    clock.set(datetime(2026, 11, 23, 8, 0, tzinfo=SH))
    cases = [api.report("worker_a", k=1).json()["ticket"]["id"],  # 4 working hours: yellow at 11:12
             api.report("worker_a", k=2, category_code="E0102", description="道路不洁").json()["ticket"]["id"],
             api.report("worker_b", community=COMMUNITY_B, k=1, category_code="C0101",  # 6 natural hours
                        description="井盖").json()["ticket"]["id"]]
    for who, case in zip(("sanitation", "sanitation", "water"), cases, strict=True):
        assert api.act(who, case, "accept").status_code == 200
    clock.set(datetime(2026, 11, 23, 10, 0, tzinfo=SH))
    api.report("worker_a", k=3, category_code="E0601", description="杂物")  # waits in the centre: red at 11:00
    seen = set()
    for moment in ((11, 20), (13, 0), (16, 10)):
        clock.set(datetime(2026, 11, 23, *moment, tzinfo=SH))
        for level, length in (("cell", 15), ("community", 12), ("district", 6)):
            with Session(engine) as session:
                found = markers.markers(session=session, actor=city.actors["dispatcher"],
                                        filters=markers.MarkerFilter(), now=clock.now)
            expected: dict[str, list] = {}
            for m in found:
                entry = expected.setdefault(m.cell_code[:length], [0, "green"])
                entry[0] += 1
                if m.light and ORDER[m.light] < ORDER[entry[1]]:
                    entry[1] = m.light
            got = api.get("dispatcher", f"/api/v1/map/cells?level={level}&stats=1").json()["stats"]
            assert got == expected, (moment, level)
            seen |= {v[1] for v in got.values()}
    assert seen == {"green", "yellow", "red"}


def test_area_stats_of_a_view_are_the_citys_for_the_areas_in_it(api):
    api.report("worker_a", k=1)
    api.report("worker_b", community=COMMUNITY_B, k=1, category_code="C0101", description="井盖")
    city = api.get("dispatcher", "/api/v1/map/cells?stats=1").json()["stats"]
    view = api.get("dispatcher", f"/api/v1/map/cells?stats=1&bbox={X0},{Y0},{X0 + 2.5 * D},{Y0 + 0.5 * D}").json()
    assert view["codes"] == [cell_code(COMMUNITY_A, k) for k in (1, 2, 3)]
    assert view["stats"] == {cell_code(COMMUNITY_A, 1): city[cell_code(COMMUNITY_A, 1)]}
    assert cell_code(COMMUNITY_B, 1) in city
