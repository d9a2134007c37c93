"""The control room at scale: /stats/today, area shading and the case markers with 20,000, 100,000 and
1,000,000 open cases on PostgreSQL, beside bare references measured in the same run.

Run: uv run python bench/scale.py [--sizes 20000,100000,1000000] [--quick] [--runs 5] [--timeout 120]
It creates a throw-away PostgreSQL database (127.0.0.1:5432), builds a city of 40,000 cells
(bench/bigcity.py), loads the default catalogue and calendars, files a case per open status through the
service and copies them in SQL into N open cases with their timers, about 7 % red and 11 % yellow now by
the stored instants and by the calendars alike (bench/manycases.py), then VACUUM ANALYZE. For each size
it starts the real server (uvicorn, one worker, on loopback; the SLA scheduler off, so no escalation
fires while it measures) and times each endpoint as a dispatcher: a first request, then up to ``--runs``
more (fewer once an endpoint has used ``--budget`` seconds), wall time on the client; and the server's
RSS (VmRSS every 20 ms, and its high-water mark) before and at the peak while it answers. The statements
of each request (captured once, in process) are replayed with EXPLAIN ANALYZE at each size: "SQL ms" is
their summed execution time, the rest of a request is the server's Python and the wire.
Targets (issue 10): the stats, shading and markers endpoints under 200 ms with 100,000 open cases and
under 1 s with 1,000,000, the server's RSS at most 100 MB above what it was before the request.
It prints figures; it never fails on speed. The machine is shared: read the times beside the references."""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

import httpx  # noqa: E402
import manycases  # noqa: E402
from bigcity import BLOCK, DISTRICT, DX, DY, X0, Y0, insert_cells, migrated_with_catalogue  # noqa: E402
from sqlalchemy import Engine, event  # noqa: E402
from throwaway import database  # noqa: E402

from tests.support.server import Server  # noqa: E402
from web.db import make_engine  # noqa: E402

TARGET_MS = {100_000: 200, 1_000_000: 1000}
MAX_DELTA_MB = 100


@dataclass
class Endpoint:
    label: str
    path: str
    target: bool  # one the issue sets a target for; the others are references


def endpoints(case_params: set[str]) -> list[Endpoint]:
    """What to time, references first; /map/cases?bbox only when the route takes a bbox."""
    def bbox(cols: int, rows: int) -> str:  # a box of cols × rows cells in the middle of the city
        x, y = X0 + 3 * BLOCK * DX, Y0 + 3 * BLOCK * DY
        return f"{x:.6f},{y:.6f},{x + cols * DX:.6f},{y + rows * DY:.6f}"

    out = [Endpoint("me (reference)", "/api/v1/me", False),
           Endpoint("cells?bbox 3×3 cells (reference)", f"/api/v1/cells?bbox={bbox(3, 3)}", False),
           Endpoint("map/cells, no stats (reference)", "/api/v1/map/cells", False),
           Endpoint("map/cells?stats=true", "/api/v1/map/cells?stats=true", True),
           Endpoint("map/cells?level=community (reference)", "/api/v1/map/cells?level=community", False),
           Endpoint("map/cells?level=community&stats=true", "/api/v1/map/cells?level=community&stats=true", True),
           Endpoint("stats/today", "/api/v1/stats/today", True)]
    if "bbox" in case_params:  # a street's worth: 2 × 2 communities, 1,600 of the 40,000 cells
        out.append(Endpoint("map/cases?bbox (40×40 cells)", f"/api/v1/map/cases?bbox={bbox(40, 40)}", True))
        # a few streets' blocks at street zoom: rows even at 1,000,000 (about 2,500 cases, under the limit)
        out.append(Endpoint("map/cases?bbox (10×10 cells)", f"/api/v1/map/cases?bbox={bbox(10, 10)}", True))
    out.append(Endpoint("map/cases", "/api/v1/map/cases", True))
    return out


# --- the server's memory -------------------------------------------------------------------------------

def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


