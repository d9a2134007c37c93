"""A big synthetic city for benchmarks, written with a few bulk INSERTs (seconds, not the minutes the
service functions would take for 40,000 cells): a grid of ~100 m cells near Shanghai in communities of
20 × 20 cells, two communities across per street, one district; and open cases with running timers.

Used by bench/map_render.py and bench/report.py; the database must be migrated and hold the catalogue."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text
from sqlmodel import Session, select

from dispatch.policies import DEFAULT_LADDER
from grid.models import Category

X0, Y0 = 121.40, 31.15
DX, DY = 0.00105, 0.0009  # about 100 m × 100 m near Shanghai
BLOCK = 20  # a community is 20 × 20 cells
DISTRICT = "310101"
STREETS_COLS = 2  # communities per street across
OPEN = ["registered", "dispatched", "accepted", "accepted", "accepted", "extension_requested", "resolved", "rework"]

Cell = tuple[str, float, float]  # code, west edge, south edge


def migrated_with_catalogue(url: str) -> Engine:
    """A migrated database with the calendars and the default catalogue: where every bench's city starts."""
    from grid.calendars import ensure_calendars
    from grid.catalogue import load_default_catalogue
    from web.db import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        ensure_calendars(session=session)
        load_default_catalogue(session=session)
        session.commit()
    return engine


def box(x0: float, y0: float, x1: float, y1: float) -> str:
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return json.dumps({"type": "Polygon", "coordinates": [[[round(x, 7), round(y, 7)] for x, y in ring]]})


def grid_layout(cells: int) -> tuple[int, int]:
    side = int(math.ceil(math.sqrt(cells) / BLOCK)) * BLOCK
    return side, int(math.ceil(cells / side / BLOCK)) * BLOCK


def cell_code(col: int, row: int, streets_cols: int = STREETS_COLS) -> str:
    ccol, crow = col // BLOCK, row // BLOCK
    street = ccol // streets_cols + 1
    community = (ccol % streets_cols) * 100 + crow + 1  # unique within the street
    k = (row % BLOCK) * BLOCK + col % BLOCK + 1
    return f"{DISTRICT}{street:03d}{community:03d}{k:03d}"


def _now(engine: Engine) -> datetime:
    """Now in UTC; naive on SQLite, where the app's UTCDateTime stores naive UTC text."""
    now = datetime.now(UTC)
    return now.replace(tzinfo=None) if engine.dialect.name == "sqlite" else now


