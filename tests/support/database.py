"""Fast resets between tests. Emptying the run's database is one short transaction of DELETEs (TRUNCATE
costs PostgreSQL new files for every table and index, about 170 ms); the test city is built once per
database and later put back from a snapshot of its rows (building it costs half a second, putting it
back a hundredth).

Ids are never rewound: sequences only grow, so a server process that stays up across tests (the browser
tests share one per module) never sees an id it has already dealt with, such as a live event's."""

from __future__ import annotations

import sys
from typing import Any

from sqlalchemy import Connection, Engine, Table, text
from sqlalchemy.exc import OperationalError

from web.db import import_models

LOCK_TIMEOUT_S = 30
_tables: list[Table] = []


def tables() -> list[Table]:
    """Every table of the models, parents before children (as they were when the run started: a test may
    add a table to the metadata for a moment)."""
    if not _tables:
        _tables.extend(import_models().metadata.sorted_tables)
    return _tables


def _lock(conn: Connection) -> None:
    """PostgreSQL: hold every table until the transaction ends, so a server's background pass (SLA
    escalations, the live hub) finishes before the reset or starts after it, never in between."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_S}s'"))
        conn.execute(text("LOCK TABLE " + ", ".join(f'"{t.name}"' for t in tables()) + " IN ACCESS EXCLUSIVE MODE"))


def _retry_deadlocks(engine: Engine, work) -> None:  # noqa: ANN001
    """Run work(conn) in a transaction; a server transaction caught between our table locks makes
    PostgreSQL break the deadlock by aborting one side, which may be ours: then run it again."""
    for attempt in range(5):
        try:
            with engine.begin() as conn:
                work(conn)
            return
        except OperationalError as exc:
            if "lock timeout" in str(exc):
                raise RuntimeError(
                    f"the tables stayed locked for {LOCK_TIMEOUT_S} s: a connection holds a transaction open "
                    "(a session an earlier test did not close?)") from exc
            if attempt == 4 or "deadlock" not in str(exc):
                raise


def empty(engine: Engine) -> None:
    """Delete every row of every table, children first."""

    def work(conn: Connection) -> None:
        _lock(conn)
        for table in reversed(tables()):
            conn.execute(table.delete())

    _retry_deadlocks(engine, work)


def is_empty(conn: Connection) -> bool:
    probes = " UNION ALL ".join(f'SELECT 1 FROM (SELECT 1 FROM "{t.name}" LIMIT 1) AS t{i}'
                                for i, t in enumerate(tables()))
    return conn.execute(text(f"SELECT 1 FROM ({probes}) AS anything LIMIT 1")).first() is None


Rows = dict[str, list[dict[str, Any]]]


def capture(conn: Connection) -> Rows:
    """Every row of every table, by table name."""
    return {t.name: [dict(r._mapping) for r in conn.execute(t.select())] for t in tables()}


def restore(conn: Connection, rows: Rows) -> None:
    """Put captured rows back into empty tables, parents first, with their ids."""
    for table in tables():
        if rows.get(table.name):
            conn.execute(table.insert(), rows[table.name])


def forget_cached_reference_data() -> None:
    """The test process's own caches of reference data, emptied before each test. They are keyed by a
    row's change stamp or version, and a restored city carries the stamps of its first build: a change
    made under a fake clock can then give the same next stamp in two tests. (Server processes run on the
    wall clock, and the reference version is a random token, so theirs stay right.) A module that was
    never imported has nothing cached."""
    clearers = {
        "grid.refcache": lambda m: m.clear(),
        "web.api.map": lambda m: m._cache.clear(),
    }
    for name, clear in clearers.items():
        if name in sys.modules:
            clear(sys.modules[name])
