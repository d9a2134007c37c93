"""Cost of one SLA scheduler pass with 10,000 and with 1,000,000 open cases, only a few of them due.

Run: uv run python bench/sla.py [--backend postgresql|sqlite] [--due 20]
It creates a throw-away database (PostgreSQL at 127.0.0.1:5432 by default), bulk-inserts open cases
with running handle timers whose next escalation is weeks away, makes ``--due`` of them due now, and
times the pass (median of several; each repeat is rolled back so it fires the same escalations). The
target (issue 3): the pass with 1,000,000 open cases stays within 2× the pass with 10,000, because the
due timers are found through the index on next_fire_at rather than by scanning."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bigcity import migrated_with_catalogue  # noqa: E402
from shapely.geometry import box  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import Session  # noqa: E402
from throwaway import database  # noqa: E402

from dispatch.escalation import process_due  # noqa: E402
from dispatch.policies import DEFAULT_LADDER  # noqa: E402
from geo.loaders import GridFeature  # noqa: E402
from grid.hierarchy import import_areas  # noqa: E402
from grid.models import AreaLevel, Role  # noqa: E402
from grid.people import create_user  # noqa: E402
from web.db import make_engine  # noqa: E402

CELL = "310101001001001"


def setup(url: str) -> None:
    engine = migrated_with_catalogue(url)
    with Session(engine) as session:
        import_areas(session=session, level=AreaLevel.cell,
                     features=[GridFeature(CELL, "cell", box(121.48, 31.23, 121.481, 31.231), {})])
        create_user(session=session, username="sanitation", role=Role.department, department_code="SANITATION")
        create_user(session=session, username="dispatcher", role=Role.dispatcher)
        create_user(session=session, username="supervisor", role=Role.supervisor)
        session.commit()
    engine.dispose()


def grow(engine, start: int, stop: int, now: datetime) -> None:  # noqa: ANN001
    """Open cases start..stop-1 with a running handle timer, next level weeks away."""
    later = now + timedelta(days=30)
    ladder = json.dumps(DEFAULT_LADDER, sort_keys=True)
    pg = engine.dialect.name == "postgresql"
    series = ("generate_series(:a, :b - 1) AS s(i)" if pg else
              "(WITH RECURSIVE s(i) AS (SELECT :a UNION ALL SELECT i + 1 FROM s WHERE i + 1 < :b) "
              "SELECT i FROM s) AS s")
    with engine.begin() as conn:
        conn.execute(text(f"""
            INSERT INTO ticket (id, case_number, version, status, kind, category_code, urgency, description, address,
                lat, lng, input_crs, cell_code, community_code, street_code, district_code, source, reporter_name,
                support_count, extension_hours, audit_head, audit_count, department_code, created_at, updated_at)
            SELECT i, 'B' || i, 1, 'accepted', 'event', 'E0101', 'normal', 'bench', '', 31.2305, 121.4805, 'wgs84',
                :cell, :community, :street, :district, 'worker', 'bench', 0, 0, '', 0, 'SANITATION', :now, :now
            FROM {series}"""), dict(a=start, b=stop, cell=CELL, community=CELL[:12], street=CELL[:9],
                                    district=CELL[:6], now=now if pg else now.replace(tzinfo=None)))
        conn.execute(text(f"""
            INSERT INTO sla_timer (ticket_id, stage, cycle, active, calendar_code, basis, limit_s, extension_s, ladder,
                started_at, anchor_at, anchor_remaining_s, due_at, original_due_at, paused_total_s, warning_level,
                next_level, next_fire_at)
            SELECT i, 'handle', 1, TRUE, '24x7', 'natural', 3600000, 0, :ladder, :now, :now, 3600000,
                :later, :later, 0, 0, 1, :later
            FROM {series}"""), dict(a=start, b=stop, ladder=ladder, now=now if pg else now.replace(tzinfo=None),
                                    later=later if pg else later.replace(tzinfo=None)))
        if pg:
            conn.execute(text("SELECT setval('ticket_id_seq', (SELECT max(id) FROM ticket))"))
            conn.execute(text("ANALYZE ticket; ANALYZE sla_timer"))


def make_due(engine, count: int, now: datetime) -> None:  # noqa: ANN001
    pg = engine.dialect.name == "postgresql"
    stamp = now - timedelta(seconds=1)
    with engine.begin() as conn:
        conn.execute(text("UPDATE sla_timer SET next_fire_at = :t, due_at = :t, anchor_remaining_s = 0, "
                          "next_level = 2, warning_level = 1 WHERE id IN (SELECT id FROM sla_timer ORDER BY random() "
                          "LIMIT :n)"), dict(t=stamp if pg else stamp.replace(tzinfo=None), n=count))


def time_pass(engine, now: datetime, repeats: int = 7) -> tuple[float, int]:  # noqa: ANN001
    samples, fired = [], 0
    for _ in range(repeats):
        with Session(engine) as session:
            t = time.perf_counter()
            fired = process_due(session=session, now=now)
            session.flush()
            samples.append(time.perf_counter() - t)
            session.rollback()  # the same escalations are due again for the next repeat
    return statistics.median(samples), fired


def explain(engine, now: datetime) -> str:  # noqa: ANN001
    if engine.dialect.name != "postgresql":
        return ""
    with engine.connect() as conn:
        rows = conn.execute(text("EXPLAIN SELECT * FROM sla_timer WHERE next_fire_at <= :n AND active "
                                 "ORDER BY next_fire_at LIMIT 200 FOR UPDATE SKIP LOCKED"), {"n": now}).all()
    return "\n    ".join(r[0] for r in rows)


def latency(url: str, cases: int) -> None:
    """Start the real server on loopback, file cases due within seconds, and print how late after each
    deadline its escalation fired (the issue asks for within 2 s)."""
    import os
    import socket
    import subprocess

    import httpx

    from dispatch.models import Escalation
    from dispatch.policies import set_policy
    from web.auth import issue_token

    engine = make_engine(url)
    with Session(engine) as session:
        set_policy(session=session, stage="handle", category="E0101", limit_hours=6 / 3600, basis="natural",
                   ladder={"overdue_every_hours": 0})
        worker = create_user(session=session, username="worker", role=Role.worker, cell_codes=[CELL])
        from grid.routing import add_rule

        add_rule(session=session, department_code="SANITATION", category="E01")
        token = issue_token(session=session, user=worker)
        session.commit()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "GRIDOPS_DATABASE_URL": url, "GRIDOPS_MEDIA_DIR": tempfile.mkdtemp()}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "web.asgi:app", "--port", str(port), "--log-level",
                               "warning"], cwd=Path(__file__).resolve().parent.parent, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        for n in range(cases):
            httpx.post(f"{base}/api/v1/reports", headers={"Authorization": f"Bearer {token}"}, timeout=10,
                       json={"lat": 31.2305, "lng": 121.4805, "category_code": "E0101", "description": f"case {n}"})
            time.sleep(0.25)  # stagger the deadlines
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with Session(engine) as session:
                rows = session.exec(text("SELECT count(*) FROM escalation WHERE stage = 'handle'")).one()[0]
            if rows >= cases * 2:
                break
            time.sleep(0.5)
        from sqlmodel import select

        with Session(engine) as session:
            late = sorted((e.fired_at - e.scheduled_at).total_seconds()
                          for e in session.exec(select(Escalation).where(Escalation.stage == "handle")))
        print(f"firing latency over {len(late)} escalations (yellow and red of {cases} cases): "
              f"median {statistics.median(late):.3f} s, worst {late[-1]:.3f} s (target ≤ 2 s)")
    finally:
        server.terminate()
        server.wait(timeout=10)
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--due", type=int, default=20)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--latency", type=int, default=20, help="cases for the firing-latency run (0: skip)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    with database(args.backend, "sla_bench") as url:
        setup(url)
        engine = make_engine(url)
        now = datetime.now(UTC)
        have = 0
        results = []
        for size in sizes:
            t = time.perf_counter()
            grow(engine, have + 1, size + 1, now)
            make_due(engine, args.due, now)
            have = size
            took = time.perf_counter() - t
            print(f"{args.backend}: {size:,} open cases with running timers (inserted in {took:.1f} s)")
            cost, fired = time_pass(engine, now)
            results.append(cost)
            print(f"  one scheduler pass: {cost * 1000:.1f} ms, {fired} escalations fired (median of 7)")
            with engine.begin() as conn:  # put the due ones back to sleep before growing
                conn.execute(text("UPDATE sla_timer SET next_fire_at = due_at + interval '30 days' "
                                  "WHERE next_fire_at <= CURRENT_TIMESTAMP") if engine.dialect.name == "postgresql"
                             else text("UPDATE sla_timer SET next_fire_at = datetime(next_fire_at, '+30 days') "
                                       "WHERE next_fire_at <= :n"), {"n": now.replace(tzinfo=None)})
        plan = explain(engine, now)
        if plan:
            print("  query plan of the claim:\n    " + plan)
        if len(results) > 1:
            print(f"ratio {sizes[-1]:,} / {sizes[0]:,}: {results[-1] / results[0]:.2f}× (target ≤ 2×)")
        engine.dispose()
        if args.latency:
            latency(url, args.latency)


if __name__ == "__main__":
    main()
