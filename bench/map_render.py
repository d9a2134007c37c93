"""The control-room map with 40,000 cells and 20,000 open cases: time to the first full render, and
smoothness while panning, in headless Chromium.

Run: uv run python bench/map_render.py [--cells 40000] [--cases 20000] [--pan-seconds 4]
It builds a throw-away SQLite database (a 200 × 200 grid of ~100 m cells in 100 communities, 5 streets, one
district; open cases with running timers, some yellow and some red), starts the real server on loopback,
signs in as a dispatcher in Debian's Chromium (Playwright) and prints:
- the API: /map/cases, /map/cells (first and cached) and /stats/today response times and sizes;
- first render: from navigation to the page's ``window.__gridopsMapReady`` (cells, boundaries and markers
  loaded and the map idle);
- panning: frame times measured with requestAnimationFrame during a scripted pan, zoomed out (clusters)
  and zoomed in (single markers).
Headless Chromium here renders WebGL in software (SwiftShader), so the figures are pessimistic. The
target (issue): first render under 2 s, smooth panning. It prints figures; it never fails on speed."""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import Session, select  # noqa: E402
from throwaway import database  # noqa: E402

from dispatch.sla import DEFAULT_LADDER  # noqa: E402
from grid.calendars import ensure_calendars  # noqa: E402
from grid.catalogue import load_default_catalogue  # noqa: E402
from grid.models import Category, Role  # noqa: E402
from grid.people import create_user  # noqa: E402
from web.auth import hash_password  # noqa: E402
from web.db import make_engine, upgrade  # noqa: E402

X0, Y0 = 121.40, 31.15
DX, DY = 0.00105, 0.0009  # about 100 m × 100 m near Shanghai
BLOCK = 20  # a community is 20 × 20 cells
PASSWORD = "bench-pass"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
        "--no-first-run", "--disable-component-update", "--disable-sync", "--use-gl=swiftshader",
        "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"]
OPEN = ["registered", "dispatched", "accepted", "accepted", "accepted", "extension_requested", "resolved", "rework"]


def box(x0: float, y0: float, x1: float, y1: float) -> str:
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return json.dumps({"type": "Polygon", "coordinates": [[[round(x, 7), round(y, 7)] for x, y in ring]]})


def grid_layout(cells: int) -> tuple[int, int]:
    side = int(math.ceil(math.sqrt(cells) / BLOCK)) * BLOCK
    return side, int(math.ceil(cells / side / BLOCK)) * BLOCK


def cell_code(col: int, row: int, streets_cols: int) -> str:
    ccol, crow = col // BLOCK, row // BLOCK
    street = ccol // streets_cols + 1
    community = (ccol % streets_cols) * 100 + crow + 1  # unique within the street
    k = (row % BLOCK) * BLOCK + col % BLOCK + 1
    return f"310101{street:03d}{community:03d}{k:03d}"


