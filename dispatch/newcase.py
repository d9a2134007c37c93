"""A new case's rows, written at once.

A report creates a case with its events, timers, routing decision, live event and photos: new rows, all
of them. On PostgreSQL they do not go through the ORM's unit of work (an INSERT per table, an UPDATE of
the case for what changed after its INSERT, and the bookkeeping of every object): the case takes its id
from its sequence (``begin``), its rows are kept while the report is built (``keep``, which every write
site calls instead of ``session.add``) and ``insert_numbered`` puts them in the database in one statement
that also takes the case number from the day's counter, sent with the COMMIT: the counter row is locked
for the database's time only. On SQLite (one writer at a time) the ORM writes them as usual and the
number takes its own statements.

The rows written this way other than the case are not in the session: the caller reads them as plain
objects (the answer to the report); the case is, as if loaded, so a later act in the same transaction
finds it (and runs the pending statement first)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import exc as exc_
from sqlalchemy import func, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.pool import Pool
from sqlmodel import Session

from dispatch.models import LiveEvent, Photo, RoutingDecisionRecord, SlaTimer, Ticket, TicketCounter, TicketEvent
from grid.dbtypes import Row

_NEW = "gridops.new_case"
#: the tables of a case's rows, parents first (the statement inserts them together; the order only
#: makes the SQL read naturally, PostgreSQL checks the foreign keys when the statement ends)
_ORDER = (Ticket, TicketEvent, SlaTimer, RoutingDecisionRecord, Photo, LiveEvent)


@dataclass
class _Kept:
    ticket: Ticket
    rows: dict[int, Row] = field(default_factory=dict)  # id(row) → row, in the order kept

    def of(self, model: type[Row]) -> list[Row]:
        return [row for row in self.rows.values() if isinstance(row, model)]


def takes_id_first(session: Session) -> bool:
    """Whether a new case takes its id before it is written (PostgreSQL, from the sequence: its rows are
    then kept and written at once) rather than from the ORM's INSERT (SQLite)."""
    return session.get_bind().dialect.name == "postgresql"


def begin(session: Session, ticket: Ticket, *, next_id: int | None = None) -> None:
    """A new case: give it its id. Where it ``takes_id_first``, ``next_id`` from the sequence (read here
    when not given), and its rows are kept for ``insert_numbered``; elsewhere the ORM inserts it now."""
    if takes_id_first(session):
        ticket.id = next_id if next_id is not None else session.execute(select(NEXT_ID)).scalar_one()
        session.info[_NEW] = _Kept(ticket)
    else:
        session.add(ticket)
        session.flush()


#: the next case id from the case table's sequence (PostgreSQL); ``dispatch.nearby`` reads it with the
#: nearby open cases, a report's two reads in one
NEXT_ID = func.nextval(func.pg_get_serial_sequence(Ticket.__tablename__, "id")).label("id")


def keep(session: Session, row: Row) -> None:
    """``session.add``, except for a new case and its new rows on PostgreSQL: kept for ``insert_numbered``."""
    kept: _Kept | None = session.info.get(_NEW)
    if kept is not None and (row is kept.ticket or getattr(row, "ticket_id", None) == kept.ticket.id):
        if row is not kept.ticket:
            kept.rows.setdefault(id(row), row)
        return
    session.add(row)


@sa_event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_NEW, None)


def attach(session: Session, ticket: Ticket) -> None:
    """The case ``insert_numbered`` writes into the session, as if loaded (nothing for the ORM to write)."""
    make_transient_to_detached(ticket)
    session.add(ticket)


def take(session: Session) -> _Kept | None:
    """What is kept of the new case (None on SQLite, or when nothing is), for ``insert_numbered``."""
    return session.info.pop(_NEW, None)


# --- PostgreSQL: one statement -------------------------------------------------------------------------
# Each table's rows go as one JSON parameter, made into rows by json_populate_recordset with the table's
# own row type: a few parameters instead of hundreds, and a statement text that depends only on which
# tables have rows (a handful of shapes, each prepared once per connection).

_COUNTER = (f"INSERT INTO {TicketCounter.__tablename__} (prefix, value) VALUES (%(prefix)s, 1) "
            f"ON CONFLICT (prefix) DO UPDATE SET value = {TicketCounter.__tablename__}.value + 1 "
            "RETURNING %(prefix)s || lpad(value::text, greatest(4, length(value::text)), '0') AS number")
_NUMBER = "(SELECT number FROM n)"
_statements: dict[tuple[type, ...], str] = {}


def _columns(model: type[Row]) -> list[str]:
    """What a row of the table is written with: every column but the id, which the rows other than the
    case's take from their sequences."""
    return [c.key for c in model.__table__.columns if c.key != "id" or model is Ticket]


def _statement(models: tuple[type[Row], ...], dialect: Dialect) -> str:
    if models not in _statements:
        quote = dialect.identifier_preparer.quote
        parts = [f"n AS ({_COUNTER})"]
        for model in models:
            table, names = model.__tablename__, _columns(model)
            values = [_NUMBER if (model is Ticket and name == "case_number")
                      else f"replace(r.payload, %(pending)s, {_NUMBER})" if (model is LiveEvent and name == "payload")
                      else f"r.{quote(name)}" for name in names]
            parts.append(f"w_{table} AS (INSERT INTO {quote(table)} ({', '.join(quote(n) for n in names)}) "
                         f"SELECT {', '.join(values)} FROM json_populate_recordset(NULL::{quote(table)}, "
                         f"%({table})s::json) AS r)")
        _statements[models] = f"WITH {', '.join(parts)} SELECT number FROM n"
    return _statements[models]


