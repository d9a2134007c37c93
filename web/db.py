"""Database engine, sessions and migrations."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session, SQLModel

from grid import refcache

MIGRATIONS = Path(__file__).parent / "migrations"


def import_models() -> type[SQLModel]:
    """Import every package's tables so that SQLModel.metadata knows them all."""
    import dispatch.models  # noqa: F401
    import grid.models  # noqa: F401
    import web.models  # noqa: F401

    return SQLModel


READ_ONLY = "gridops_read_only"  # a connection's execution option: its transactions only read


def reading(session: Session) -> Session:
    """End the session's transaction and let the next one only read: on SQLite a deferred BEGIN, which takes no
    write lock, so that a long read (a month of cases scored, the board's aggregates) does not hold up the
    writers (reports, acts) for its length; on PostgreSQL nothing changes (readers never block writers)."""
    session.rollback()
    session.connection(execution_options={READ_ONLY: True})
    return session


def make_engine(url: str, *, echo: bool = False, statement_timeout: float = 0) -> Engine:
    """SQLite: WAL, foreign keys on, and every transaction opened with BEGIN IMMEDIATE so that writers
    queue on the lock instead of failing to upgrade a read snapshot. PostgreSQL: a pool that checks a
    connection as it hands it out, no JIT, and with ``statement_timeout`` (seconds; 0: none) each statement
    stopped by the database once it has run that long (the app passes its request time limit: a statement
    longer than that serves no one, see ``web.api.lifetime``; the background jobs on the same engine run
    far shorter ones). Set when a connection is made, so it costs no request anything; SQLite has no such
    limit."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):  # noqa: ANN001, ANN202
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):  # noqa: ANN001, ANN202
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

        return engine
    # JIT off: the control room's aggregates over many open cases are just past the JIT threshold, where
    # compiling costs 50–100 ms and saves less; every other statement is far below it. Time zone UTC: the
    # driver then returns datetimes in datetime.UTC, which need no conversion (grid.dbtypes.UTCDateTime)
    options = "-c jit=off -c timezone=UTC"
    if statement_timeout:
        options += f" -c statement_timeout={max(1, round(statement_timeout * 1000))}"  # milliseconds
    engine = create_engine(url, echo=echo, pool_size=10, max_overflow=20, connect_args={"options": options})
    _ping_with_version(engine)
    return engine


def _ping_with_version(engine: Engine) -> None:
    """Check a pooled connection is alive as it is handed out (a restarted database leaves dead ones) with
    a read that is of use: the reference version (``grid.refcache``), kept in the connection's info for
    the first transaction that asks. SQLAlchemy's own pre-ping would send a ``SELECT 1`` and the version
    would cost another round trip. A connection that cannot answer is replaced (the pool retries)."""
    import psycopg  # PostgreSQL's driver: only where it is the database

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, _proxy):  # noqa: ANN001, ANN202
        record.info.pop(refcache.AT_CHECKOUT, None)
        autocommit = dbapi_connection.autocommit
        try:
            dbapi_connection.autocommit = True  # no transaction for the ping
            with dbapi_connection.cursor() as cursor:
                cursor.execute(refcache.VERSION_SQL)
                row = cursor.fetchone()
        except psycopg.OperationalError as exc:  # the connection is gone
            raise DisconnectionError(str(exc)) from exc
        except psycopg.Error:  # alive, but no version table (a database before its migrations)
            return
        finally:
            if not dbapi_connection.closed:
                dbapi_connection.autocommit = autocommit
        record.info[refcache.AT_CHECKOUT] = row[0] if row else 0

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _spent(conn):  # noqa: ANN001, ANN202
        conn.info.pop(refcache.AT_CHECKOUT, None)  # it served the first transaction only


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "-1") -> None:
    """Back to ``revision``: an id, ``-1`` for one step, ``base`` for an empty database."""
    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return _head_of(tuple(sorted((p.name, p.stat().st_mtime_ns) for p in (MIGRATIONS / "versions").glob("*.py"))))


@functools.lru_cache(maxsize=4)
def _head_of(files: tuple) -> str | None:  # noqa: ARG001  (the migration files, as the cache's key)
    """The newest migration's id; alembic compiles every migration file to find it (25 ms), so it is read
    once per set of files (a new migration, written by `gridops db revision`, is a new set)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


class NotMigrated(RuntimeError):
    pass


def require_migrated(engine: Engine) -> None:
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        raise NotMigrated(
            f"the database at {engine.url.render_as_string(hide_password=True)} is at revision {current or 'none'}, "
            f"the code needs {head}. Run: gridops db upgrade"
        )


def new_revision(engine: Engine, message: str) -> tuple[Path, bool]:
    """Write the next revision (0004_…, 0005_…) with what the models changed since the newest one, found by
    comparing them with a database at head. Returns the file and whether it is empty (nothing changed)."""
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        raise NotMigrated(
            f"the database at {engine.url.render_as_string(hide_password=True)} is at revision {current or 'none'}, "
            f"not at the newest ({head}): a revision compares the models with a database at head, or it would "
            f"repeat what {head} already does. Run: gridops db upgrade"
        )
    empty = []

    def note_empty(_context, _revision, directives) -> None:  # noqa: ANN001
        empty.append(all(script.upgrade_ops.is_empty() for script in directives))

    script = command.revision(alembic_config(engine), message=message, autogenerate=True,
                              rev_id=f"{int(head or 0) + 1:04d}", process_revision_directives=note_empty)
    return Path(script.path), empty[0]
