"""Evaluation at a city's size (issue 15): a month of 100,000 cases scored from SQL aggregates, per object, beside
a bare count of the month's events measured in the same run, and the month scored twice to show it reproduces.

Run: .venv/bin/python bench/evaluation.py [--cases 100000] [--backends sqlite,postgresql] [--month 2026-10] [--keep]

The database (a SQLite file /tmp/gridops_bench_eval_<cases>.db; a PostgreSQL database gridops_bench_eval_<cases> on
127.0.0.1:5432) is reused when it already holds the cases (and the ticket, ticket_event and rating columns have not
changed since), built otherwise, and dropped at the end unless --keep.
Building it:

- a city of 4,000 cells of ~100 m (bench/bigcity.py: 12 communities of 400 cells, 2 streets), the calendars and
  the default catalogue; 40 grid workers of 100 cells each, 6 dispatchers, 6 shift leads, 10 hotline operators,
  one clerk for each of the 12 departments; routing rules for E01 (SANITATION), C01 (WATER) and E04
  (ENFORCEMENT);
- MODELS: a handful of cases filed and moved through the real service (dispatch.service.report and act) under
  a fake clock on Monday 12 October, so that each has the full trail the service writes (events with their
  department, stage met and on-time flag, timers, ratings): on time, late, reworked, returned and redispatched,
  dispatched by hand, late dispatch and late checks, from citizens and the hotline with on-site verification,
  rated (well, and badly: reviewed, reopened and done again), called back, suspended, extended, voided,
  rejected as untrue, and still being handled;
- then copies in SQL (INSERT … SELECT from a table of copies, the same statements on both databases) of the
  tickets, their ticket_event rows and their ratings until there are ``--cases``: copy ``i`` is of a model
  chosen by the weights below, in cell ``i × 7919 mod cells`` (and that cell's community, street and district,
  at its centre), every instant moved by a whole number of days (−11 … +19, so reports fall on every day of
  October and some trails run on into November, which the month's figures must not read) plus a few hours,
  its departments turned round the 12 departments (a returned case's two departments stay two), its people
  swapped for the copy's: the grid worker of its cell, and one of the dispatchers, shift leads and operators.
  Every event keeps its seq. What is not copied: timers, photos, routing decisions, live events; the audit
  hashes are the model's, so ``audit verify`` would flag the copies (the evaluation does not read them).

Measured, on each backend, for the month: ``scores.evaluate`` for every object (the number of subjects and the
seconds), twice over — the second time to compare the two result lists (reproducibility) — the drill-down
``scores.cases`` for one department's on_time_rate, and the reference: a bare ``count(*)`` of the month's
events and a bare ``count(*) … GROUP BY action`` over the month. A statement running longer than
``--statement-limit`` seconds is stopped (PostgreSQL's statement_timeout; a progress handler on SQLite) and the
object reported as stopped (and not run again), so the bench stops by itself. It prints figures; it never fails
on speed."""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from sqlalchemy import Engine, create_engine, event, text  # noqa: E402
from sqlalchemy.exc import DBAPIError  # noqa: E402
from throwaway import PG_ADMIN, pg_answers  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
MODEL_DAY = datetime(2026, 10, 12, 8, 0, tzinfo=SH)  # a Monday, working hours 08:00-12:00 and 14:00-18:00
CELLS = 4000
CELLS_PER_WORKER = 100
STAFF = {"dispatcher": 6, "shift_lead": 6, "operator": 10}
RULES = {"E01": "SANITATION", "C01": "WATER", "E04": "ENFORCEMENT"}
DAYS = range(-11, 20)  # copies' day offsets from the model day: 1 … 31 October
P = "photo"  # an act that needs a photo (resolve, verify_untrue)