class Peak:
    """The process's peak RSS while the block runs: VmRSS sampled every 20 ms, and its high-water mark
    (VmHWM, reset at the start through /proc/<pid>/clear_refs where the kernel allows it)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.kb = pid, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-rss", daemon=True)

    def __enter__(self) -> Peak:
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
            self._hwm = True
        except OSError:
            self._hwm = False
        self.kb = status_kb(self.pid, "VmRSS")
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            try:
                self.kb = max(self.kb, status_kb(self.pid, "VmRSS"))
            except OSError:
                return

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        if self._hwm:
            self.kb = max(self.kb, status_kb(self.pid, "VmHWM"))


# --- timing ----------------------------------------------------------------------------------------------

@dataclass
class Row:
    endpoint: Endpoint
    first_ms: float | None = None
    times: list[float] | None = None
    wire: int = 0
    body: int = 0
    before_mb: float = 0.0
    peak_mb: float = 0.0
    error: str = ""
    sql_ms: float | None = None
    answer: bytes = b""


def measure(client: httpx.Client, pid: int, endpoint: Endpoint, runs: int, budget: float) -> Row:
    row = Row(endpoint, times=[])
    row.before_mb = status_kb(pid, "VmRSS") / 1024
    spent = 0.0
    with Peak(pid) as peak:
        try:
            for n in range(runs + 1):
                t = time.perf_counter()
                response = client.get(endpoint.path)
                took = time.perf_counter() - t
                spent += took
                if response.status_code != 200:
                    row.error = f"HTTP {response.status_code}: {response.text[:120]}"
                    break
                if n == 0:
                    row.first_ms = took * 1000
                    row.wire, row.body, row.answer = response.num_bytes_downloaded, len(response.content), \
                        response.content
                else:
                    row.times.append(took * 1000)
                if n >= 1 and spent > budget:
                    break
        except httpx.TimeoutException:
            row.error = f"timeout after {client.timeout.read:.0f} s"
    row.peak_mb = peak.kb / 1024
    return row


# --- what the requests ask of the database ------------------------------------------------------------

def capture(url: str, token: str, paths: list[str]) -> dict[str, list[tuple[str, dict]]]:
    """The SELECTs each request runs (its second time, caches warm), from the app run in this process."""
    with warnings.catch_warnings():  # starlette's advice on its test client's HTTP library
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from web.app import create_app
    from web.settings import Settings

    seen: list[tuple[str, dict]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        seen.append((statement, parameters))

    settings = Settings(database_url=url, scheduler_enabled=False, live_poll_seconds=3600,
                        media_dir=Path(tempfile.mkdtemp()))
    out: dict[str, list[tuple[str, dict]]] = {}
    event.listen(Engine, "before_cursor_execute", record)
    try:
        with TestClient(create_app(settings)) as client:
            for path in paths:
                client.get(path, headers={"Authorization": f"Bearer {token}"})
                seen.clear()
                client.get(path, headers={"Authorization": f"Bearer {token}"})
                out[path] = [(s, p) for s, p in seen if s.lstrip()[:6].upper() in ("SELECT", "WITH ")]
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    return out


def explain(engine: Engine, statements: list[tuple[str, dict]]) -> tuple[float, list[tuple[float, list[str]]]]:
    """Summed execution time (ms) and each statement's (time, plan) from EXPLAIN (ANALYZE, BUFFERS)."""
    plans = []
    with engine.connect() as conn:
        for statement, params in statements:
            lines = [r[0] for r in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)]
            ms = next((float(x.split(":")[1].split()[0]) for x in lines if x.startswith("Execution Time")), 0.0)
            plans.append((ms, [statement.split()[0] + " " + " ".join(statement.split()[1:])[:300], *lines]))
        conn.rollback()
    return sum(ms for ms, _ in plans), plans


# --- the report ------------------------------------------------------------------------------------------

