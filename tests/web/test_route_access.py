"""Who may call what (issue 11): every route of the app, for every role and for a caller without valid
credentials, against one table of expectations written down below. A route the app has and the table lacks
fails the test, and so does an entry whose route is gone: a new route is not done until someone has written
down who may call it.

The rules come from the code. Without credentials, or with a token the service does not know, the API
answers 401 (``web.api.deps.resolve_actor``). A signed-in role that may never do a thing gets 403
(``grid.errors.Forbidden``: the admin's settings, filing a report, an act its role may not take). A case
outside the caller's scope is 404 whatever the role, so ids do not leak (``dispatch.scope``), and so is
someone else's notification. The pages are public shells that ask /api/v1/me; the API's documentation is
for signed-in users (GRIDOPS_PUBLIC_DOCS is off by default) and sends a stranger's browser to /login."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from sqlmodel import Session
from starlette.routing import Mount, Route
from starlette.websockets import WebSocketDisconnect

from dispatch.evaluation.scheme import default_body
from dispatch.models import Notification
from tests.conftest import BACKENDS
from tests.support.city import COMMUNITY_A, COMMUNITY_B, Api, City, cell_centre
from tests.web.test_bad_input import jpeg
from tests.web.test_session import set_password
from web.api.pages import STATIC
from web.app import create_app
from web.settings import Settings

ANONYMOUS, STRANGER = "anonymous", "unknown token"
ROLES = ("worker", "dispatcher", "shift_lead", "department", "supervisor", "admin", "operator")
CALLERS = (ANONYMOUS, STRANGER, *ROLES)
# the city's user who speaks for each role
SPEAKER = {"worker": "worker_a", "dispatcher": "dispatcher", "shift_lead": "shift_lead", "department": "sanitation",
           "supervisor": "supervisor", "admin": "admin", "operator": "operator"}
OTHER = "water"  # a user who is none of them: whose token and session the others may not end (admins may)

ANYONE = frozenset({ANONYMOUS, *ROLES})
SIGNED_IN = frozenset(ROLES)
ADMIN = frozenset({"admin"})
REPORTERS = frozenset({"worker", "dispatcher", "shift_lead", "admin", "operator"})  # dispatch.service.REPORTER_ROLES
CONTACT_SEERS = frozenset({"operator", "shift_lead", "supervisor"})  # dispatch.privacy.FULL: a caller's cases
URGERS = frozenset({"shift_lead", "supervisor"})  # who may "urge" in the lifecycle table
EVALUATORS = frozenset({"supervisor", "admin"})  # web.api.evaluation.READERS

# The two cases of the test: A, worker_a's report in its own cell of community A, dispatched to SANITATION;
# B, worker_b's report in community B, a manhole cover for WATER. Each carries a photo.
# A grid worker sees the cases in its cells (and its own reports), a department those dispatched to it,
# the centre (dispatchers, shift leads, supervisors, admins) every case.
SEES = {"worker": {"A"}, "department": {"A"}}
CASES = ("A", "B")

PAGE = 200 if (STATIC / "dist").exists() else 503  # `make test` builds the pages; without them a page says so
HELLO, NOT_SIGNED_IN = 101, 4401  # the websocket: accepted (its first message is "hello"), or closed with 4401
PASSWORD = "route-table-password"
HOLIDAY, DAY_OFF = "2031-05-06", "2031-05-07"  # a day to add, and one the test adds first to be removed
REPORT = {"category_code": "E0101", "description": "暴露垃圾", "lat": cell_centre(COMMUNITY_A, 2)[1],
          "lng": cell_centre(COMMUNITY_A, 2)[0]}
LNG, LAT = cell_centre(COMMUNITY_A, 1)
ONE_CELL = json.dumps({"type": "FeatureCollection", "features": [{
    "type": "Feature", "properties": {"code": f"{COMMUNITY_A}001", "name": "网格001-1"},
    "geometry": {"type": "Polygon", "coordinates": [[[121.48, 31.23], [121.481, 31.23], [121.481, 31.231],
                                                     [121.48, 31.231], [121.48, 31.23]]]}}]}).encode()


@dataclass(frozen=True)
class Entry:
    """Who may call a route and what they get; and how the test calls it."""

    who: frozenset[str]
    ok: int = 200  # the answer for a caller in `who`
    about: str | None = None  # "case", "notification", "token", "session": asked about one the caller may see, and
    # one it may not (404)
    anonymous: int = 401  # the answer without valid credentials, when ANONYMOUS is not in `who`
    refused: int = 403  # the answer for a signed-in role not in `who`
    path: dict[str, str] = field(default_factory=dict)  # path parameters besides those of `about`
    query: dict[str, str] | None = None
    body: dict | None = None
    files: tuple | None = None  # a multipart upload: ((field, (file name, bytes, content type)), …)


TABLE: dict[str, Entry | tuple[Entry, ...]] = {
    "GET /healthz": Entry(ANYONE),
    # the API's documentation (web.api.headers.DocsGate)
    "GET /openapi.json": Entry(SIGNED_IN),
    "GET /docs": Entry(SIGNED_IN, anonymous=303),
    "GET /docs/oauth2-redirect": Entry(SIGNED_IN, anonymous=303),
    "GET /redoc": Entry(SIGNED_IN, anonymous=303),
    # the pages (web.api.pages): "/" sends a browser with a session to its landing page, anyone else to /login
    "GET /": Entry(ANYONE, ok=307),
    "GET /login": Entry(ANYONE, ok=PAGE),
    "GET /m": Entry(ANYONE, ok=307),
    "GET /m/": Entry(ANYONE, ok=PAGE),
    "GET /m/sw.js": Entry(ANYONE),
    "GET /m/manifest.webmanifest": Entry(ANYONE),
    "GET /icon.svg": Entry(ANYONE),
    "GET /favicon.ico": Entry(ANYONE, ok=301),
    "GET /robots.txt": Entry(ANYONE),
    "GET /map": Entry(ANYONE, ok=PAGE),
    "GET /desk": Entry(ANYONE, ok=PAGE),
    "GET /admin": Entry(ANYONE, ok=PAGE),  # the console asks /api/v1/me and tells other roles it is for admins
    "GET /cases/{ticket_id}/sheet": Entry(ANYONE, ok=PAGE, path={"ticket_id": "1"}),  # the page; its data: the API
    "GET /c": Entry(ANYONE, ok=307),
    "GET /c/": Entry(ANYONE, ok=PAGE),  # the public report page
    "GET /c/t/{token:path}": Entry(ANYONE, ok=PAGE, path={"token": "A" * 32}),  # (the page asks the API for the case)
    # any other address under /c/ (a damaged tracking link): the public page, which says it found nothing
    "GET /c/{rest:path}": Entry(ANYONE, ok=404 if PAGE == 200 else PAGE, path={"rest": "no-such/page"}),
    "GET /hotline": Entry(ANYONE, ok=PAGE),
    "GET /open": Entry(ANYONE, ok=PAGE),  # the open-data page
    "GET /board": Entry(ANYONE, ok=PAGE),  # the supervisors' board (its data: /api/v1/board)
    # open data (web.api.opendata): no account, rate-limited like the public API
    "GET /open/v1/cases.csv": Entry(ANYONE),
    "GET /open/v1/cases.geojson": Entry(ANYONE),
    "GET /open/v1/stats": Entry(ANYONE),
    # the public's API (web.api.public): no account, rate-limited; a wrong tracking token is 404 for anyone
    "GET /public/v1/categories": Entry(ANYONE),
    "GET /public/v1/outline": Entry(ANYONE),
    "GET /public/v1/basemap": Entry(ANYONE),
    "GET /public/v1/locate": Entry(ANYONE, query={"lat": str(LAT), "lng": str(LNG)}),
    "GET /public/v1/addresses": Entry(ANYONE, query={"q": "中山"}),
    "GET /public/v1/nearby": Entry(ANYONE, query={"lat": str(LAT), "lng": str(LNG), "category_code": "E0101"}),
    "POST /public/v1/reports": Entry(ANYONE, ok=201, body={**REPORT, "description": "公众上报"}),
    "POST /public/v1/cases/{case_number}/support": Entry(ANYONE, ok=404, path={"case_number": "E0101209901010001"},
                                                         body={"client_id": "route-test"}),
    "GET /public/v1/track/{token}": Entry(ANYONE, ok=404, path={"token": "A" * 32}),
    "POST /public/v1/track/{token}/rating": Entry(ANYONE, ok=404, path={"token": "A" * 32},
                                                  body={"level": "satisfied"}),
    "GET /public/v1/track/{token}/photos/{photo_id}": Entry(ANYONE, ok=404, path={"token": "A" * 32,
                                                                                 "photo_id": "1"}),
    "WS /ws": Entry(SIGNED_IN, ok=HELLO, anonymous=NOT_SIGNED_IN),
    # signing in and out
    "POST /api/v1/login": Entry(ANYONE, body={"username": "dispatcher", "password": PASSWORD}),
    "POST /api/v1/logout": Entry(ANYONE, ok=204),
    "GET /api/v1/me": Entry(SIGNED_IN),
    # cases
    "POST /api/v1/reports": Entry(REPORTERS, ok=201, body=REPORT),
    "GET /api/v1/tickets": (Entry(SIGNED_IN), Entry(CONTACT_SEERS, query={"phone": "13812345678"})),
    # exports: every signed-in role, each its own scope (a department its cases, a worker its cells' cases)
    "GET /api/v1/exports/tickets.{fmt}": (Entry(SIGNED_IN, path={"fmt": "csv"}), Entry(SIGNED_IN, path={"fmt": "xlsx"}),
                                          Entry(SIGNED_IN, path={"fmt": "geojson"})),
    "GET /api/v1/callbacks": Entry(CONTACT_SEERS),
    "GET /api/v1/stats/shift": Entry(frozenset({"dispatcher", "shift_lead", "supervisor", "admin"})),
    "GET /api/v1/board": Entry(frozenset({"supervisor", "admin"}), query={"period": "2026-11"}),
    # evaluation (web.api.evaluation): supervisors and admins; a department sees and closes its own 整改 items
    "GET /api/v1/evaluation/scores": Entry(EVALUATORS, query={"object": "department", "period": "2026-11"}),
    "GET /api/v1/evaluation/scores.{fmt}": (
        Entry(EVALUATORS, path={"fmt": "csv"}, query={"object": "street", "period": "2026-11"}),
        Entry(EVALUATORS, path={"fmt": "xlsx"}, query={"object": "worker", "period": "2026-11"})),
    "GET /api/v1/evaluation/cases": Entry(EVALUATORS, query={"object": "department", "subject": "SANITATION",
                                                             "indicator": "on_time_rate", "period": "2026-11"}),
    "GET /api/v1/evaluation/schemes": Entry(EVALUATORS),
    "POST /api/v1/evaluation/schemes": Entry(ADMIN, ok=201, body={"valid_from": "2031-01-01", "body": default_body()}),
    "GET /api/v1/evaluation/rectifications": Entry(EVALUATORS | {"department"}),
    "POST /api/v1/evaluation/rectifications/open": Entry(EVALUATORS, ok=201, query={"period": "2026-10"}),
    "POST /api/v1/evaluation/rectifications/{item_id}/close": Entry(
        EVALUATORS | {"department"}, ok=404, path={"item_id": "999"}, body={"account": "已整改完毕，并建立长效机制"}),
    "GET /api/v1/nearby": Entry(SIGNED_IN, query={"lat": str(LAT), "lng": str(LNG), "category_code": "E0101"}),
    "GET /api/v1/stats/today": Entry(SIGNED_IN),
    "GET /api/v1/tickets/{ticket_id}": Entry(SIGNED_IN, about="case"),
    "POST /api/v1/tickets/{ticket_id}/actions/{action}": (
        Entry(SIGNED_IN, about="case", path={"action": "comment"}, body={"reason": "现场有人围观"}),
        Entry(URGERS, about="case", path={"action": "urge"}, body={"reason": "请尽快处理"}),
    ),
    "GET /api/v1/tickets/{ticket_id}/photos/{photo_id}": Entry(SIGNED_IN, about="case"),
    "GET /api/v1/lifecycle": Entry(SIGNED_IN),
    # the map and the catalogue
    "GET /api/v1/cells": Entry(SIGNED_IN),
    "GET /api/v1/locate": Entry(SIGNED_IN, query={"lat": str(LAT), "lng": str(LNG)}),
    "GET /api/v1/categories": Entry(SIGNED_IN),
    # the catalogue for admins (web.api.catalogue): change a class, the catalogue as a file (an import: a preview)
    "PATCH /api/v1/categories/{code}": Entry(ADMIN, path={"code": "E0105"}, body={"public_name": "有人在烧东西"}),
    "GET /api/v1/catalogue/export": Entry(ADMIN),
    "POST /api/v1/catalogue/import": (
        Entry(ADMIN, body={"format": "gridops-catalogue/1", "departments": [], "majors": []}),
        Entry(ADMIN, files=(("file", ("catalogue.json", b'{"format": "gridops-catalogue/1", "departments": [], '
                                                        b'"majors": []}', "application/json")),)),
    ),
    "GET /api/v1/departments": Entry(SIGNED_IN),
    # departments for admins (web.api.departments): change one, its webhook (set, tested, removed), its lights
    "GET /api/v1/departments/lights": Entry(ADMIN),
    "PATCH /api/v1/departments/{code}": Entry(ADMIN, path={"code": "WATER"}, body={"phone": "021-12345678"}),
    "PUT /api/v1/departments/{code}/webhook": Entry(ADMIN, path={"code": "WATER"},
                                                    body={"url": "http://127.0.0.1:9/hook"}),  # (nobody listens)
    "POST /api/v1/departments/{code}/webhook/test": Entry(ADMIN, path={"code": "WATER"}),  # answers ok: false
    "DELETE /api/v1/departments/{code}/webhook": Entry(ADMIN, ok=204, path={"code": "WATER"}),
    "GET /api/v1/routing-rules": Entry(SIGNED_IN),
    "POST /api/v1/routing-rules/try": Entry(ADMIN, body={"lat": LAT, "lng": LNG, "category_code": "E0101"}),
    # the address gazetteer: everyone signed in looks up; the admin imports
    "GET /api/v1/addresses/nearest": Entry(SIGNED_IN, query={"lat": str(LAT), "lng": str(LNG)}),
    "GET /api/v1/addresses": Entry(SIGNED_IN, query={"q": "中山"}),
    "POST /api/v1/addresses/import": Entry(ADMIN, files=(("file", ("a.csv", f"name,lng,lat\n中山路1号,{LNG},{LAT}\n"
                                                                   .encode(), "text/csv")),)),
    # the grid's administration (web.api.gridadmin): admins; an apply is refused here before it starts a job
    "POST /api/v1/grid/preview": Entry(ADMIN, files=(("file", ("cell.geojson", ONE_CELL, "application/geo+json")),)),
    "POST /api/v1/grid/apply": Entry(ADMIN, ok=422, files=(("file", ("cells.txt", b"code,name", "text/plain")),)),
    "GET /api/v1/grid/export": Entry(ADMIN, query={"level": "community", "format": "geojson"}),
    "POST /api/v1/grid/generate/preview": Entry(ADMIN, body={"area_code": COMMUNITY_A, "cell_area_m2": 5000}),
    "POST /api/v1/grid/generate/apply": Entry(ADMIN, ok=422, body={"area_code": f"{COMMUNITY_A}001",  # (a cell)
                                                                  "preview_id": "0" * 64}),
    "GET /api/v1/jobs/{job_id}": Entry(ADMIN, ok=404, path={"job_id": "2147483647"}),  # (no such job)
    "GET /api/v1/map/cases": Entry(SIGNED_IN),
    "GET /api/v1/map/cells": Entry(SIGNED_IN),
    "GET /api/v1/map/basemap": Entry(SIGNED_IN),
    # notifications: one's own only
    "GET /api/v1/notifications": Entry(SIGNED_IN),
    "POST /api/v1/notifications/{notification_id}/read": Entry(SIGNED_IN, about="notification"),
    # working time and SLA: everyone reads, the admin changes
    "GET /api/v1/calendars": Entry(SIGNED_IN),
    "PUT /api/v1/calendars/{code}": Entry(ADMIN, path={"code": "route-test"}, body={"name": "路由测试"}),
    "GET /api/v1/calendars/{code}/days": Entry(SIGNED_IN, path={"code": "standard"}),
    "PUT /api/v1/calendars/{code}/days/{day}": Entry(ADMIN, path={"code": "standard", "day": HOLIDAY},
                                                     body={"kind": "holiday", "name": "测试假日"}),
    "DELETE /api/v1/calendars/{code}/days/{day}": Entry(ADMIN, ok=204, path={"code": "standard", "day": DAY_OFF}),
    "GET /api/v1/sla-policies": Entry(SIGNED_IN),
    "PUT /api/v1/sla-policies": Entry(ADMIN, body={"stage": "register", "limit_hours": 3}),
    "GET /api/v1/webhooks": Entry(ADMIN),
    # one's own password, tokens and sessions (web.api.accounts); an admin's: everyone's
    "POST /api/v1/me/password": Entry(SIGNED_IN, ok=422,  # the right password, a new one too short: nothing changes
                                      body={"current_password": PASSWORD, "new_password": "short"}),
    "GET /api/v1/tokens": Entry(SIGNED_IN),
    "POST /api/v1/tokens": Entry(SIGNED_IN, ok=201, body={"name": "route test"}),
    "DELETE /api/v1/tokens/{token_id}": Entry(SIGNED_IN, ok=204, about="token"),
    "GET /api/v1/sessions": Entry(SIGNED_IN),
    "DELETE /api/v1/sessions/{session_id}": Entry(SIGNED_IN, ok=204, about="session"),
    # users and the security log: admins
    "POST /api/v1/users/import": Entry(ADMIN, files=(("file", ("users.csv", b"username,role\nnew_one,dispatcher\n",
                                                                  "text/csv")),)),  # a preview: nothing created
    "GET /api/v1/users": Entry(ADMIN),
    "POST /api/v1/users": Entry(ADMIN, ok=201, body={"username": "route_test", "role": "supervisor"}),
    "PATCH /api/v1/users/{username}": Entry(ADMIN, path={"username": "water"}, body={"display_name": "供水所"}),
    "POST /api/v1/users/{username}/deactivate": Entry(ADMIN, path={"username": "sanitation_chief"}, body={}),
    "POST /api/v1/users/{username}/reactivate": Entry(ADMIN, path={"username": "sanitation_chief"}),
    "POST /api/v1/users/{username}/password": Entry(ADMIN, path={"username": "worker_b"},
                                                    body={"password": "Lantern-harbour-1987"}),
    "POST /api/v1/users/{username}/require-password-change": Entry(ADMIN, path={"username": "water"}),
    "POST /api/v1/users/{username}/unlock": Entry(ADMIN, ok=204, path={"username": "water"}, body={}),
    "GET /api/v1/security-events": Entry(ADMIN),
}

NOT_CALLED = {
    "MOUNT /static": "the pages' bundled scripts and styles: files, the same for everyone, nothing about anyone",
    "MOUNT /static-offline-docs": "Swagger UI's own scripts and styles (fastapi-offline): files, the same for everyone",
}


def route_keys(app) -> set[str]:  # noqa: ANN001
    """"METHOD /path" of every route the app serves (HEAD comes with GET), "WS /path" of its websockets and
    "MOUNT /path" of what it mounts."""
    keys = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIWebSocketRoute):
            keys.add(f"WS {context.path}")
        elif isinstance(route, Mount):
            keys.add(f"MOUNT {context.path}")
        elif isinstance(route, APIRoute | Route):
            keys |= {f"{method} {context.path}" for method in context.methods - {"HEAD"}}
        else:
            keys.add(f"{type(route).__name__} {context.path}")
    return keys


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Every caller files a public report and calls every public route here, all from one address: more
    than one address's share an hour and a minute."""
    return settings.model_copy(update={"public_reports_per_hour": 1000, "public_requests_per_minute": 100_000})