# name → (weight, reporter, category, steps); a step is (minutes after 08:00 on the model day, who, action,
# payload or None); who: worker (the cell's), dept (the case's department's clerk), dispatcher, shift_lead,
# operator. Reporter: worker (auto-registered, and dispatched where a rule matches), citizen or operator.
D = 24 * 60
MODELS: dict[str, tuple[int, str, str, list[tuple]]] = {
    "on_time": (30, "worker", "E0101", [
        (10, "dept", "accept", None), (60, "dept", "resolve", P), (75, "worker", "check_pass", None),
        (90, "shift_lead", "close", None)]),
    "on_time_water": (14, "worker", "C0101", [
        (20, "dept", "accept", None), (150, "dept", "resolve", P), (170, "worker", "check_pass", None),
        (190, "shift_lead", "close", None)]),
    "late_handling": (6, "worker", "E0101", [
        (10, "dept", "accept", None), (2 * D + 60, "dept", "resolve", P), (2 * D + 75, "worker", "check_pass", None),
        (2 * D + 90, "shift_lead", "close", None)]),
    "rework": (5, "worker", "E0402", [
        (10, "dept", "accept", None), (60, "dept", "resolve", P), (80, "worker", "check_fail", None),
        (200, "dept", "resolve", P), (380, "worker", "check_pass", None), (400, "shift_lead", "close", None)]),
    "hand_dispatch": (8, "worker", "E0601", [
        (30, "dispatcher", "dispatch", {"department_code": "STREET_OFFICE"}), (40, "dept", "accept", None),
        (120, "dept", "resolve", P), (140, "worker", "check_pass", None), (150, "shift_lead", "close", None)]),
    "late_dispatch": (4, "worker", "E0304", [
        (180, "dispatcher", "dispatch", {"department_code": "ROADS"}), (370, "dept", "accept", None),
        (400, "dept", "resolve", P), (D + 60, "worker", "check_pass", None), (D + 180, "shift_lead", "close", None)]),
    "returned": (3, "worker", "E0101", [
        (20, "dept", "request_return", None), (30, "dispatcher", "approve_return", None),
        (40, "dispatcher", "dispatch", {"department_code": "ENFORCEMENT"}), (50, "dept", "accept", None),
        (180, "dept", "resolve", P), (200, "worker", "check_pass", None), (220, "shift_lead", "close", None)]),
    "citizen": (8, "citizen", "E0304", [
        (20, "worker", "verify", None), (40, "shift_lead", "register", None),
        (60, "dispatcher", "dispatch", {"department_code": "ROADS"}), (70, "dept", "accept", None),
        (300, "dept", "resolve", P), (320, "worker", "check_pass", None), (330, "shift_lead", "close", None)]),
    "hotline_rated": (7, "operator", "E0405", [
        (15, "worker", "verify", None), (30, "shift_lead", "register", None),
        (45, "dispatcher", "dispatch", {"department_code": "ENFORCEMENT"}), (60, "dept", "accept", None),
        (200, "dept", "resolve", P), (215, "worker", "check_pass", None), (230, "shift_lead", "close", None),
        (D, "operator", "rate", {"level": "satisfied"})]),
    "hotline_called_back": (4, "operator", "E0102", [
        (15, "worker", "verify", None), (30, "shift_lead", "register", None),
        (45, "dispatcher", "dispatch", {"department_code": "SANITATION"}), (60, "dept", "accept", None),
        (200, "dept", "resolve", P), (215, "worker", "check_pass", None), (230, "shift_lead", "close", None),
        (D, "operator", "call_back", {"reached": False})]),
    "badly_rated": (2, "operator", "E0402", [
        (15, "worker", "verify", None), (30, "shift_lead", "register", None),
        (45, "dispatcher", "dispatch", {"department_code": "ENFORCEMENT"}), (60, "dept", "accept", None),
        (200, "dept", "resolve", P), (215, "worker", "check_pass", None), (230, "shift_lead", "close", None),
        (D, "operator", "rate", {"level": "dissatisfied"}), (D + 60, "shift_lead", "reopen", None),
        (D + 180, "dept", "resolve", P), (D + 200, "worker", "check_pass", None),
        (D + 220, "shift_lead", "close", None)]),
    "suspended": (2, "worker", "E0101", [
        (10, "dept", "accept", None), (30, "dept", "request_suspension", None),
        (40, "dispatcher", "approve_suspension", None)]),
    "extended": (3, "worker", "C0101", [
        (10, "dept", "accept", None), (20, "dept", "request_extension", {"hours": 8}),
        (30, "dispatcher", "approve_extension", None), (D + 300, "dept", "resolve", P),
        (D + 320, "worker", "check_pass", None), (D + 340, "shift_lead", "close", None)]),
    "being_handled": (6, "worker", "E0101", [(10, "dept", "accept", None)]),
    "voided": (2, "operator", "E0601", [
        (15, "worker", "verify", None), (90, "shift_lead", "register", None),
        (100, "dispatcher", "request_void", None), (110, "shift_lead", "approve_void", None)]),
    "untrue": (2, "citizen", "E0104", [
        (20, "worker", "verify_untrue", P), (40, "shift_lead", "reject", None)]),
}


