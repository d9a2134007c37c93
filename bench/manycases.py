"""Many realistic open cases, fast, on PostgreSQL: a handful filed and moved through the real service
(dispatch.service.report and act, so every column is what the service writes), then copied in SQL
(INSERT … SELECT over generate_series) into any number of cases spread over the city's cells, with their
timers, so that a chosen share of them is green, yellow and red now.

How a copy differs from its model case: a new id and case number (20 characters, so never one of the
service's 17-character numbers and no case_counter row to keep), a random point in a random cell (and
that cell's community, street and district), and its instants moved: the running deadlines (and the
instants the light turns yellow and red, on the timer and on the case) by what puts the case in its
light class, every other instant (created, stamps, timers' start and anchor, pauses) back by a few
hours more than that. The audit trail, routing decisions, escalations and live events are not copied:
``audit verify`` would flag the copies; the map and counters do not read them.

Used by bench/scale.py; the database must hold the city (bench/bigcity.py), the catalogue and calendars."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import shapely
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from dispatch import service
from dispatch.markers import OPEN_STATUSES
from dispatch.options import DispatchOptions
from geo.index import CellIndex
from grid.models import Area, AreaLevel, Role, User
from grid.people import Actor, create_user
from grid.routing import add_rule

# the acts that bring a worker's auto-dispatched report to each open status, and the share of each
PATHS: dict[str, tuple[list[str], int]] = {
    "verifying": (["<hotline>"], 4),
    "registered": (["request_return", "approve_return"], 4),
    "dispatched": ([], 14),
    "return_requested": (["request_return"], 2),
    "accepted": (["accept"], 38),
    "extension_requested": (["accept", "request_extension"], 5),
    "suspension_requested": (["accept", "request_suspension"], 2),
    "suspended": (["accept", "request_suspension", "approve_suspension"], 10),
    "resolved": (["accept", "resolve"], 10),
    "rework": (["accept", "resolve", "check_fail"], 5),
    "checked": (["accept", "resolve", "check_pass"], 6),
}
# minor class → the department its routing rule sends it to: one on working time, one on 24×7
CATEGORIES = {"E0101": "SANITATION", "C0101": "WATER"}
LIGHT_SHARES = {"red": 0.08, "yellow": 0.12}  # the rest green
PAYLOADS = {"request_extension": {"hours": 8}}


def file_models(engine: Engine, district: str, *, seed: int = 7) -> dict[str, list[int]]:
    """File one case per (status, category) through the service and walk it to its status; returns
    status → model case ids. Adds the routing rules, a grid worker for the first community, a dispatcher
    and the two departments' users."""
    rnd = random.Random(seed)
    options = DispatchOptions()
    with Session(engine) as session:
        cells = session.exec(select(Area.code, Area.geometry).where(Area.level == AreaLevel.cell)
                             .order_by(Area.code).limit(400)).all()
        for category, department in CATEGORIES.items():
            add_rule(session=session, department_code=department, category=category[:3], area_code=district)
        users = {"worker": create_user(session=session, username="bench_worker", role=Role.worker,
                                       cell_codes=[c for c, _ in cells]),
                 "centre": create_user(session=session, username="bench_centre", role=Role.dispatcher)}
        for department in CATEGORIES.values():
            users[department] = create_user(session=session, username=f"bench_{department.lower()}",
                                            role=Role.department, department_code=department)
        session.commit()
        actors = {name: Actor.of(session=session, user=u) for name, u in users.items()}
        geoms = [shapely.from_geojson(g) for _, g in cells]
        index = CellIndex([c for c, _ in cells], geoms)
        models: dict[str, list[int]] = {}
        for n, (status, (acts, _)) in enumerate(PATHS.items()):
            for k, (category, department) in enumerate(CATEGORIES.items()):
                point = geoms[(n * len(CATEGORIES) + k) * 7 % len(geoms)].centroid
                hotline = acts[:1] == ["<hotline>"]
                ticket = service.report(
                    session=session, actor=actors["centre" if hotline else "worker"], index=index, options=options,
                    lat=point.y, lng=point.x, category_code=category, description=f"bench model case ({status})",
                    urgency=rnd.choice(["normal", "normal", "urgent"]), source="hotline" if hotline else None,
                ).ticket
                for action in acts[hotline:]:
                    who = ("worker" if action.startswith("check") else
                           "centre" if action.startswith("approve") else department)
                    ticket = service.act(session=session, actor=actors[who], ticket_id=ticket.id, action=action,
                                         options=options, reason="bench", payload=PAYLOADS.get(action))
                if ticket.status != status:
                    raise RuntimeError(f"model case for {status} ended {ticket.status}")
                models.setdefault(status, []).append(ticket.id)
                session.commit()
    return models


