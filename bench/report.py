"""Cost of filing a report: POST /api/v1/reports on PostgreSQL beside a bare one-INSERT FastAPI endpoint.

Run: uv run python bench/report.py [--rounds 3] [--cells 40000] [--requests 3000] [--quick]
It creates a throw-away PostgreSQL database (127.0.0.1:5432), builds a city (40,000 cells in communities
of 400, 20,000 open cases, the default catalogue, routing rules for E01 and C01, a gazetteer of one address
per cell from which each report takes its nearest, and 300 grid workers, three per community, each with an
API token), and prints the statements one report costs (in-process, after a
warm-up report). Then, in interleaved rounds (service, reference, service, reference …, with one and with
two uvicorn workers), it starts each server on loopback and measures:
- saturation: ``--concurrency`` requests in flight for ``--seconds`` (at most ``--requests``): requests per
  second, and CPU-ms per request of the server's processes (read from /proc: uvicorn and its workers);
  beside it, the database's statement time and new connections per request, what its sessions were doing
  (running, waiting for a row lock, idle in a transaction), the load generator's CPU and the rest of the
  machine's (others' work on a shared machine);
- latency at half load: requests sent at half the measured rate for ``--half-seconds``: p50 and p99.
Each request is a grid worker's report (JSON, no photo, category E0101) at a random point of one of their
own cells, so it is auto-registered and auto-dispatched. The reference (bench/_bare.py) is served by the
same stack (uvicorn, same worker count, same engine settings) and INSERTs one row into the same database.
The load generator (bench/loadgen.py) is one asyncio process speaking plain HTTP/1.1, a new connection
every ``--reuse`` requests (1: each report from its own connection, as from many phones; it also spreads
connections over uvicorn's workers, which keep-alive connections do not); it costs about 0.1 CPU-ms per
request where httpx's AsyncClient (``--client httpx``) costs 2–3 and, on two cores, held the reference
back. It shares the cores with the servers, the same way for both sides.
Targets (issue 10): CPU per report ≤ 4× the reference's, throughput with one worker ≥ 0.3× (aim 0.5×),
two workers ≥ 1.1× one, p99 at half load < 100 ms. It prints figures; it never fails on speed."""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import loadgen  # noqa: E402
from bigcity import DISTRICT, DX, DY, Cell, insert_cells, insert_open_cases, migrated_with_catalogue  # noqa: E402
from pgstat import Sessions, db_stats  # noqa: E402
from sqlalchemy import Engine, create_engine, event, insert, text  # noqa: E402
from sqlmodel import Session  # noqa: E402
from throwaway import database  # noqa: E402

from grid.models import Address, Role, User, WorkerCell  # noqa: E402
from grid.routing import add_rule  # noqa: E402
from tests.support.server import free_port, wait_until  # noqa: E402
from web.auth import issue_token  # noqa: E402

REDIS = "redis://127.0.0.1:6379/0"
PATH = "/api/v1/reports"
BARE_TABLE = """CREATE TABLE bare_report (
    id BIGSERIAL PRIMARY KEY, category_code VARCHAR(5) NOT NULL, description TEXT NOT NULL,
    lat DOUBLE PRECISION NOT NULL, lng DOUBLE PRECISION NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now())"""
SIDES = ("gridops", "reference")


# --- the city -----------------------------------------------------------------------------------------

Worker = tuple[str, list[Cell]]  # API token, the cells they walk


