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


PROCESSES = "processes"


def pytest_itemcollected(item: pytest.Item) -> None:
    """Work units for pytest-xdist (``-n 2 --dist loadgroup``, see the Makefile): a module's tests stay on
    one worker, so a browser module starts its server and its Chromium once; the modules marked
    ``xdist_group("processes")`` (they start servers of their own and mostly wait for wall-clock deadlines)
    form one unit."""
    if item.get_closest_marker("xdist_group") is None:
        item.add_marker(pytest.mark.xdist_group(item.module.__name__))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The process tests first: one worker starts waiting on them at once while the others do the rest."""
    items.sort(key=lambda item: PROCESSES not in item.get_closest_marker("xdist_group").args)


class Databases:
    """The run's throw-away databases, one per backend, migrated when first asked for and dropped at the
    end of the run (each xdist worker has its own)."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.tmp_path_factory = tmp_path_factory
        self.urls: dict[str, str] = {}
        self.admin = None

    def url(self, backend: str) -> str:
        if backend not in self.urls:
            self.urls[backend] = self._sqlite() if backend == "sqlite" else self._postgresql()
            engine = make_engine(self.urls[backend])
            upgrade(engine)
            engine.dispose()
        return self.urls[backend]

    def _sqlite(self) -> str:
        return f"sqlite:///{self.tmp_path_factory.mktemp('sqlite') / 'gridops.db'}"

    def _postgresql(self) -> str:
        name = f"gridops_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.admin = self.admin or create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    def drop(self) -> None:
        if self.admin is None:
            return
        with self.admin.connect() as conn:
            for backend, url in self.urls.items():
                if backend == "postgresql":
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    made = Databases(tmp_path_factory)
    try:
        yield made
    finally:
        made.drop()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, databases: Databases) -> str:
    """A migrated database for the whole run, per backend. (Tests of the two backends may alternate on an
    xdist worker: the databases outlive this fixture's switches between them.)"""
    if request.param not in BACKENDS:
        pytest.skip(f"{request.param} is not in GRIDOPS_TEST_BACKENDS")
    return databases.url(request.param)


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
