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
With ``--many`` (PostgreSQL) the open cases are built as bench/scale.py builds them (bench/manycases.py:
model cases filed through the service, copied in SQL with their timers), so ``--cases 1000000`` is quick to
make; past GRIDOPS_MAP_CASE_LIMIT (20,000) the page is in large mode (area counts, the cases in view).
Headless Chromium here renders WebGL in software (SwiftShader), so the figures are pessimistic. The
target (issue): first render under 2 s, smooth panning. It prints figures; it never fails on speed."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import manycases  # noqa: E402
from bigcity import DISTRICT, insert_cells, insert_open_cases, migrated_with_catalogue  # noqa: E402
from sqlmodel import Session, select  # noqa: E402
from throwaway import database  # noqa: E402

from grid.calendars import ensure_calendars  # noqa: E402
from grid.catalogue import load_default_catalogue  # noqa: E402
from grid.models import Role, User  # noqa: E402
from grid.people import create_user  # noqa: E402
from web.auth import hash_password  # noqa: E402
from web.db import make_engine, upgrade  # noqa: E402

PASSWORD = "bench-pass"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
        "--no-first-run", "--disable-component-update", "--disable-sync", "--use-gl=swiftshader",
        "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"]


def build_many(url: str, n_cells: int, n_cases: int) -> str:
    """The city and ``n_cases`` open cases through bench/manycases.py; returns the dispatcher's user name."""
    engine = migrated_with_catalogue(url)
    cells = insert_cells(engine, n_cells)
    models = manycases.file_models(engine, DISTRICT)
    manycases.grow(engine, models, n_cases, progress=lambda line: print(line, flush=True))
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == "bench_centre")).one()
        user.password_hash = hash_password(PASSWORD)
        session.add(user)
        session.commit()
    c = manycases.census(engine)
    engine.dispose()
    print(f"built: {len(cells):,} cells, {c['open']:,} open cases ({c['red']:,} red, {c['yellow']:,} yellow now)")
    return "bench_centre"


def build(url: str, n_cells: int, n_cases: int) -> str:
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        ensure_calendars(session=session)
        load_default_catalogue(session=session)
        user = create_user(session=session, username="dispatcher", role=Role.dispatcher)
        user.password_hash = hash_password(PASSWORD)
        session.add(user)
        session.commit()
    cells = insert_cells(engine, n_cells)
    insert_open_cases(engine, cells, n_cases)
    engine.dispose()
    communities = len({code[:12] for code, _, _ in cells})
    print(f"built: {len(cells):,} cells in {communities} communities, {n_cases:,} open cases")
    return "dispatcher"


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


def measure(url: str, pan_seconds: float, username: str = "dispatcher") -> None:
    from playwright.sync_api import sync_playwright

    from tests.support.server import Server

    server = Server(url, Path(tempfile.mkdtemp()) / "media", GRIDOPS_SCHEDULER_ENABLED="false").start()
    try:
        client = httpx.Client(base_url=server.url, timeout=60)
        r = client.post("/api/v1/login", json={"username": username, "password": PASSWORD})
        r.raise_for_status()
        paths = ("/api/v1/me", "/api/v1/map/cases", "/api/v1/map/cells", "/api/v1/map/cells",
                 "/api/v1/map/cells?level=community&stats=true", "/api/v1/stats/today")
        for path in paths:
            t = time.perf_counter()
            resp = client.get(path, headers={"Accept-Encoding": "gzip"})
            took = time.perf_counter() - t
            wire = resp.num_bytes_downloaded
            extra = ""
            if path == "/api/v1/map/cases":
                body = resp.json()
                extra = f", total {body.get('total')}, truncated {body.get('truncated')}"
            print(f"GET {path}: {took * 1000:.0f} ms, {wire / 1024:.0f} KiB on the wire "
                  f"({len(resp.content) / 1024:.0f} KiB JSON{extra})")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
            # the bench polls with evaluated expressions, which the pages' CSP (no eval) would refuse
            context = browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True)
            page = context.new_page()
            page.goto(f"{server.url}/login")
            page.fill("#username", username)
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
                labels = page.get_attribute("#map", "data-area-labels")
                label = "first load" if attempt == 0 else "reload (cells revalidated by ETag)"
                print(f"first full render, {label}: {ready:.0f} ms from navigation "
                      f"({wall * 1000:.0f} ms wall), {cells} cells, {markers} markers"
                      + (f", {labels} area counts (large mode)" if labels else ""))
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
    parser.add_argument("--many", action="store_true",
                        help="PostgreSQL: build the cases with bench/manycases.py (fast for 1,000,000)")
    args = parser.parse_args()
    backend = "postgresql" if args.many else args.backend
    with database(backend, "map_bench") as url:
        t = time.perf_counter()
        username = build_many(url, args.cells, args.cases) if args.many else build(url, args.cells, args.cases)
        print(f"  ({backend} database built in {time.perf_counter() - t:.1f} s)")
        measure(url, args.pan_seconds, username)

if __name__ == "__main__":
    main()
