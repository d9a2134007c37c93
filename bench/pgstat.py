"""What a PostgreSQL database's client sessions do while a bench loads it: statement time and connections
opened (pg_stat_database), and samples of pg_stat_activity (running, waiting for a lock, idle in a
transaction)."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import Engine, text


def db_stats(watch: Engine) -> tuple[float, float]:
    """(connections opened, ms spent executing statements) in the bench's database so far."""
    with watch.connect() as conn:
        return tuple(conn.execute(text("SELECT sessions, active_time FROM pg_stat_database "
                                       "WHERE datname = current_database()")).one())


class Sessions:
    """Samples, every 0.1 s while the block runs, what the bench database's client sessions are doing:
    running a statement, waiting for a row lock (and on which statement), idle inside a transaction."""

    QUERY = text("SELECT state, wait_event_type, left(query, 60) FROM pg_stat_activity WHERE datname = "
                 "current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()")

    def __init__(self, engine: Engine) -> None:
        self.engine, self.samples = engine, 0
        self.counts: Counter = Counter()
        self.locked_on: Counter = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-sessions", daemon=True)

    def __enter__(self) -> Sessions:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with self.engine.connect() as conn:
            while not self._stop.wait(0.1):
                for state, wait, query in conn.execute(self.QUERY):
                    if state == "active" and wait == "Lock":
                        self.counts["locked"] += 1
                        self.locked_on[" ".join(query.split()[:3])] += 1
                    elif state == "active":
                        self.counts["running"] += 1
                    elif state and state.startswith("idle in transaction"):
                        self.counts["idle_tx"] += 1
                self.samples += 1

    def mean(self, what: str) -> float:
        return self.counts[what] / self.samples if self.samples else 0.0

    def most_locked(self) -> str:
        return self.locked_on.most_common(1)[0][0] if self.locked_on else ""
