"""A throw-away database for a benchmark: a SQLite file in a temporary folder, or a PostgreSQL database
on 127.0.0.1:5432 that is dropped afterwards."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def database(backend: str, name: str) -> Iterator[str]:
    """Yield the database URL; a PostgreSQL database is dropped when the block ends, however it ends."""
    if backend != "postgresql":
        yield f"sqlite:///{tempfile.mkdtemp()}/{name}.db"
        return
    db = f"gridops_{name}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{db}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


def pg_answers() -> bool:
    """Whether PostgreSQL answers on 127.0.0.1:5432 (a bench then measures it too)."""
    try:
        with create_engine(PG_ADMIN, connect_args={"connect_timeout": 3}).connect():
            return True
    except Exception:  # noqa: BLE001
        return False