def build(url: str, n_cells: int, n_cases: int, n_workers: int, addresses_per_cell: int = 1) -> list[Worker]:
    engine = migrated_with_catalogue(url)
    cells = insert_cells(engine, n_cells)
    insert_open_cases(engine, cells, n_cases)
    rnd = random.Random(7)
    with engine.begin() as conn:  # the gazetteer: door numbers spread over the cells (a report takes the nearest)
        for start in range(0, len(cells) if addresses_per_cell else 0, 5000):
            conn.execute(insert(Address), [
                dict(kind="address", name=f"测试路{i * addresses_per_cell + k + 1}号", road="测试路",
                     number=str(i * addresses_per_cell + k + 1), lng=x0 + rnd.uniform(0, DX),
                     lat=y0 + rnd.uniform(0, DY), cell_code=code, source="bench")
                for i, (code, x0, y0) in enumerate(cells[start:start + 5000], start=start)
                for k in range(addresses_per_cell)])
    communities: dict[str, list[Cell]] = {}
    for cell in cells:
        communities.setdefault(cell[0][:12], []).append(cell)
    beats = list(communities.values())
    with Session(engine) as session:
        add_rule(session=session, department_code="SANITATION", category="E01", area_code=DISTRICT)
        add_rule(session=session, department_code="WATER", category="C01", area_code=DISTRICT)
        users = [User(username=f"worker{i:04d}", role=Role.worker) for i in range(n_workers)]
        session.add_all(users)
        session.flush()
        session.execute(insert(WorkerCell), [dict(user_id=u.id, cell_code=code)
                                             for i, u in enumerate(users) for code, _, _ in beats[i % len(beats)]])
        workers = [(issue_token(session=session, user=u, name="bench"), beats[i % len(beats)])
                   for i, u in enumerate(users)]
        session.commit()
    with engine.begin() as conn:
        conn.execute(text(BARE_TABLE))
        conn.execute(text("ANALYZE"))
    engine.dispose()
    per = statistics.median(len(b) for b in beats)
    print(f"city: {len(cells):,} cells in {len(beats)} communities, {n_cases:,} open cases, {n_workers} grid workers "
          f"with {per:.0f} cells each")
    return workers


def reports(workers: list[Worker], seed: int) -> Callable[[], loadgen.Request]:
    """A grid worker's report at a random point of one of their own cells."""
    rnd = random.Random(seed)
    sent = 0

    def make() -> loadgen.Request:
        nonlocal sent
        sent += 1
        token, cells = rnd.choice(workers)
        _, x0, y0 = rnd.choice(cells)
        body = {"lat": round(y0 + rnd.uniform(0.05, 0.95) * DY, 7), "lng": round(x0 + rnd.uniform(0.05, 0.95) * DX, 7),
                "category_code": "E0101", "description": f"bench report {seed}-{sent}"}
        return PATH, {"Authorization": f"Bearer {token}"}, body

    return make


# --- statements of one report, in-process -------------------------------------------------------------