@pytest.fixture(scope="module")
def app_routes(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    root = tmp_path_factory.mktemp("routes")
    settings = Settings(database_url=f"sqlite:///{root / 'unused.db'}", media_dir=root / "media",
                        scheduler_enabled=False)
    return route_keys(create_app(settings, check_migrations=False))


def test_every_route_has_an_entry(app_routes: set[str]) -> None:
    missing = sorted(app_routes - set(TABLE) - set(NOT_CALLED))
    assert not missing, ("these routes need an entry in TABLE (who may call them) in tests/web/test_route_access.py: "
                         + ", ".join(missing))


def test_every_entry_is_a_route(app_routes: set[str]) -> None:
    gone = sorted((set(TABLE) | set(NOT_CALLED)) - app_routes)
    assert not gone, "these entries name routes the app no longer has; remove them: " + ", ".join(gone)


@dataclass
class Fixture:
    """The real values the calls need: the two cases and their photos; per user, a notification, a spare API
    token and a browser session."""

    cases: dict[str, tuple[int, int]]  # "A"/"B" → (ticket id, photo id)
    notifications: dict[str, int]  # user name → the id of a notification of theirs
    tokens: dict[str, int]  # user name → the id of a spare API token of theirs
    sessions: dict[str, int]  # user name → the id of a browser session of theirs


def file_cases(api: Api) -> dict[str, tuple[int, int]]:
    cases = {}
    for name, reporter, community, category in (("A", "worker_a", COMMUNITY_A, "E0101"),
                                                ("B", "worker_b", COMMUNITY_B, "C0101")):
        lng, lat = cell_centre(community, 1)
        r = api.post(reporter, "/api/v1/reports", files=[("photos", ("p.jpg", jpeg(), "image/jpeg"))],
                     data={"lat": str(lat), "lng": str(lng), "category_code": category, "description": "有照片"})
        assert r.status_code == 201, r.text
        ticket = api.get(reporter, f"/api/v1/tickets/{r.json()['ticket']['id']}").json()
        assert ticket["department_code"] == {"A": "SANITATION", "B": "WATER"}[name]
        cases[name] = ticket["id"], ticket["photos"][0]["id"]
    return cases


@pytest.fixture
def world(api: Api, city: City, engine) -> Fixture:  # noqa: ANN001
    cases = file_cases(api)
    with Session(engine) as session:
        rows = {name: Notification(user_id=actor.user_id, kind="test", title=f"for {name}")
                for name, actor in city.actors.items()}
        session.add_all(rows.values())
        session.commit()
        notifications = {name: row.id for name, row in rows.items()}
    r = api.client.put(f"/api/v1/calendars/standard/days/{DAY_OFF}", headers=api.as_("admin"),
                       json={"kind": "holiday"})
    assert r.status_code == 200, r.text
    tokens, sessions = {}, {}
    for user in (*SPEAKER.values(), OTHER):
        set_password(engine, user, PASSWORD)
        r = api.post("admin", "/api/v1/tokens", json={"name": "spare", "username": user})
        assert r.status_code == 201, r.text
        tokens[user] = r.json()["id"]
        assert api.client.post("/api/v1/login", json={"username": user, "password": PASSWORD}).status_code == 200
        api.client.cookies.clear()
        found = api.get("admin", "/api/v1/sessions", params={"username": user}).json()
        sessions[user] = found[0]["id"]
    return Fixture(cases, notifications, tokens, sessions)


def headers_of(api: Api, caller: str) -> dict[str, str]:
    if caller == ANONYMOUS:
        return {}
    if caller == STRANGER:
        return {"Authorization": "Bearer gro_not-a-token-this-service-issued"}
    return api.as_(SPEAKER[caller])


def objects(world: Fixture, entry: Entry, caller: str) -> list[tuple[str, dict[str, int], bool]]:
    """(what, path parameters, whether the caller may see it) for each object an entry is asked about."""
    if entry.about == "case":
        return [(f"case {name}", {"ticket_id": world.cases[name][0], "photo_id": world.cases[name][1]},
                 name in SEES.get(caller, set(CASES))) for name in CASES]
    own = SPEAKER.get(caller, "admin")
    if entry.about == "notification":
        other = "dispatcher" if own == "admin" else "admin"
        return [(f"{own}'s notification", {"notification_id": world.notifications[own]}, True),
                (f"{other}'s notification", {"notification_id": world.notifications[other]}, False)]
    if entry.about in ("token", "session"):  # one's own, or (admins) anyone's
        ids = world.tokens if entry.about == "token" else world.sessions
        return [(f"{own}'s {entry.about}", {f"{entry.about}_id": ids[own]}, True),
                (f"{OTHER}'s {entry.about}", {f"{entry.about}_id": ids[OTHER]}, caller == "admin")]
    return [("", {}, True)]


def expected(entry: Entry, caller: str, visible: bool) -> int:
    if caller in (ANONYMOUS, STRANGER) and ANONYMOUS not in entry.who:
        return entry.anonymous
    if not visible:
        return 404
    return entry.ok if caller in entry.who or caller == STRANGER else entry.refused


def call(api: Api, method: str, path: str, headers: dict[str, str], entry: Entry) -> tuple[int, str]:
    """(status, a glimpse of the answer); for the websocket 101 when it says hello, else its close code."""
    client = api.client
    try:
        if method == "WS":
            try:
                with client.websocket_connect(path, headers=headers) as ws:
                    message = ws.receive_json()
                    return (HELLO if message.get("kind") == "hello" else 0), str(message)[:200]
            except WebSocketDisconnect as closed:
                return closed.code, closed.reason
        r = client.request(method, path, headers=headers, params=entry.query, json=entry.body,
                           files=list(entry.files) if entry.files else None, follow_redirects=False)
        return r.status_code, r.text[:200]
    finally:
        client.cookies.clear()  # a sign-in must not speak for the calls after it


# on one database (PostgreSQL, what production runs): who may call what is the routes' and the scope's code; the
# scope's SQL on both is test_lists_show_a_role_only_the_cases_in_its_scope's (every route for every caller
# takes some 20 s of CPU a database)
@pytest.mark.parametrize("database_url", ["postgresql" if "postgresql" in BACKENDS else BACKENDS[0]], indirect=True)
def test_each_role_gets_what_the_table_says(api: Api, world: Fixture) -> None:
    wrong = []
    calls = 0
    for key, entries in TABLE.items():
        method, template = key.split(" ", 1)
        for entry in entries if isinstance(entries, tuple) else (entries,):
            for caller in CALLERS:
                for what, params, visible in objects(world, entry, caller):
                    path = re.sub(r"{(\w+):\w+}", r"{\1}", template).format(**entry.path, **params)  # ({x:path})
                    want = expected(entry, caller, visible)
                    got, answer = call(api, method, path, headers_of(api, caller), entry)
                    calls += 1
                    if got != want:
                        wrong.append(f"{method} {path} as {caller}{f' ({what})' if what else ''}: "
                                     f"expected {want}, got {got}: {answer}")
    assert not wrong, f"{len(wrong)} of {calls} calls answered otherwise than TABLE says:\n" + "\n".join(wrong)


def test_lists_show_a_role_only_the_cases_in_its_scope(api: Api) -> None:
    """The routes that list cases hold the same scope as the routes about one case."""
    cases = file_cases(api)
    ids = {name: ticket_id for name, (ticket_id, _) in cases.items()}
    for role in ROLES:
        user, seen = SPEAKER[role], SEES.get(role, set(CASES))
        listed = {t["id"] for t in api.get(user, "/api/v1/tickets").json()["items"]}
        on_map = {row[0] for row in api.get(user, "/api/v1/map/cases").json()["rows"]}
        for name in CASES:
            assert (ids[name] in listed) == (name in seen), f"/tickets as {role}: case {name}"
            assert (ids[name] in on_map) == (name in seen), f"/map/cases as {role}: case {name}"
        for name, category in (("A", "E0101"), ("B", "C0101")):
            lng, lat = cell_centre(COMMUNITY_A if name == "A" else COMMUNITY_B, 1)
            near = api.get(user, "/api/v1/nearby", params={"lat": lat, "lng": lng, "category_code": category})
            assert (ids[name] in {t["id"] for t in near.json()["items"]}) == (name in seen), f"/nearby as {role}"