def insert_cells(engine: Engine, n_cells: int) -> list[Cell]:
    """``n_cells`` cells row by row, with their communities, streets and district; returns the cells."""
    cols, rows = grid_layout(n_cells)
    now = _now(engine)
    areas, seen = [], set()

    def area(code: str, level: str, parent: str | None, x0: float, y0: float, x1: float, y1: float) -> None:
        areas.append(dict(code=code, level=level, name=f"{level} {code[-3:]}", parent=parent,
                          geometry=box(x0, y0, x1, y1), a=x0, b=y0, c=x1, d=y1,
                          m2=round((x1 - x0) * 95_000 * (y1 - y0) * 111_000, 1), now=now))

    cells: list[Cell] = []
    for row in range(rows):
        for col in range(cols):
            if len(cells) >= n_cells:
                break
            code = cell_code(col, row)
            x0, y0 = X0 + col * DX, Y0 + row * DY
            area(code, "cell", code[:12], x0, y0, x0 + DX, y0 + DY)
            cells.append((code, x0, y0))
            community = code[:12]
            if community not in seen:
                seen.add(community)
                cx, cy = X0 + (col // BLOCK) * BLOCK * DX, Y0 + (row // BLOCK) * BLOCK * DY
                area(community, "community", code[:9], cx, cy, cx + BLOCK * DX, cy + BLOCK * DY)
    for street in sorted({c[:9] for c, _, _ in cells}):
        s = int(street[6:]) - 1
        sx = X0 + s * STREETS_COLS * BLOCK * DX
        area(street, "street", DISTRICT, sx, Y0, min(sx + STREETS_COLS * BLOCK * DX, X0 + cols * DX), Y0 + rows * DY)
    area(DISTRICT, "district", None, X0, Y0, X0 + cols * DX, Y0 + rows * DY)
    with engine.begin() as conn:
        conn.execute(text("""INSERT INTO area (code, level, name, parent_code, geometry, min_lng, min_lat, max_lng,
            max_lat, area_m2, derived, updated_at) VALUES (:code, :level, :name, :parent, :geometry, :a, :b, :c, :d,
            :m2, false, :now)"""), areas)
    return cells


def insert_open_cases(engine: Engine, cells: list[Cell], n_cases: int, *, seed: int = 7) -> None:
    """``n_cases`` open cases of every category at random points of the cells, each with a running
    timer: mostly green, some yellow, some red. Their numbers start with ``B``, so they never collide
    with the service's own (category code, date, daily sequence), however long the sequence grows."""
    with Session(engine) as session:
        categories = [(c.code, c.kind, c.default_department_code) for c in session.exec(select(Category))]
    now = _now(engine)
    rnd = random.Random(seed)
    ladder = json.dumps(DEFAULT_LADDER, sort_keys=True)
    tickets, timers = [], []
    for i in range(1, n_cases + 1):
        code, x0, y0 = cells[rnd.randrange(len(cells))]
        cat, kind, dept = categories[rnd.randrange(len(categories))]
        status = rnd.choice(OPEN)
        created = now - timedelta(minutes=rnd.randrange(1, 60 * 24 * 10))
        # due: mostly hours ahead (green), some within the last 20 % (yellow), some past (red)
        roll = rnd.random()
        limit = 4 * 3600.0
        remaining = (rnd.uniform(-8, -0.1) if roll < 0.08 else rnd.uniform(0.05, 0.75) if roll < 0.2
                     else rnd.uniform(1, 60)) * 3600
        tickets.append(dict(id=i, case_number=f"B{cat}{created:%y%m%d}{i:07d}", status=status, kind=kind, cat=cat,
                            urgency=rnd.choice(["normal", "normal", "normal", "urgent", "critical"]),
                            lat=y0 + rnd.uniform(0.05, 0.95) * DY, lng=x0 + rnd.uniform(0.05, 0.95) * DX,
                            cell=code, community=code[:12], street=code[:9], district=code[:6],
                            dept=None if status == "registered" else dept, suggested=dept, created=created))
        due = now + timedelta(seconds=remaining)
        # the stored light instants (the service keeps them with the calendar; natural time is close enough
        # for a bench's mix of green, yellow and red)
        yellow = due - timedelta(seconds=0.2 * limit)
        tickets[-1].update(yellow=yellow, red=due, due=due)
        timers.append(dict(ticket_id=i, stage="dispatch" if status == "registered" else "handle", yellow=yellow,
                           calendar="24x7" if i % 2 else "standard", basis="natural" if i % 2 else "working",
                           limit_s=limit, ladder=ladder, started=created, anchor=now, anchor_remaining_s=remaining,
                           due=due, later=due + timedelta(days=30)))
    if not tickets:
        return
    with engine.begin() as conn:
        conn.execute(text("""INSERT INTO ticket (id, case_number, version, status, kind, category_code, urgency,
            description, address, lat, lng, input_crs, cell_code, community_code, street_code, district_code, source,
            reporter_name, support_count, extension_hours, audit_head, audit_count, department_code,
            suggested_department_code, created_at, updated_at, sla_yellow_at, sla_red_at, sla_due_at)
            VALUES (:id, :case_number, 1, :status, :kind, :cat, :urgency, 'bench case', '', :lat, :lng, 'wgs84', :cell,
            :community, :street, :district, 'worker', 'bench', 0, 0, '', 0, :dept, :suggested, :created, :created,
            :yellow, :red, :due)"""),
                     tickets)
        conn.execute(text("""INSERT INTO sla_timer (ticket_id, stage, cycle, active, calendar_code, basis, limit_s,
            extension_s, ladder, started_at, anchor_at, anchor_remaining_s, due_at, original_due_at, paused_total_s,
            warning_level, next_level, next_fire_at, yellow_at, red_at) VALUES (:ticket_id, :stage, 1, true, :calendar,
            :basis, :limit_s, 0, :ladder, :started, :anchor, :anchor_remaining_s, :due, :due, 0, 0, 1, :later,
            :yellow, :due)"""), timers)
        if engine.dialect.name == "postgresql":  # explicit ids: move the sequence past them for the service
            conn.execute(text("SELECT setval('ticket_id_seq', (SELECT max(id) FROM ticket))"))
            conn.execute(text("ANALYZE ticket; ANALYZE sla_timer; ANALYZE area"))