# --- the database ----------------------------------------------------------------------------------------

def _pg_db(cases: int) -> str:
    return f"gridops_bench_eval_{cases}"


def url_of(backend: str, cases: int) -> str:
    if backend == "postgresql":
        return PG_ADMIN.rsplit("/", 1)[0] + "/" + _pg_db(cases)
    return f"sqlite:///{tempfile.gettempdir()}/gridops_bench_eval_{cases}.db"


def schema() -> str:
    """The columns the copies are made of: a database built before a migration changed them is built again."""
    from dispatch.models import Rating, Ticket, TicketEvent

    return ",".join(f"{t.__tablename__}.{c.name}" for t in (Ticket, TicketEvent, Rating) for c in t.__table__.columns)


def holds(url: str, cases: int) -> bool:
    """Whether the database exists and holds the cases with today's columns (a finished build: the marker is
    written last)."""
    try:
        with create_engine(url).connect() as conn:
            return tuple(conn.execute(text("SELECT value, columns FROM bench_eval_marker")).one()) == (cases, schema())
    except Exception:  # noqa: BLE001
        return False


def drop(backend: str, cases: int) -> None:
    if backend == "postgresql":
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{_pg_db(cases)}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = Path(url_of(backend, cases).removeprefix("sqlite:///"))
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            p.unlink(missing_ok=True)


def create(backend: str, cases: int) -> None:
    drop(backend, cases)
    if backend == "postgresql":
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{_pg_db(cases)}"'))
        admin.dispose()


def _photo():  # noqa: ANN202
    from PIL import Image

    from dispatch.photos import process_image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (60, 140, 90)).save(out, "JPEG")
    return process_image(out.getvalue(), max_bytes=10_000_000)


def people(engine: Engine, cells: list) -> dict[str, list[int]]:
    """The users, by role (department clerks as dept:<code>); the routing rules."""
    from bigcity import DISTRICT
    from sqlmodel import Session

    from grid.catalogue import DEPARTMENTS
    from grid.models import Role
    from grid.people import create_user
    from grid.routing import add_rule

    ids: dict[str, list[int]] = {}
    with Session(engine) as session:
        for category, department in RULES.items():
            add_rule(session=session, department_code=department, category=category, area_code=DISTRICT)
        codes = [c for c, _, _ in cells]
        for k in range(0, len(codes), CELLS_PER_WORKER):
            u = create_user(session=session, username=f"eval_worker_{k // CELLS_PER_WORKER:02d}", role=Role.worker,
                            cell_codes=codes[k:k + CELLS_PER_WORKER])
            session.flush()
            ids.setdefault("worker", []).append(u.id)
        for role, n in STAFF.items():
            for k in range(n):
                u = create_user(session=session, username=f"eval_{role}_{k}", role=Role(role))
                session.flush()
                ids.setdefault(role, []).append(u.id)
        for code, _, _ in DEPARTMENTS:
            u = create_user(session=session, username=f"eval_{code.lower()}", role=Role.department,
                            department_code=code)
            session.flush()
            ids[f"dept:{code}"] = [u.id]
        session.commit()
    return ids