def count_statements(url: str, workers: list[Worker]) -> None:
    from fastapi.testclient import TestClient

    from web.app import create_app
    from web.settings import Settings

    settings = Settings(database_url=url, media_dir=Path(tempfile.mkdtemp()) / "media", redis_url=None,
                        scheduler_enabled=True, sla_sweep_seconds=3600, live_poll_seconds=3600)
    app = create_app(settings)
    engine = app.state.gridops.engine
    make = reports(workers[:1], seed=0)  # one grid worker: the second report finds its caller cached too
    seen: list[tuple[str, str]] = []

    def on_execute(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        seen.append((threading.current_thread().name, statement))

    with TestClient(app) as client:
        for attempt in range(2):  # the first builds the point → cell index and fills the caches (the caller's too)
            path, headers, body = make()
            if attempt:
                event.listen(engine, "before_cursor_execute", on_execute)
            t = time.perf_counter()
            resp = client.post(path, headers=headers, json=body)
            took = time.perf_counter() - t
            resp.raise_for_status()
        threading.Event().wait(0.5)  # what the commit set off in the background (live hub, scheduler)
        event.remove(engine, "before_cursor_execute", on_execute)
    status = resp.json()["ticket"]["status"]
    during = [s for who, s in seen if not _background(who)]
    print(f"statements of one report (in-process, after a warm-up report): {len(during)} through SQLAlchemy in the "
          f"request + {len(seen) - len(during)} in background threads after its commit (the driver sends the pool's "
          f"check, BEGIN and the case's rows with the COMMIT itself); the case ended {status}; "
          f"{took * 1000:.0f} ms in TestClient (issue 10: 52 before)")
    shapes = Counter(_shape(s) + " (background)" * _background(who) for who, s in seen)
    print("  " + ", ".join(f"{k} ×{n}" for k, n in shapes.most_common()))


def _background(thread: str) -> bool:
    """The live hub's reads (asyncio's thread pool) and the SLA scheduler's, not the request's."""
    return thread.startswith(("asyncio", "APScheduler", "ThreadPoolExecutor"))


def _shape(statement: str) -> str:
    """``SELECT … FROM ticket``, ``INSERT INTO ticket``, ``UPDATE sla_timer``: what a statement touches."""
    words = statement.split()
    upper = [w.upper() for w in words]
    verb = upper[0] if upper else ""
    if verb == "INSERT" and len(words) > 2:
        return f"INSERT INTO {words[2]}"
    if verb == "UPDATE" and len(words) > 1:
        return f"UPDATE {words[1]}"
    if "FROM" in upper:
        return f"{verb} … FROM {words[upper.index('FROM') + 1]}"
    return " ".join(words[:3])


# --- servers ------------------------------------------------------------------------------------------

@contextmanager
def serving(side: str, workers: int, url: str, logs: Path, redis: str | None) -> Iterator[tuple[str, int]]:
    """Start the service or the reference on loopback; yield (base URL, supervisor pid); stop it however
    the block ends."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRIDOPS_", "BARE_"))}
    if side == "gridops":
        app = ["web.asgi:app"]
        env.update(GRIDOPS_DATABASE_URL=url, GRIDOPS_SCHEDULER_ENABLED="true", GRIDOPS_MEDIA_DIR=str(logs / "media"))
        if workers > 1 and redis:
            env["GRIDOPS_REDIS_URL"] = redis
    else:
        app = ["_bare:app", "--app-dir", str(BENCH)]
        env["BARE_DATABASE_URL"] = url
    log = logs / f"{side}-{workers}w-{port}.log"
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", *app, "--host", "127.0.0.1", "--port", str(port),
                             "--workers", str(workers), "--log-level", "warning"],
                            cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"{side} exited: {log.read_text()[-2000:]}")
        try:
            return httpx.get(f"{base}/healthz", timeout=2, trust_env=False).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        if not wait_until(healthy, timeout=90):
            raise RuntimeError(f"{side} did not start: {log.read_text()[-2000:]}")
        yield base, proc.pid
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM (uvicorn's supervisor stops its workers), then SIGKILL to the server's own process group for
    whatever is left after 10 s, also when a second Ctrl-C cuts the wait short."""
    interrupted = None
    try:
        proc.terminate()
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    except KeyboardInterrupt as exc:
        interrupted = exc
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    if interrupted:
        raise interrupted


# --- one measurement ----------------------------------------------------------------------------------

@dataclass
class Run:
    side: str
    workers: int
    rps: float  # saturation throughput
    cpu_ms: float  # server processes, per request at saturation
    db_ms: float  # time the database spent executing statements, per request (wall time, lock waits included)
    connects: float  # database connections opened per request
    sessions: Sessions  # what the database sessions were doing at saturation
    client_util: float  # the load generator's CPU, in cores
    others: float  # the rest of the machine, in cores
    spread: list[float]  # each worker process's share of the server CPU
    rate: float  # half load
    p50_ms: float
    p99_ms: float
    failed: int
    errors: Counter


async def measure(side: str, workers: int, base: str, server_pid: int, make: Callable[[], loadgen.Request],
                  watch: Engine, args: argparse.Namespace) -> Run:
    kind = loadgen.RawClient if args.client == "raw" else loadgen.HttpxClient
    async with kind(base, args.concurrency, reuse=args.reuse) as client:
        await loadgen.closed_loop(client, make, concurrency=args.concurrency, requests=3 * args.concurrency,
                                  seconds=120)  # warm-up: every worker builds its index and caches
        server = loadgen.Cpu(lambda: loadgen.tree(server_pid))
        server.start()
        db = db_stats(watch)
        mine, (busy, _) = loadgen.own(), loadgen.machine()
        with Sessions(watch) as sessions:
            sat = await loadgen.closed_loop(client, make, concurrency=args.concurrency, requests=args.requests,
                                            seconds=args.seconds)
        spread = [s for s in server.shares() if s > 0.05 * sat.seconds] if workers > 1 else []
        server_s, mine = server.stop(), loadgen.own() - mine
        others = loadgen.machine()[0] - busy - server_s - mine  # the database's CPU is in here
        db = [b - a for a, b in zip(db, db_stats(watch), strict=True)]
        rate = max(1.0, sat.throughput / 2)
        half = await loadgen.open_loop(client, make, rate=rate, seconds=args.half_seconds, requests=args.requests)
    ok = max(1, sat.ok)
    return Run(side=side, workers=workers, rps=sat.throughput, cpu_ms=1000 * server_s / ok, db_ms=db[1] / ok,
               connects=db[0] / ok, sessions=sessions, client_util=mine / sat.seconds, others=others / sat.seconds,
               spread=[s / sum(spread) for s in spread], rate=rate, p50_ms=1000 * half.median,
               p99_ms=1000 * half.percentile(99), failed=sat.failed + half.failed, errors=sat.errors + half.errors)


def show(run: Run, rnd: int) -> None:
    spread = f", workers' CPU split {'/'.join(f'{s:.0%}' for s in run.spread)}" if run.spread else ""
    print(f"  round {rnd} {run.side:>9} {run.workers}w: {run.rps:6.1f} req/s, {run.cpu_ms:6.2f} CPU-ms/req; "
          f"at {run.rate:.0f} req/s p50 {run.p50_ms:5.1f} ms p99 {run.p99_ms:6.1f} ms (database {run.db_ms:.2f} ms "
          f"of statements and {run.connects:.2f} new connections per request; load generator "
          f"{run.client_util:.2f} cores, rest of the machine {run.others:.2f}{spread})", flush=True)
    s = run.sessions
    locked = f" (on {s.most_locked()} …)" if s.most_locked() else ""
    print(f"    database sessions at saturation, on average: {s.mean('running'):.1f} running a statement, "
          f"{s.mean('locked'):.1f} waiting for a lock{locked}, {s.mean('idle_tx'):.1f} idle in a transaction")
    if run.failed:
        print(f"    {run.failed} failed: " + "; ".join(f"{e} ×{n}" for e, n in run.errors.most_common(3)))
    if run.client_util > 0.85:
        print("    note: the load generator used most of a core: it may be what limits this figure")


# --- the whole bench ----------------------------------------------------------------------------------

def med(runs: list[Run], side: str, workers: int, attr: str) -> float:
    values = [getattr(r, attr) for r in runs if r.side == side and r.workers == workers]
    return statistics.median(values) if values else float("nan")


def ratio(runs: list[Run], a: tuple[str, int], b: tuple[str, int], attr: str) -> float:
    """Median over rounds of the round's a/b: each round's pair ran minutes apart on the same machine."""
    pairs = zip([r for r in runs if (r.side, r.workers) == a], [r for r in runs if (r.side, r.workers) == b],
                strict=False)
    values = [getattr(x, attr) / getattr(y, attr) for x, y in pairs if getattr(y, attr)]
    return statistics.median(values) if values else float("nan")


def summary(runs: list[Run], worker_counts: list[int], rounds: int) -> None:
    print(f"\nmedians of {rounds} round(s); ratios are medians of each round's own ratio")
    rows = []
    for w in worker_counts:
        g, ref = ("gridops", w), ("reference", w)
        rows.append((f"CPU per request, {w} worker{'s' * (w > 1)} (server ms)", f"{med(runs, *g, 'cpu_ms'):.2f}",
                     f"{med(runs, *ref, 'cpu_ms'):.2f}", f"{ratio(runs, g, ref, 'cpu_ms'):.1f}×",
                     "≤ 4×" if w == 1 else ""))
        rows.append((f"database statement time per request, {w}w (ms, lock waits included)",
                     f"{med(runs, *g, 'db_ms'):.2f}", f"{med(runs, *ref, 'db_ms'):.2f}", "", ""))
        rows.append((f"throughput, {w} worker{'s' * (w > 1)} (req/s)", f"{med(runs, *g, 'rps'):.1f}",
                     f"{med(runs, *ref, 'rps'):.1f}", f"{ratio(runs, g, ref, 'rps'):.2f}×",
                     "≥ 0.3× (aim 0.5×)" if w == 1 else ""))
        rows.append((f"p50 / p99 at half load, {w}w (ms)",
                     f"{med(runs, *g, 'p50_ms'):.0f} / {med(runs, *g, 'p99_ms'):.0f}",
                     f"{med(runs, *ref, 'p50_ms'):.0f} / {med(runs, *ref, 'p99_ms'):.0f}", "",
                     "p99 < 100 ms" if w == 1 else ""))
    if len(worker_counts) > 1:
        lo, hi = worker_counts[0], worker_counts[-1]
        rows.append((f"throughput {hi} workers / {lo}", f"{ratio(runs, ('gridops', hi), ('gridops', lo), 'rps'):.2f}×",
                     f"{ratio(runs, ('reference', hi), ('reference', lo), 'rps'):.2f}×", "", "≥ 1.1×"))
    failed = sum(r.failed for r in runs)
    if failed:
        print(f"note: {failed} requests failed (see the rounds above): the figures of those rounds are suspect")
    print("\n| POST /api/v1/reports, PostgreSQL | gridops | bare one-INSERT endpoint | ratio | target |")
    print("|---|---:|---:|---:|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cells", type=int, default=40_000)
    parser.add_argument("--cases", type=int, default=20_000, help="open cases in the city before the bench")
    parser.add_argument("--grid-workers", type=int, default=300, help="grid workers, one community (400 cells) each")
    parser.add_argument("--requests", type=int, default=3000, help="at most this many requests per phase")
    parser.add_argument("--seconds", type=float, default=15, help="length of a saturation phase")
    parser.add_argument("--half-seconds", type=float, default=30, help="length of a half-load phase")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight at saturation")
    parser.add_argument("--workers", default="1,2", help="uvicorn worker counts to measure")
    parser.add_argument("--reuse", type=int, default=1,
                        help="requests per connection before the client reconnects (0: keep connections)")
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw",
                        help="load generator: lean HTTP/1.1 over keep-alive connections, or httpx.AsyncClient")
    parser.add_argument("--addresses", type=int, default=1,
                        help="gazetteer entries per cell (0: none, to see what filling a report's address costs)")
    parser.add_argument("--quick", action="store_true", help="a small city and short phases: a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.cells, args.cases, args.grid_workers = 1, 1600, 500, 12
        args.requests, args.seconds, args.half_seconds = 300, 3, 3
    worker_counts = [int(w) for w in args.workers.split(",")]
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, also when started in the background
    signal.signal(signal.SIGTERM, _interrupt)  # clean up on kill as on Ctrl-C

    try:
        import redis

        redis.Redis.from_url(REDIS, socket_timeout=2).ping()
        have_redis: str | None = REDIS
    except Exception as exc:  # noqa: BLE001
        have_redis = None
        print(f"Redis at {REDIS} unreachable ({exc}): several workers share live events by polling only")
    started = time.perf_counter()
    logs = Path(tempfile.mkdtemp(prefix="report-bench-"))
    with database("postgresql", "report_bench") as url:
        workers = build(url, args.cells, args.cases, args.grid_workers, args.addresses)
        print(f"  (built in {time.perf_counter() - started:.0f} s)", flush=True)
        count_statements(url, workers)
        watch = create_engine(url, isolation_level="AUTOCOMMIT", pool_size=2)
        try:
            runs: list[Run] = []
            print(f"\nrounds: {args.concurrency} in flight for {args.seconds:g} s (at most {args.requests} requests),"
                  f" then half that rate for {args.half_seconds:g} s; {args.client} client, a new connection every "
                  f"{args.reuse or '∞'} request(s); server logs in {logs}", flush=True)
            for rnd in range(1, args.rounds + 1):
                for w in worker_counts:
                    for side in SIDES:
                        make = reports(workers, seed=rnd * 100 + w * 10 + SIDES.index(side))
                        with serving(side, w, url, logs, have_redis) as (base, pid):
                            run = loadgen.run(measure(side, w, base, pid, make, watch, args))
                        runs.append(run)
                        show(run, rnd)
            summary(runs, worker_counts, args.rounds)
            with watch.connect() as conn:
                filed = conn.execute(text("SELECT status, count(*) FROM ticket WHERE description LIKE "
                                          "'bench report%' GROUP BY status ORDER BY 2 DESC")).all()
            print("\nreports filed by the bench: " + ", ".join(f"{n:,} {s}" for s, n in filed)
                  + f"; whole run {time.perf_counter() - started:.0f} s")
        finally:
            watch.dispose()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
