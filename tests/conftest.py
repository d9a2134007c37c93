"""Fixtures: every database test runs on SQLite and on the PostgreSQL at 127.0.0.1:5432 (a throw-away
database per run). Set GRIDOPS_TEST_BACKENDS=sqlite to skip PostgreSQL on a laptop without it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session, SQLModel

from tests.support import database
from web.db import make_engine, upgrade

PG_ADMIN_URL = os.environ.get("GRIDOPS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BACKENDS = [b.strip() for b in os.environ.get("GRIDOPS_TEST_BACKENDS", "sqlite,postgresql").split(",") if b.strip()]


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database for the whole run, per backend."""
    if request.param not in BACKENDS:
        pytest.skip(f"{request.param} is not in GRIDOPS_TEST_BACKENDS")
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "gridops.db"
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    name = f"gridops_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The run's database, emptied before each test (see tests/support/database.py)."""
    engine = make_engine(database_url)
    database.empty(engine)
    database.forget_cached_reference_data()
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    return tmp_path / "media"


__all__ = ["SQLModel"]