def dispatcher_token(engine: Engine) -> str:
    """An API token of the benchmark's dispatcher (the centre sees every case)."""
    from web.auth import issue_token

    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == "bench_centre")).one()
        token = issue_token(session=session, user=user, name="bench")
        session.commit()
    return token


# --- variants: a model case moved in time, with the service's own working-time arithmetic ----------------

VARIANTS = 101  # per model case, red and yellow about as LIGHT_SHARES; prime, so copies cycle through all
MOVED = ("started_at", "anchor_at", "anchor_remaining_s", "due_at", "original_due_at", "warning_level", "next_level",
         "next_fire_at", "yellow_at", "red_at")  # what a variant sets on a running timer


def _light_class(v: int) -> tuple[str, float, float]:
    """Variant ``v``'s light and the range of its remaining share of the limit."""
    red = round(LIGHT_SHARES["red"] * VARIANTS)
    yellow = round(LIGHT_SHARES["yellow"] * VARIANTS)
    if v < red:
        return "red", -2.0, -0.01
    return ("yellow", 0.01, 0.19) if v < red + yellow else ("green", 0.21, 1.0)


def variants(engine: Engine, models: dict[str, list[int]], now: datetime, *, seed: int = 7) -> tuple[list, list]:
    """Each model case ``VARIANTS`` times, its running timers re-anchored at ``now`` with a share of their
    limit left that makes the variant red, yellow or green now; due, yellow and red instants and the next
    escalation from the calendars (as dispatch.worktime.changes does when a calendar changes), the levels
    already reached marked fired, the case's instants from its timers (sla.summarise). A suspended case
    (nothing running) keeps its frozen light. Returns (case rows, running-timer rows)."""
    from types import SimpleNamespace

    from dispatch import sla
    from dispatch.models import SlaTimer
    from dispatch.worktime import calendar_for

    rnd = random.Random(seed)
    cases, timers = [], []
    with Session(engine) as session:
        for model_id in (i for ids in models.values() for i in ids):
            active = [t for t in sla.timers_of(session=session, ticket_id=model_id) if t.active]
            for v in range(VARIANTS):
                light, low, high = _light_class(v)
                share = rnd.uniform(low, high)
                age, copies = None, []
                for timer in active:
                    copy = SlaTimer(**timer.model_dump())
                    if timer.paused_at is None:  # running
                        cal = calendar_for(session=session, code=timer.calendar_code)
                        total = sla.total_s(timer)
                        copy.anchor_at, copy.anchor_remaining_s = now, share * total
                        copy.due_at = copy.original_due_at = cal.shift(now, copy.anchor_remaining_s)
                        copy.started_at = cal.shift(now, -(total - copy.anchor_remaining_s))
                        copy.warning_level = max(timer.warning_level, {"red": 2, "yellow": 1}.get(light, 0))
                        sla.schedule_next(copy, cal)
                        moved = copy.started_at - timer.started_at
                        age = moved if age is None else min(age, moved)
                        timers.append({"timer": timer.id, "v": v, **{c: getattr(copy, c) for c in MOVED}})
                    copies.append(copy)
                age = age if age is not None else timedelta(0)
                for copy in copies:  # a paused timer's instants move back with the rest of the case's history
                    if copy.paused_at is not None:
                        copy.yellow_at = copy.yellow_at and copy.yellow_at + age
                        copy.red_at = copy.red_at and copy.red_at + age
                head = SimpleNamespace()
                sla.summarise(head, copies)
                cases.append({"model": model_id, "v": v, "age": age, "yellow": head.sla_yellow_at,
                              "red": head.sla_red_at, "due": head.sla_due_at})
        session.rollback()
    return cases, timers


# --- the copies in SQL -------------------------------------------------------------------------------------