def file_models(engine: Engine, cells: list, ids: dict[str, list[int]]) -> dict[str, int]:
    """Each model case filed and walked through the service under a fake clock; returns name → ticket id."""
    import shapely
    from bigcity import DX, DY
    from sqlmodel import Session

    from dispatch import service
    from dispatch.options import DispatchOptions
    from dispatch.photos import MediaStore
    from geo.index import CellIndex
    from grid.clock import set_clock
    from grid.models import User
    from grid.people import CITIZEN, Actor

    options, photo = DispatchOptions(), _photo()
    store = MediaStore(Path(tempfile.mkdtemp(prefix="gridops_bench_eval_media_")))
    mine = [cells[3 * k] for k in range(len(MODELS))]  # 300 m apart: no model is another's duplicate
    index = CellIndex([c for c, _, _ in mine], [shapely.box(x, y, x + DX, y + DY) for _, x, y in mine])
    now = [MODEL_DAY]
    set_clock(lambda: now[0])
    made: dict[str, int] = {}
    try:
        with Session(engine) as session:
            def actor(key: str) -> Actor:
                return Actor.of(session=session, user=session.get(User, ids[key][0]))

            staff = {role: actor(role) for role in ("worker", *STAFF)}
            for (name, (_, reporter, category, steps)), (_, x, y) in zip(MODELS.items(), mine, strict=True):
                now[0] = MODEL_DAY
                ticket = service.report(
                    session=session, actor=CITIZEN if reporter == "citizen" else staff[reporter], index=index,
                    options=options, lat=y + DY / 2, lng=x + DX / 2, category_code=category,
                    description=f"bench model case ({name})", source="hotline" if reporter == "operator" else None,
                    contact_phone="13800000000" if reporter != "worker" else None).ticket
                session.commit()
                for minutes, who, action, payload in steps:
                    now[0] = MODEL_DAY + timedelta(minutes=minutes)
                    by = actor(f"dept:{ticket.department_code}") if who == "dept" else staff[who]
                    ticket = service.act(session=session, actor=by, ticket_id=ticket.id, action=action,
                                         options=options, reason="bench", store=store,
                                         payload=payload if isinstance(payload, dict) else None,
                                         photos=[photo] if payload == P else ())
                    session.commit()
                made[name] = ticket.id
    finally:
        set_clock(None)
        shutil.rmtree(store.root, ignore_errors=True)  # the after-photos: the evaluation does not read them
    return made


def _shifted(column: str, pg: bool) -> str:
    """An instant moved by the copy's minutes (SQLite: naive UTC text, microseconds kept)."""
    if pg:
        return f"{column} + c.shift * interval '1 minute'"
    return f"strftime('%Y-%m-%d %H:%M:%S', {column}, c.shift || ' minutes') || substr({column}, 20)"