def _json_value(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def insert_numbered(session: Session, kept: _Kept, *, pending: str, prefix: str,
                    numbered: Callable[[str], None]) -> None:
    """Number the new case and write its kept rows, in one statement; ``numbered`` gets the number once
    the statement has run. Its live events' payloads name the case by ``pending``: the statement writes
    the number there instead.

    The statement goes to the database with the COMMIT, in one round trip (psycopg's pipeline mode): the
    counter row is then locked for the time the database takes to run the two, not for a round trip and
    for the wait of a busy process's thread in between. Should anything else run in the transaction first,
    the statement runs before it."""
    by_table: dict[type, list[Row]] = {}
    for row in (kept.ticket, *kept.rows.values()):
        by_table.setdefault(type(row), []).append(row)
    unknown = set(by_table) - set(_ORDER)
    if unknown:
        raise TypeError(f"no way to write a new case's {sorted(t.__name__ for t in unknown)}")
    models = tuple(model for model in _ORDER if model in by_table)
    params: dict[str, Any] = {"prefix": prefix, "pending": pending}
    for model in models:
        names = _columns(model)
        params[model.__tablename__] = json.dumps([{name: getattr(row, name) for name in names}
                                                  for row in by_table[model]],
                                                 ensure_ascii=False, default=_json_value)
    connection = session.connection()
    if _FINAL in connection.info:
        raise RuntimeError("a new case is already waiting to be written in this transaction")
    connection.info[_FINAL] = _Final(_statement(models, session.get_bind().dialect), params, numbered)


@dataclass
class _Final:
    """The statement that ends a report's transaction, and who wants its number."""

    sql: str
    params: dict[str, Any]
    numbered: Callable[[str], None]


_FINAL = "gridops.new_case_final"


def _wrapped(conn: Connection, final: _Final, exc: Exception) -> Exception:
    """A driver error as SQLAlchemy would have raised it (callers catch IntegrityError: a concurrent retry
    of the same Idempotency-Key)."""
    dbapi_error = conn.dialect.loaded_dbapi.Error
    if not isinstance(exc, dbapi_error):
        return exc
    return exc_.DBAPIError.instance(final.sql, final.params, exc, dbapi_error)


@sa_event.listens_for(Engine, "before_cursor_execute")
def _final_first(conn: Connection, *_args: Any) -> None:
    final = conn.info.pop(_FINAL, None)
    if final is not None:  # something else runs in this transaction after the report: the case first
        with conn.connection.driver_connection.cursor() as cursor:
            try:
                cursor.execute(final.sql, final.params)
            except Exception as exc:
                raise _wrapped(conn, final, exc) from exc
            final.numbered(cursor.fetchone()[0])


@sa_event.listens_for(Engine, "commit")
def _final_with_commit(conn: Connection) -> None:
    final = conn.info.pop(_FINAL, None)
    if final is None:
        return
    driver = conn.connection.driver_connection
    cursor = driver.cursor()
    try:
        with driver.pipeline():
            cursor.execute(final.sql, final.params)
            driver.commit()  # sent with the statement; SQLAlchemy's own COMMIT then finds nothing to do
    except Exception as exc:
        raise _wrapped(conn, final, exc) from exc
    final.numbered(cursor.fetchone()[0])
    cursor.close()


@sa_event.listens_for(Engine, "rollback")
def _final_dropped(conn: Connection) -> None:
    conn.info.pop(_FINAL, None)


@sa_event.listens_for(Pool, "checkin")
def _final_never_outlives_its_checkout(_dbapi_connection: Any, record: Any) -> None:
    record.info.pop(_FINAL, None)  # a connection given back however it ended (invalidated, reset)


# --- SQLite: the ORM wrote the rows; the number in its own statements ----------------------------------

def number_sqlite(session: Session, ticket: Ticket, live_rows: list[LiveEvent], *, pending: str, prefix: str) -> str:
    """Number the new case the ORM has written, and its live events (which name it by ``pending``)."""
    session.flush()  # everything else first: the counter row stays locked until the commit
    value = session.execute(
        sqlite.insert(TicketCounter).values(prefix=prefix, value=1)
        .on_conflict_do_update(index_elements=["prefix"], set_={"value": TicketCounter.value + 1})
        .returning(TicketCounter.value)
    ).scalar_one()
    number = f"{prefix}{value:04d}"
    session.execute(update(Ticket).where(Ticket.id == ticket.id).values(case_number=number)
                    .execution_options(synchronize_session=False))
    for row in live_rows:
        session.execute(update(LiveEvent).where(LiveEvent.id == row.id)
                        .values(payload=row.payload.replace(pending, number))
                        .execution_options(synchronize_session=False))
    # what the rows now hold, without making them look changed (nothing more to flush)
    set_committed_value(ticket, "case_number", number)
    for row in live_rows:
        set_committed_value(row, "payload", row.payload.replace(pending, number))
    return number

