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
from tests.support.clock import clock  # noqa: F401  (the shared fixture: Monday 08:00 in Shanghai)
from web.db import make_engine, upgrade

PG_ADMIN_URL = os.environ.get("GRIDOPS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BACKENDS = [b.strip() for b in os.environ.get("GRIDOPS_TEST_BACKENDS", "sqlite,postgresql").split(",") if b.strip()]


# Work units for pytest-xdist (``pytest -n 3`` in the Makefile). A test module is a unit: a browser module
# starts its server and its Chromium once. The modules below start server processes of their own (some
# kill them) and mostly wait on wall-clock deadlines; they go out first, in two units (the two that use
# Redis in the same one, so they never hear each other), while the third worker starts on the browser
# modules, the longest of the CPU-bound units. On two cores three workers beat two: one of them is mostly
# waiting.
WAITING_UNITS = {
    "tests/e2e/test_sla_processes.py": "sla deadlines",
    "tests/e2e/test_compose.py": "own servers",
    "tests/e2e/test_websocket.py": "own servers",
    "tests/e2e/test_idempotency.py": "own servers",
}


# browser modules split from another for their length, run as one unit with it: on the worker whose server
# and city are already up (a split sent elsewhere cost that worker a server start of its own)
WITH = {"tests/e2e/test_mobile_cases.py": "tests/e2e/test_mobile.py",
        "tests/e2e/test_desk_evaluation.py": "tests/e2e/test_desk.py"}


# in-process modules of 15 s and more (pytest --durations): sent out with the browser modules, not last
LONG_UNITS = {"tests/web/test_fuzz_openapi.py", "tests/web/test_map_api.py"}


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def _unit(nodeid: str) -> str:
    module = WITH.get(_module(nodeid), _module(nodeid))
    return WAITING_UNITS.get(module, module)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):  # noqa: ANN001, ANN201
    """The units above. (pytest-xdist's own ``--dist loadgroup`` cannot express them: it renames test ids in
    a way pytest 9 no longer honours, and silently runs every test on its own.)"""
    from xdist.scheduler import LoadScopeScheduling

    class UnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid)

    config.option.loadscopereorder = False  # the units go out in the order below, not by size
    return UnitScheduling(config, log)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Waiting units first (the longest first), then the browser modules and the long in-process ones, then
    the rest: the order in which the units go out to the workers (a long unit sent last is the run's tail:
    the fuzz module alone, 30 s, once ended the run 25 s after the other workers)."""
    seen: set[str] = set()
    twice = sorted({i.nodeid for i in items if i.nodeid in seen or seen.add(i.nodeid)})
    if twice:  # pytest-xdist keeps one test per id: the others would silently not run
        raise pytest.UsageError(f"tests with the same id (give each its own, e.g. a parametrize): {twice[:5]}")
    order = list(dict.fromkeys(WAITING_UNITS.values()))

    def rank(item: pytest.Item) -> tuple[int, int]:
        unit = _unit(item.nodeid)
        if unit in order:
            return 0, order.index(unit)
        return (1 if unit.startswith("tests/e2e/") or unit in LONG_UNITS else 2), 0

    items.sort(key=rank)


class Databases:
    """The run's throw-away databases, one per backend, migrated when first asked for and dropped at the
    end of the run (each xdist worker has its own)."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.tmp_path_factory = tmp_path_factory
        self.urls: dict[str, str] = {}
        self.engines: dict[str, Engine] = {}
        self.admin = None

    def url(self, backend: str) -> str:
        if backend not in self.urls:
            self.urls[backend] = self._sqlite() if backend == "sqlite" else self._postgresql()
            engine = make_engine(self.urls[backend])
            upgrade(engine)
            engine.dispose()
        return self.urls[backend]

    def engine(self, url: str) -> Engine:
        """One engine per database for the tests' own sessions (a new PostgreSQL connection per test
        costs some 20 ms)."""
        if url not in self.engines:
            self.engines[url] = make_engine(url)
        return self.engines[url]

    def _sqlite(self) -> str:
        return f"sqlite:///{self.tmp_path_factory.mktemp('sqlite') / 'gridops.db'}"

    def _postgresql(self) -> str:
        name = f"gridops_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.admin = self.admin or create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            # a throw-away database: a commit need not wait for the disk (a crash loses nothing we keep)
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    def drop(self) -> None:
        for engine in self.engines.values():
            engine.dispose()
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
def engine(database_url: str, databases: Databases) -> Engine:
    """The run's database, emptied before each test (see tests/support/database.py)."""
    engine = databases.engine(database_url)
    database.empty(engine)
    database.forget_cached_reference_data()
    return engine


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    return tmp_path / "media"


__all__ = ["SQLModel"]


@pytest.fixture(autouse=True, scope="session")
def _quick_password_hashes() -> Iterator[None]:
    """Argon2 at its production cost takes ~0.3 s a hash on this machine, and sign-in tests hash and verify
    dozens of times: in-process tests hash at the lowest cost (a hash records its own parameters, so checks
    of either kind still work). Servers the tests start as processes keep the production cost."""
    from argon2 import PasswordHasher

    import web.passwords

    production = web.passwords._hasher
    web.passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    web.passwords._hasher = production