def build(url: str, n_cells: int, n_cases: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        ensure_calendars(session=session)
        load_default_catalogue(session=session)
        user = create_user(session=session, username="dispatcher", role=Role.dispatcher)
        user.password_hash = hash_password(PASSWORD)
        session.add(user)
        categories = [(c.code, c.kind, c.default_department_code) for c in session.exec(select(Category))]
        session.commit()
    cols, rows = grid_layout(n_cells)
    streets_cols = 2  # communities per street across
    now = datetime.now(UTC)
    if url.startswith("sqlite"):  # stored as naive UTC text there, as the app's UTCDateTime does
        now = now.replace(tzinfo=None)
    areas, seen = [], set()

    def area(code: str, level: str, parent: str | None, x0: float, y0: float, x1: float, y1: float) -> None:
        areas.append(dict(code=code, level=level, name=f"{level} {code[-3:]}", parent=parent,
                          geometry=box(x0, y0, x1, y1), a=x0, b=y0, c=x1, d=y1,
                          m2=round((x1 - x0) * 95_000 * (y1 - y0) * 111_000, 1), now=now))

    made = 0
    codes: list[tuple[str, float, float]] = []
    for row in range(rows):
        for col in range(cols):
            if made >= n_cells:
                break
            code = cell_code(col, row, streets_cols)
            x0, y0 = X0 + col * DX, Y0 + row * DY
            area(code, "cell", code[:12], x0, y0, x0 + DX, y0 + DY)
            codes.append((code, x0, y0))
            made += 1
            community = code[:12]
            if community not in seen:
                seen.add(community)
                cx, cy = X0 + (col // BLOCK) * BLOCK * DX, Y0 + (row // BLOCK) * BLOCK * DY
                area(community, "community", code[:9], cx, cy, cx + BLOCK * DX, cy + BLOCK * DY)
    for street in sorted({c[:9] for c, _, _ in codes}):
        s = int(street[6:]) - 1
        sx = X0 + s * streets_cols * BLOCK * DX
        area(street, "street", "310101", sx, Y0, min(sx + streets_cols * BLOCK * DX, X0 + cols * DX), Y0 + rows * DY)
    area("310101", "district", None, X0, Y0, X0 + cols * DX, Y0 + rows * DY)

    rnd = random.Random(7)
    ladder = json.dumps(DEFAULT_LADDER, sort_keys=True)
    tickets, timers = [], []
    for i in range(1, n_cases + 1):
        code, x0, y0 = codes[rnd.randrange(len(codes))]
        cat, kind, dept = categories[rnd.randrange(len(categories))]
        status = rnd.choice(OPEN)
        created = now - timedelta(minutes=rnd.randrange(1, 60 * 24 * 10))
        # due: mostly hours ahead (green), some within the last 20 % (yellow), some past (red)
        roll = rnd.random()
        limit = 4 * 3600.0
        remaining = (rnd.uniform(-8, -0.1) if roll < 0.08 else rnd.uniform(0.05, 0.75) if roll < 0.2
                     else rnd.uniform(1, 60)) * 3600
        tickets.append(dict(id=i, case_number=f"{cat}{created:%Y%m%d}{i:05d}"[:20], status=status, kind=kind, cat=cat,
                            urgency=rnd.choice(["normal", "normal", "normal", "urgent", "critical"]),
                            lat=y0 + rnd.uniform(0.05, 0.95) * DY, lng=x0 + rnd.uniform(0.05, 0.95) * DX,
                            cell=code, community=code[:12], street=code[:9], district=code[:6],
                            dept=None if status == "registered" else dept, suggested=dept, created=created))
        due = now + timedelta(seconds=remaining)
        timers.append(dict(ticket_id=i, stage="dispatch" if status == "registered" else "handle",
                           calendar="24x7" if i % 2 else "standard", basis="natural" if i % 2 else "working",
                           limit_s=limit, ladder=ladder, started=created, anchor=now, anchor_remaining_s=remaining,
                           due=due, later=due + timedelta(days=30)))
    with engine.begin() as conn:
        conn.execute(text("""INSERT INTO area (code, level, name, parent_code, geometry, min_lng, min_lat, max_lng,
            max_lat, area_m2, derived, updated_at) VALUES (:code, :level, :name, :parent, :geometry, :a, :b, :c, :d,
            :m2, false, :now)"""), areas)
        conn.execute(text("""INSERT INTO ticket (id, case_number, version, status, kind, category_code, urgency,
            description, address, lat, lng, input_crs, cell_code, community_code, street_code, district_code, source,
            reporter_name, support_count, extension_hours, audit_head, audit_count, department_code,
            suggested_department_code, created_at, updated_at)
            VALUES (:id, :case_number, 1, :status, :kind, :cat, :urgency, 'bench case', '', :lat, :lng, 'wgs84', :cell,
            :community, :street, :district, 'worker', 'bench', 0, 0, '', 0, :dept, :suggested, :created, :created)"""),
                     tickets)
        conn.execute(text("""INSERT INTO sla_timer (ticket_id, stage, cycle, active, calendar_code, basis, limit_s,
            extension_s, ladder, started_at, anchor_at, anchor_remaining_s, due_at, original_due_at, paused_total_s,
            warning_level, next_level, next_fire_at) VALUES (:ticket_id, :stage, 1, true, :calendar, :basis,
            :limit_s, 0, :ladder, :started, :anchor, :anchor_remaining_s, :due, :due, 0, 0, 1, :later)"""), timers)
    engine.dispose()
    print(f"built: {made:,} cells in {len(seen)} communities, {n_cases:,} open cases")


STEPS = """() => [
  ...performance.getEntriesByType('resource').filter((r) => r.name.includes('/api/v1/'))
    .map((r) => [new URL(r.name).pathname.replace('/api/v1', '') + new URL(r.name).search + ' done', r.responseEnd]),
  ...performance.getEntriesByType('mark').map((m) => [m.name, m.startTime]),
].sort((a, b) => a[1] - b[1])"""

PAN = """async ([seconds, zoom]) => {
  const map = window.__gridopsMap;
  const bounds = map.getBounds();
  map.jumpTo({ center: map.getCenter(), zoom });
  await new Promise((r) => map.once('idle', r));
  const c = map.getCenter();
  const span = (bounds.getEast() - bounds.getWest()) / 4;
  const frames = [];
  let last = performance.now();
  const start = last;
  await new Promise((resolve) => {
    function step(now) {
      frames.push(now - last);
      last = now;
      const t = (now - start) / 1000;
      if (t >= seconds) return resolve();
      const a = (t / seconds) * 2 * Math.PI;
      const k = zoom > 14 ? 0.02 : 0.5;
      map.jumpTo({ center: [c.lng + Math.sin(a) * span * k, c.lat + (1 - Math.cos(a)) * span * k / 2] });
      requestAnimationFrame(step);
    }
    requestAnimationFrame(step);
  });
  frames.shift();
  return frames;
}"""


def frame_stats(frames: list[float]) -> str:
    frames = sorted(frames)
    p95 = frames[int(0.95 * (len(frames) - 1))]
    fps = 1000 * len(frames) / sum(frames)
    return (f"{fps:.1f} fps, median frame {statistics.median(frames):.1f} ms, p95 {p95:.1f} ms, "
            f"worst {frames[-1]:.1f} ms over {len(frames)} frames")


def measure(url: str, pan_seconds: float) -> None:
    from playwright.sync_api import sync_playwright

    from tests.support.server import Server

    server = Server(url, Path(tempfile.mkdtemp()) / "media", GRIDOPS_SCHEDULER_ENABLED="false").start()
    try:
        client = httpx.Client(base_url=server.url, timeout=60)
        r = client.post("/api/v1/login", json={"username": "dispatcher", "password": PASSWORD})
        r.raise_for_status()
        paths = ("/api/v1/map/cases", "/api/v1/map/cells", "/api/v1/map/cells",
                 "/api/v1/stats/today")
        for path in paths:
            t = time.perf_counter()
            resp = client.get(path, headers={"Accept-Encoding": "gzip"})
            took = time.perf_counter() - t
            wire = resp.num_bytes_downloaded
            print(f"GET {path}: {took * 1000:.0f} ms, {wire / 1024:.0f} KiB on the wire "
                  f"({len(resp.content) / 1024:.0f} KiB JSON)")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
            context = browser.new_context(viewport={"width": 1920, "height": 1080})
            page = context.new_page()
            page.goto(f"{server.url}/login")
            page.fill("#username", "dispatcher")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/map")
            page.wait_for_function("window.__gridopsMapReady", timeout=120_000)
            for attempt in range(2):
                t = time.perf_counter()
                page.goto(f"{server.url}/map")
                page.wait_for_function("window.__gridopsMapReady", timeout=120_000, polling=50)
                wall = time.perf_counter() - t
                ready = page.evaluate("window.__gridopsMapReady")
                markers = page.get_attribute("#map", "data-markers")
                cells = page.get_attribute("#map", "data-cells")
                label = "first load" if attempt == 0 else "reload (cells revalidated by ETag)"
                print(f"first full render, {label}: {ready:.0f} ms from navigation "
                      f"({wall * 1000:.0f} ms wall), {cells} cells, {markers} markers")
                print("  " + ", ".join(f"{name} at {at:.0f} ms" for name, at in page.evaluate(STEPS)))
            zoom = page.evaluate("window.__gridopsMap.getZoom()")
            print(f"pan at the overview (zoom {zoom:.1f}, clusters): "
                  + frame_stats(page.evaluate(PAN, [pan_seconds, zoom])))
            print("pan zoomed in (zoom 16, single markers and cell lines): "
                  + frame_stats(page.evaluate(PAN, [pan_seconds, 16])))
            browser.close()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, default=40_000)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--pan-seconds", type=float, default=4.0)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite",
                        help="postgresql: a throw-away database on 127.0.0.1:5432, dropped afterwards")
    args = parser.parse_args()
    with database(args.backend, "map_bench") as url:
        t = time.perf_counter()
        build(url, args.cells, args.cases)
        print(f"  ({args.backend} database built in {time.perf_counter() - t:.1f} s)")
        measure(url, args.pan_seconds)

if __name__ == "__main__":
    main()
