"""Case export (issue 15): rows/s and peak memory of ``web.exports`` over 1,000,000 cases, beside a bare SELECT
of the same rows measured in the same run.

Run: uv run python bench/export.py [--rows 1000000] [--xlsx-rows 100000] [--backends sqlite,postgresql]
For each backend it builds a throw-away database (a SQLite file; a PostgreSQL database on 127.0.0.1:5432 when
one answers, dropped afterwards), migrated, with the default catalogue, one case filed as a model and copied
in SQL (INSERT … SELECT over a series) into ``--rows`` cases spread over 10 cells, half of them with a
fulfilled handle timer (the on-time column's join). Then, each in a fresh process (spawned, so that one
measurement's peak memory is not another's): the reference, the same columns and join read by one streamed
SELECT (rows fetched, nothing formatted); the CSV export as the API streams it (web.exports.chunks, the
system's view, every case) into /dev/null; the GeoJSON export likewise; and the XLSX export over one cell
(``--xlsx-rows`` cases, about a tenth). It prints rows/s and the process's peak RSS (ru_maxrss) and how much
above its RSS before the work it rose. It prints figures; it never fails on speed."""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from sqlalchemy import select, text  # noqa: E402
from throwaway import database, pg_answers  # noqa: E402

CELLS = 10


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(url: str, rows: int) -> str:
    """The cases; returns the community code (its first cell holds about a tenth of them)."""
    from sqlmodel import Session

    from dispatch.models import SlaTimer, Source, Status, Ticket
    from grid.catalogue import load_default_catalogue
    from grid.clock import utcnow
    from web.db import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    community, now = "310101001001", utcnow()
    with Session(engine) as session:
        load_default_catalogue(session=session)
        model = Ticket(case_number="E0101202611290001", status=Status.closed, kind="event", category_code="E0101",
                       urgency="normal", description="楼下垃圾好几天没人清，请尽快处理", address="中山东一路 1 号",
                       lat=31.23, lng=121.48, cell_code=community + "001", community_code=community,
                       street_code=community[:9], district_code=community[:6], source=Source.citizen,
                       department_code="SANITATION", contact_name="张三", contact_phone="13812345678",
                       created_at=now - timedelta(days=3), registered_at=now - timedelta(days=3),
                       dispatched_at=now - timedelta(days=3), resolved_at=now - timedelta(days=1),
                       closed_at=now)
        session.add(model)
        session.flush()
        session.add(SlaTimer(ticket_id=model.id, stage="handle", active=False, calendar_code="standard",
                             basis="working", limit_s=28_800, ladder="{}", started_at=now - timedelta(days=3),
                             anchor_at=now - timedelta(days=1), anchor_remaining_s=3600.0, due_at=now,
                             original_due_at=now, fulfilled_at=now - timedelta(days=1)))
        model_id = model.id
        session.commit()
    pg = engine.dialect.name == "postgresql"
    series = ("generate_series(1, :n) AS s(n)" if pg else
              "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :n) SELECT n FROM s) AS s")
    number = "'B' || lpad(n::text, 15, '0')" if pg else "printf('B%015d', n)"
    cell = (f"'{community}' || lpad((n % {CELLS} + 1)::text, 3, '0')" if pg
            else f"'{community}' || printf('%03d', n % {CELLS} + 1)")
    varied = {"case_number": number, "cell_code": cell, "lng": "lng + (n % 1000) * 0.00001",
              "lat": "lat + (n % 997) * 0.00001", "description": "description || ' ' || n"}
    columns = [c.name for c in Ticket.__table__.columns if c.name != "id"]
    exprs = ", ".join(varied.get(c, c) for c in columns)
    timer_columns = [c.name for c in SlaTimer.__table__.columns if c.name not in ("id", "ticket_id")]
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO ticket ({', '.join(columns)}) SELECT {exprs} FROM ticket, {series} "
                          f"WHERE ticket.id = :model"), {"n": rows - 1, "model": model_id})
        conn.execute(text(f"INSERT INTO sla_timer (ticket_id, {', '.join(timer_columns)}) "
                          f"SELECT t.id, {', '.join('m.' + c for c in timer_columns)} FROM ticket t, sla_timer m "
                          f"WHERE m.ticket_id = :model AND t.id <> :model AND t.id % 2 = 0"), {"model": model_id})
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return community


def measure(url: str, what: str, area: str | None, out: multiprocessing.connection.Connection) -> None:
    """One measurement, in a process of its own: (rows, seconds, bytes, RSS before, peak RSS)."""
    from zoneinfo import ZoneInfo

    from dispatch.models import SlaTimer, Ticket
    from dispatch.queries import TicketFilter
    from grid.people import SYSTEM
    from web import exports
    from web.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:  # connected and warm before the clock starts
        conn.execute(text("SELECT 1"))
    before = rss_mb()
    start = time.perf_counter()
    count = size = 0
    if what == "select":
        query = (select(*exports._TICKET, SlaTimer.fulfilled_at, SlaTimer.anchor_remaining_s)
                 .outerjoin(SlaTimer, (SlaTimer.ticket_id == Ticket.id) & (SlaTimer.stage == "handle")))
        with engine.connect() as conn:
            for part in conn.execution_options(yield_per=exports.BATCH).execute(query).partitions():
                count += len(part)
    else:
        export = exports.Export(actor=SYSTEM, filters=TicketFilter(area=area), timezone=ZoneInfo("Asia/Shanghai"))
        lines = exports.rows(engine, export)

        def counted():  # noqa: ANN202
            nonlocal count
            for line in lines:
                count += 1
                yield line

        for piece in exports.write(what, export, counted()):
            size += len(piece)
    out.send((count, time.perf_counter() - start, size, before, rss_mb()))
    engine.dispose()


def run(url: str, what: str, area: str | None = None) -> tuple:
    spawn = multiprocessing.get_context("spawn")
    mine, theirs = spawn.Pipe()
    child = spawn.Process(target=measure, args=(url, what, area, theirs))
    child.start()
    result = mine.recv()
    child.join()
    return result


def report(label: str, result: tuple, reference: tuple | None = None) -> None:
    count, seconds, size, before, peak = result
    rate = count / seconds
    vs = f"  ({rate / (reference[0] / reference[1]):.2f}× the reference's rate)" if reference else ""
    print(f"  {label:<34} {count:>9,} rows in {seconds:6.1f} s = {rate:>9,.0f} rows/s{vs}; "
          f"{size / 1e6:7.1f} MB written; peak RSS {peak:5.0f} MB ({peak - before:+.0f} MB over {before:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"export bench, {args.rows:,} cases, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    for backend in args.backends.split(","):
        if backend == "postgresql" and not pg_answers():
            print("postgresql: nothing answers on 127.0.0.1:5432, skipped")
            continue
        with database(backend, "export") as url:
            start = time.perf_counter()
            community = build(url, args.rows)
            print(f"{backend}: {args.rows:,} cases built in {time.perf_counter() - start:.1f} s")
            reference = run(url, "select")
            report("reference: bare streamed SELECT", reference)
            report("CSV export (web.exports)", run(url, "csv"), reference[:2])
            report("GeoJSON export (web.exports)", run(url, "geojson"), reference[:2])
            cell = community + "001"
            report(f"XLSX export, one cell ({cell})", run(url, "xlsx", cell), reference[:2])


if __name__ == "__main__":
    main()