def copy_cases(engine: Engine, cells: list, ids: dict[str, list[int]], models: dict[str, int], cases: int,
               *, chunk: int = 20_000) -> None:
    """The copies (see the module's docstring), in chunks of ``chunk`` cases."""
    from dispatch.models import Rating, Ticket, TicketEvent
    from grid.catalogue import DEPARTMENTS
    from grid.dbtypes import UTCDateTime

    pg = engine.dialect.name == "postgresql"
    depts = [code for code, _, _ in DEPARTMENTS]
    slots = [models[name] for name, (weight, *_) in MODELS.items() for _ in range(weight)]
    with engine.begin() as conn:
        top = conn.execute(text("SELECT max(id) FROM ticket")).scalar_one()
        conn.execute(text("CREATE TABLE bench_cell (n integer PRIMARY KEY, code varchar(20), lat float, lng float)"))
        from bigcity import DX, DY
        conn.execute(text("INSERT INTO bench_cell VALUES (:n, :code, :lat, :lng)"),
                     [{"n": n, "code": c, "lat": y + DY / 2, "lng": x + DX / 2} for n, (c, x, y) in enumerate(cells)])
        conn.execute(text("CREATE TABLE bench_dept (r integer, old varchar(32), new varchar(32), clerk integer, "
                          "PRIMARY KEY (r, old))"))
        conn.execute(text("INSERT INTO bench_dept VALUES (:r, :old, :new, :clerk)"),
                     [{"r": r, "old": d, "new": depts[(k + r) % len(depts)],
                       "clerk": ids[f"dept:{depts[(k + r) % len(depts)]}"][0]}
                      for r in range(len(depts)) for k, d in enumerate(depts)])
        conn.execute(text("CREATE TABLE bench_copy (id integer PRIMARY KEY, model integer, cell integer, r integer, "
                          "shift integer, number varchar(20), worker integer, dispatcher integer, shift_lead integer, "
                          "operator integer)"))
    rows = []
    for k in range(cases - len(models)):
        i = top + 1 + k
        cell = i * 7919 % len(cells)
        shift = DAYS[k % len(DAYS)] * 24 * 60 + (i * 37) % 240 - 60
        rows.append({"id": i, "model": slots[(k * 7) % len(slots)], "cell": cell, "r": (k // 7) % len(depts),
                     "shift": shift, "number": f"V{i:019d}", "worker": ids["worker"][cell // CELLS_PER_WORKER],
                     **{role: ids[role][(i // 3) % len(ids[role])] for role in STAFF}})
    people_of = ("CASE {role} WHEN 'worker' THEN c.worker WHEN 'dispatcher' THEN c.dispatcher "
                 "WHEN 'shift_lead' THEN c.shift_lead WHEN 'operator' THEN c.operator "
                 "WHEN 'department' THEN coalesce(d.clerk, {id}) ELSE {id} END")

    def select_of(table, alias: str, special: dict[str, str]) -> tuple[str, str]:  # noqa: ANN001
        cols = [c for c in table.__table__.columns if c.name != "id" or "id" in special]
        exprs = [special.get(c.name) or (_shifted(f"{alias}.{c.name}", pg) if isinstance(c.type, UTCDateTime)
                                         else f"{alias}.{c.name}") for c in cols]
        return ", ".join(c.name for c in cols), ", ".join(exprs)

    tcols, texprs = select_of(Ticket, "t", {
        "id": "c.id", "case_number": "c.number", "lat": "bc.lat", "lng": "bc.lng", "cell_code": "bc.code",
        "community_code": "substr(bc.code, 1, 12)", "street_code": "substr(bc.code, 1, 9)",
        "district_code": "substr(bc.code, 1, 6)", "idempotency_key": "NULL", "merged_into_id": "NULL",
        "tracking_hash": "NULL", "department_code": "coalesce(d.new, t.department_code)",
        "suggested_department_code": "coalesce(s.new, t.suggested_department_code)",
        "reporter_id": "CASE t.source WHEN 'worker' THEN c.worker WHEN 'hotline' THEN c.operator "
                       "ELSE t.reporter_id END"})
    ecols, eexprs = select_of(TicketEvent, "e", {
        "ticket_id": "c.id", "department_code": "coalesce(d.new, e.department_code)",
        "actor_id": people_of.format(role="e.role", id="e.actor_id")})
    rcols, rexprs = select_of(Rating, "g", {
        "ticket_id": "c.id", "department_code": "coalesce(d.new, g.department_code)", "recorded_by": "c.operator"})
    copy = "FROM bench_copy c JOIN {table} {a} ON {a}.{key} = c.model " \
           "LEFT JOIN bench_dept d ON d.r = c.r AND d.old = {a}.department_code "
    statements = [
        f"INSERT INTO ticket ({tcols}) SELECT {texprs} " + copy.format(table="ticket", a="t", key="id")
        + "LEFT JOIN bench_dept s ON s.r = c.r AND s.old = t.suggested_department_code "
          "JOIN bench_cell bc ON bc.n = c.cell",
        f"INSERT INTO ticket_event ({ecols}) SELECT {eexprs} " + copy.format(table="ticket_event", a="e",
                                                                           key="ticket_id"),
        f"INSERT INTO rating ({rcols}) SELECT {rexprs} " + copy.format(table="rating", a="g", key="ticket_id"),
    ]
    for start in range(0, len(rows), chunk):
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM bench_copy"))
            conn.execute(text("INSERT INTO bench_copy VALUES (:id, :model, :cell, :r, :shift, :number, :worker, "
                              ":dispatcher, :shift_lead, :operator)"), rows[start:start + chunk])
            for sql in statements:
                conn.execute(text(sql))
        print(f"  … {len(models) + min(start + chunk, len(rows)):,} cases", flush=True)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE bench_copy"))
        conn.execute(text("DROP TABLE bench_dept"))
        conn.execute(text("DROP TABLE bench_cell"))
        if pg:
            conn.execute(text("SELECT setval('ticket_id_seq', (SELECT max(id) FROM ticket))"))
            conn.execute(text("SELECT setval('ticket_event_id_seq', (SELECT max(id) FROM ticket_event))"))
            conn.execute(text("SELECT setval('rating_id_seq', (SELECT max(id) FROM rating))"))
        conn.execute(text("CREATE TABLE bench_eval_marker (value integer, columns text)"))
        conn.execute(text("INSERT INTO bench_eval_marker VALUES (:n, :c)"), {"n": cases, "c": schema()})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE) ticket, ticket_event, rating" if pg else "ANALYZE"))


def build(backend: str, cases: int) -> None:
    from bigcity import insert_cells, migrated_with_catalogue

    create(backend, cases)
    engine = migrated_with_catalogue(url_of(backend, cases))
    cells = insert_cells(engine, CELLS)
    ids = people(engine, cells)
    models = file_models(engine, cells, ids)
    copy_cases(engine, cells, ids, models, cases)
    engine.dispose()


# --- the measurements ------------------------------------------------------------------------------------

def limited(url: str, limit: float) -> Engine:
    """The app's engine, every statement stopped after ``limit`` seconds."""
    from web.db import make_engine

    engine = make_engine(url, statement_timeout=limit)
    if engine.dialect.name == "sqlite":
        started = [time.monotonic()]

        @event.listens_for(engine, "before_cursor_execute")
        def _start(*_args) -> None:  # noqa: ANN002
            started[0] = time.monotonic()

        @event.listens_for(engine, "connect")
        def _limit(dbapi_connection, _record) -> None:  # noqa: ANN001
            dbapi_connection.set_progress_handler(lambda: int(time.monotonic() - started[0] > limit), 100_000)
    return engine


def timed(fn):  # noqa: ANN001, ANN201
    start = time.perf_counter()
    try:
        value = fn()
    except DBAPIError as exc:  # over the statement limit (or a database without a column the engine reads)
        return None, time.perf_counter() - start, str(exc.orig).splitlines()[0][:80]
    return value, time.perf_counter() - start, None


def comparable(results: list) -> list:
    return [(r.subject, r.score, r.grade, [(f.key, f.rows, f.hits, f.cells, f.points) for f in r.figures])
            for r in results]


def measure(backend: str, url: str, month: str, limit: float) -> None:
    from sqlmodel import Session

    from dispatch.evaluation import scores
    from dispatch.evaluation.periods import parse

    period = parse(month, SH)
    engine = limited(url, limit)
    bounds = {"a": period.start, "b": period.end}
    if engine.dialect.name == "sqlite":  # the stored text: naive UTC
        bounds = {k: v.replace(tzinfo=None) for k, v in bounds.items()}
    with Session(engine) as s:
        census = s.execute(text("SELECT (SELECT count(*) FROM ticket), (SELECT count(*) FROM ticket_event), "
                                "(SELECT count(*) FROM rating)")).one()
    print(f"{backend}: {census[0]:,} cases, {census[1]:,} events, {census[2]:,} ratings; period {period.label} "
          f"({period.start:%Y-%m-%d %H:%M} … {period.end:%Y-%m-%d %H:%M} UTC)")

    def reference() -> tuple[float, float, int, int]:
        with Session(engine) as s:
            n, t1, _ = timed(lambda: s.execute(text("SELECT count(*) FROM ticket_event WHERE at >= :a AND at < :b"),
                                               bounds).scalar_one())
            g, t2, _ = timed(lambda: s.execute(text("SELECT action, count(*) FROM ticket_event WHERE at >= :a "
                                                    "AND at < :b GROUP BY action"), bounds).all())
        return t1, t2, n, len(g)

    with Session(engine) as s:  # warm: the connection, the scheme, the caches
        s.execute(text("SELECT count(*) FROM ticket_event")).scalar_one()
    ref_before = reference()
    print(f"  {'object':<12} {'subjects':>8} {'1st s':>8} {'2nd s':>8}  same twice", flush=True)
    results, totals = {}, [0.0, 0.0]
    for obj in scores.OBJECT_NAMES:  # each object scored twice over, the second to compare with the first
        twice = []
        for n in range(2):
            with Session(engine) as s:
                value, seconds, error = timed(lambda s=s, obj=obj: scores.evaluate(session=s, obj=obj, period=period))
            twice.append((value[1] if value else None, seconds, error))
            totals[n] += seconds
            if error:  # stopped: not again
                twice.append(twice[0])
                break
        (a, ta, ea), (b, tb, _) = twice
        results[obj] = a
        same = "—" if ea else ("yes" if comparable(a) == comparable(b) else "NO")
        second = "" if ea else f"{tb:>8.2f}"
        print(f"  {obj:<12} {len(a or []):>8,} {ta:>8.2f} {second:>8}  {same}{f'  stopped: {ea}' if ea else ''}",
              flush=True)
    print(f"  {'all objects':<12} {'':>8} {totals[0]:>8.2f} {totals[1]:>8.2f}")
    ref_after = reference()
    with Session(engine) as s:
        subject = next((r.subject for r in results["department"] or []
                        if (f := r.figure("on_time_rate")) and f.rows), "SANITATION")
        drill, drill_s, drill_err = timed(lambda: scores.cases(session=s, obj="department", subject=subject,
                                                               indicator="on_time_rate", period=period))
    if drill_err:
        print(f"  drill-down department {subject} on_time_rate: stopped: {drill_err}")
    else:
        print(f"  drill-down department {subject} on_time_rate: {drill['numerator']:,}/{drill['denominator']:,} "
              f"({len(drill['items']):,} listed) in {drill_s:.2f} s")
    for label, (t1, t2, n, groups) in (("before", ref_before), ("after", ref_after)):
        print(f"  reference ({label}): count(*) of the month's {n:,} events {t1:.3f} s; "
              f"GROUP BY action ({groups} actions) {t2:.3f} s")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--keep", action="store_true", help="keep the database for the next run (reused then)")
    parser.add_argument("--rebuild", action="store_true", help="build the database even if one holds the cases")
    parser.add_argument("--statement-limit", type=float, default=60.0, help="seconds; a longer statement stops")
    args = parser.parse_args()
    print(f"evaluation bench, {args.cases:,} cases, {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    for backend in args.backends.split(","):
        if backend == "postgresql" and not pg_answers():
            print("postgresql: nothing answers on 127.0.0.1:5432, skipped")
            continue
        url = url_of(backend, args.cases)
        try:
            if args.rebuild or not holds(url, args.cases):
                start = time.perf_counter()
                build(backend, args.cases)
                print(f"{backend}: built in {time.perf_counter() - start:.1f} s ({url})")
            else:
                print(f"{backend}: reusing {url}")
            measure(backend, url, args.month, args.statement_limit)
        finally:
            if not args.keep:
                drop(backend, args.cases)


if __name__ == "__main__":
    main()