def _columns(conn, table: str) -> list[tuple[str, str]]:  # noqa: ANN001
    return conn.execute(text("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = :t "
                             "AND table_schema = current_schema() ORDER BY ordinal_position"), {"t": table}).all()


def _ticket_select(columns: list[tuple[str, str]]) -> str:
    special = {
        "id": "e.i",
        "case_number": "t.category_code || to_char((t.created_at + bv.age) AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')"
                       " || lpad(e.i::text, 7, '0')",
        "lat": "c.min_lat + (0.05 + 0.9 * e.fy) * (c.max_lat - c.min_lat)",
        "lng": "c.min_lng + (0.05 + 0.9 * e.fx) * (c.max_lng - c.min_lng)",
        "cell_code": "c.code", "community_code": "left(c.code, 12)", "street_code": "left(c.code, 9)",
        "district_code": "left(c.code, 6)", "idempotency_key": "NULL", "merged_into_id": "NULL",
        "sla_yellow_at": "bv.yellow", "sla_red_at": "bv.red", "sla_due_at": "bv.due",
    }
    return ", ".join(special.get(name) or (f"t.{name} + bv.age" if kind.startswith("timestamp") else f"t.{name}")
                     for name, kind in columns)


def _timer_select(columns: list[tuple[str, str]]) -> str:
    def expr(name: str, kind: str) -> str:
        if name == "ticket_id":
            return "n.id"
        model = f"m.{name} + (n.created_at - t.created_at)" if kind.startswith("timestamp") else f"m.{name}"
        return f"CASE WHEN vt.timer IS NULL THEN {model} ELSE vt.{name} END" if name in MOVED else model

    return ", ".join(expr(name, kind) for name, kind in columns if name != "id")