def verdict(row: Row, size: int) -> str:
    if row.error:
        return "MISS" if row.endpoint.target else ""
    delta_ok = row.peak_mb - row.before_mb <= MAX_DELTA_MB
    if not row.endpoint.target:
        return "" if delta_ok else f"Δ > {MAX_DELTA_MB} MB"
    target = TARGET_MS.get(size)
    median = statistics.median(row.times) if row.times else row.first_ms
    time_ok = target is None or median < target
    parts = [f"< {target} ms {'ok' if time_ok else 'MISS'}" if target else "no time target",
             f"Δ ≤ {MAX_DELTA_MB} MB {'ok' if delta_ok else 'MISS'}"]
    return ", ".join(parts)


def size_text(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB" if n >= 1e3 else f"{n} B"


def table(size: int, idle_mb: float, rows: list[Row]) -> str:
    head = ("| endpoint | first ms | median ms | max ms | n | SQL ms | size (wire / JSON) | RSS before → peak MB (Δ) "
            "| verdict |")
    lines = [f"{size:,} open cases (server idle at {idle_mb:.0f} MB):", "", head, "|" + "---|" * 9]
    for r in rows:
        if r.error and not r.times:
            lines.append(f"| {r.endpoint.label} | {r.error} | | | | | | {r.before_mb:.0f} → {r.peak_mb:.0f} "
                         f"({r.peak_mb - r.before_mb:+.0f}) | {verdict(r, size)} |")
            continue
        med = f"{statistics.median(r.times):,.0f}" if r.times else "—"
        top = f"{max(r.times):,.0f}" if r.times else "—"
        sql = f"{r.sql_ms:,.0f}" if r.sql_ms is not None else "—"
        lines.append(f"| {r.endpoint.label} | {r.first_ms:,.0f} | {med} | {top} | {len(r.times)} | {sql} | "
                     f"{size_text(r.wire)} / {size_text(r.body)} | {r.before_mb:.0f} → {r.peak_mb:.0f} "
                     f"({r.peak_mb - r.before_mb:+.0f}) | {verdict(r, size)}{' ' + r.error if r.error else ''} |")
    return "\n".join(lines)


def lights(rows: list[Row]) -> str:
    """The markers' lights (computed with the calendars) beside /stats/today's (from the stored instants)."""
    import json

    found = {r.endpoint.path: r.answer for r in rows if r.answer}
    stats, cases = found.get("/api/v1/stats/today"), found.get("/api/v1/map/cases")
    if not stats or not cases:
        return ""
    counters, markers = json.loads(stats), json.loads(cases)
    if "light" not in markers.get("fields", []) or markers.get("truncated"):  # past the limit: a count, no rows
        return ""
    at = markers["fields"].index("light")
    seen = Counter(row[at] for row in markers["rows"])
    return (f"lights: /stats/today {counters.get('red')} red, {counters.get('yellow')} yellow of "
            f"{counters.get('open')} open; /map/cases {seen['red']} red, {seen['yellow']} yellow, "
            f"{seen['green']} green of {len(markers['rows'])}")


# --- the run ----------------------------------------------------------------------------------------------

def build(url: str, n_cells: int) -> tuple[dict[str, list[int]], str]:
    engine = migrated_with_catalogue(url)
    t = time.perf_counter()
    cells = insert_cells(engine, n_cells)
    models = manycases.file_models(engine, DISTRICT)
    token = manycases.dispatcher_token(engine)
    engine.dispose()
    print(f"city: {len(cells):,} cells in {len({c[:12] for c, _, _ in cells})} communities, "
          f"{sum(map(len, models.values()))} model cases filed through the service ({time.perf_counter() - t:.1f} s)")
    return models, token


def start(url: str, work: Path) -> Server:
    return Server(url, work / "media", GRIDOPS_SCHEDULER_ENABLED="false").start()


def run_size(url: str, engine: Engine, size: int, token: str, args: argparse.Namespace, work: Path,
             statements: dict[str, list[tuple[str, dict]]] | None) -> dict[str, list[tuple[str, dict]]]:
    server = start(url, work)
    try:
        client = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"},
                              timeout=httpx.Timeout(args.timeout, connect=10))
        params = {p["name"] for p in client.get("/openapi.json").json()["paths"]["/api/v1/map/cases"]["get"]
                  .get("parameters", [])}
        todo = endpoints(params)
        if statements is None:
            print(f"/map/cases takes: {', '.join(sorted(params))}")
            statements = capture(url, token, [e.path for e in todo])
        client.get("/api/v1/me")
        idle = status_kb(server.proc.pid, "VmRSS") / 1024
        rows = []
        for endpoint in todo:
            row = measure(client, server.proc.pid, endpoint, args.runs, args.budget)
            rows.append(row)
            if row.error.startswith("timeout"):  # it is still working on it: start afresh for the next one
                server.stop()
                server = start(url, work)
                client.close()
                client = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"},
                                      timeout=httpx.Timeout(args.timeout, connect=10))
        client.close()
    finally:
        server.stop()
    plans = {}
    for row in rows:
        row.sql_ms, plans[row.endpoint.label] = explain(engine, statements.get(row.endpoint.path, []))
    print(table(size, idle, rows))
    if line := lights(rows):
        print(line)
    if args.plans or size == max(args.size_list):
        print(f"\nthe slowest statement of each target endpoint, EXPLAIN (ANALYZE, BUFFERS) at {size:,}:")
        for row in rows:
            if row.endpoint.target and plans[row.endpoint.label]:
                ms, lines = max(plans[row.endpoint.label], key=lambda p: p[0])
                print(f"\n[{row.endpoint.label}] {ms:,.1f} ms of {row.sql_ms:,.1f} ms SQL "
                      f"({len(plans[row.endpoint.label])} statements)\n  " + "\n  ".join(lines[:args.plan_lines]))
    return statements


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a TERM unwinds too: server stopped, database dropped
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="20000,100000,1000000", help="open cases, growing")
    parser.add_argument("--quick", action="store_true", help="2,000 and 20,000 open cases")
    parser.add_argument("--cells", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=5, help="timed requests per endpoint after the first")
    parser.add_argument("--budget", type=float, default=90.0, help="seconds per endpoint before fewer runs")
    parser.add_argument("--timeout", type=float, default=120.0, help="per request, seconds")
    parser.add_argument("--plans", action="store_true", help="print the plans at every size, not only the last")
    parser.add_argument("--plan-lines", type=int, default=30)
    args = parser.parse_args()
    args.size_list = [2_000, 20_000] if args.quick else sorted(int(s) for s in args.sizes.split(","))
    print(f"PostgreSQL, {args.cells:,} cells, sizes {', '.join(f'{s:,}' for s in args.size_list)}; server: uvicorn, "
          "1 worker, GRIDOPS_SCHEDULER_ENABLED=false (no escalation fires while measuring); client and server "
          "share this machine's cores with whatever else runs on it")
    try:
        run(args)
    except KeyboardInterrupt:
        print("\ninterrupted: the server is stopped and the database dropped")
        sys.exit(130)


def run(args: argparse.Namespace) -> None:
    with database("postgresql", "scale_bench") as url, tempfile.TemporaryDirectory() as tmp:
        models, token = build(url, args.cells)
        engine = make_engine(url)
        statements = None
        try:
            for size in args.size_list:
                t = time.perf_counter()
                manycases.grow(engine, models, size, progress=lambda line: print(line, flush=True))
                c = manycases.census(engine)
                print(f"\n{c['open']:,} open cases ({', '.join(f'{s} {n:,}' for s, n in c['statuses'].most_common())})"
                      f" in {time.perf_counter() - t:.0f} s; {c['red']:,} red and {c['yellow']:,} yellow now; "
                      f"{c['timers']:,} timers, {c['running_timers']:,} running; copies whose stored instants are not "
                      f"their timers': {c['inconsistent']} of {c['sample']} checked")
                statements = run_size(url, engine, size, token, args, Path(tmp), statements)
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