def grow(engine: Engine, models: dict[str, list[int]], open_cases: int, *, chunk: int = 250_000,
         progress: Callable[[str], None] = print) -> None:
    """Copy the model cases until ``open_cases`` cases are open, each copy with its timers; then VACUUM
    (ANALYZE) the two tables, as autovacuum would soon (and not while the bench measures). Copy ``i`` is of
    model ``slots[i % len(slots)]`` (the models weighted as PATHS says), variant ``i % VARIANTS`` (every
    light in any run of VARIANTS copies), in a random cell."""
    slots = [tid for status, (_, weight) in PATHS.items() for _ in range(weight) for tid in models[status]]
    assert math.gcd(len(slots), VARIANTS) == 1, "every model must meet every variant"
    now = datetime.now(UTC)
    cases, timers = variants(engine, models, now)
    with engine.connect() as conn:
        with conn.begin():
            count = conn.execute(text("SELECT count(*) FROM ticket WHERE status = ANY(:s)"),
                                 {"s": OPEN_STATUSES}).scalar_one()
            top = conn.execute(text("SELECT coalesce(max(id), 0) FROM ticket")).scalar_one()
            tcols, mcols = _columns(conn, "ticket"), _columns(conn, "sla_timer")
            conn.execute(text("CREATE TEMP TABLE bench_slot (slot int PRIMARY KEY, model int NOT NULL)"))
            conn.execute(text("INSERT INTO bench_slot VALUES (:s, :m)"),
                         [{"s": s, "m": m} for s, m in enumerate(slots)])
            conn.execute(text("CREATE TEMP TABLE bench_variant (model int, v int, age interval, yellow timestamptz, "
                              "red timestamptz, due timestamptz, PRIMARY KEY (model, v))"))
            conn.execute(text("INSERT INTO bench_variant VALUES (:model, :v, :age, :yellow, :red, :due)"), cases)
            conn.execute(text("CREATE TEMP TABLE bench_timer (timer int, v int, " + ", ".join(
                f"{n} {k}" for n, k in mcols if n in MOVED) + ", PRIMARY KEY (timer, v))"))
            conn.execute(text(f"INSERT INTO bench_timer (timer, v, {', '.join(MOVED)}) VALUES (:timer, :v, "
                              f"{', '.join(':' + c for c in MOVED)})"), timers)
            conn.execute(text("CREATE TEMP TABLE bench_cell AS SELECT row_number() OVER (ORDER BY code) - 1 AS n, "
                              "code, min_lng, min_lat, max_lng, max_lat FROM area WHERE level = 'cell'"))
            conn.execute(text("CREATE UNIQUE INDEX ON bench_cell (n)"))
            conn.execute(text("ANALYZE bench_slot; ANALYZE bench_variant; ANALYZE bench_timer; ANALYZE bench_cell"))
            cells = conn.execute(text("SELECT count(*) FROM bench_cell")).scalar_one()
        ticket_sql = text(f"""
            WITH e AS (
                SELECT i, floor(random() * CAST(:cells AS integer))::int AS cell, random() AS fx, random() AS fy
                FROM generate_series(CAST(:a AS integer), CAST(:b AS integer)) AS i)
            INSERT INTO ticket ({", ".join(n for n, _ in tcols)})
            SELECT {_ticket_select(tcols)}
            FROM e JOIN bench_slot sl ON sl.slot = e.i % CAST(:slots AS integer)
            JOIN ticket t ON t.id = sl.model
            JOIN bench_variant bv ON bv.model = t.id AND bv.v = e.i % {VARIANTS}
            JOIN bench_cell c ON c.n = e.cell""")
        timer_sql = text(f"""
            INSERT INTO sla_timer ({", ".join(n for n, _ in mcols if n != "id")})
            SELECT {_timer_select(mcols)}
            FROM ticket n JOIN bench_slot sl ON sl.slot = n.id % CAST(:slots AS integer)
            JOIN ticket t ON t.id = sl.model
            JOIN sla_timer m ON m.ticket_id = t.id
            LEFT JOIN bench_timer vt ON vt.timer = m.id AND vt.v = n.id % {VARIANTS}
            WHERE n.id BETWEEN CAST(:a AS integer) AND CAST(:b AS integer)""")
        start, remaining = top + 1, open_cases - count
        while remaining > 0:
            n = min(chunk, remaining)
            args = dict(a=start, b=start + n - 1, slots=len(slots), cells=cells)
            with conn.begin():
                conn.execute(text("SELECT setseed(:s)"), {"s": (start % 1000) / 1000})
                conn.execute(ticket_sql, args)
                conn.execute(timer_sql, args)
            start, remaining = start + n, remaining - n
            progress(f"  … {open_cases - remaining:,} open cases")
        with conn.begin():
            conn.execute(text("SELECT setval('ticket_id_seq', (SELECT max(id) FROM ticket))"))
            conn.execute(text("DROP TABLE bench_slot, bench_variant, bench_timer, bench_cell"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE) ticket, sla_timer"))


def census(engine: Engine) -> dict:
    """What the copies add up to: open cases per status, their lights now from the stored instants, timers,
    and on a sample of copies whether the case's instants are the earliest of its running timers'."""
    with engine.connect() as conn:
        statuses = Counter(dict(conn.execute(text(
            "SELECT status, count(*) FROM ticket WHERE status = ANY(:s) GROUP BY status"), {"s": OPEN_STATUSES}).all()))
        red, yellow = conn.execute(text(
            "SELECT count(*) FILTER (WHERE sla_red_at <= now()), count(*) FILTER (WHERE sla_yellow_at <= now() AND "
            "(sla_red_at IS NULL OR sla_red_at > now())) FROM ticket WHERE status = ANY(:s)"),
            {"s": OPEN_STATUSES}).one()
        timers, running = conn.execute(text(
            "SELECT count(*), count(*) FILTER (WHERE active) FROM sla_timer")).one()
        wrong = conn.execute(text("""
            SELECT count(*) FROM ticket n CROSS JOIN LATERAL (
                SELECT min(yellow_at) AS y, min(red_at) AS r, min(due_at) FILTER (WHERE paused_at IS NULL) AS d
                FROM sla_timer WHERE ticket_id = n.id AND active) m
            WHERE n.id % 997 = 0 AND (n.sla_yellow_at IS DISTINCT FROM m.y OR n.sla_red_at IS DISTINCT FROM m.r
                                      OR n.sla_due_at IS DISTINCT FROM m.d)""")).scalar_one()
        sample = conn.execute(text("SELECT count(*) FROM ticket WHERE id % 997 = 0")).scalar_one()
    return {"open": sum(statuses.values()), "statuses": statuses, "red": red, "yellow": yellow, "timers": timers,
            "running_timers": running, "sample": sample, "inconsistent": wrong}
