"""Reference data cached per process: the catalogue, departments, routing rules, calendars, SLA policies,
workers' cells and who a token or a session cookie stands for change rarely but are read by every report
and act.

One row, ``reference_version``, says which version of the reference data is current. Any change to a
reference table, from any process or the CLI, sets it to a new random token in the same transaction (a
flush hook, so no write site can forget; random rather than counted, so a database restored to an older
state never meets a cache built from a newer one under the same number). Each transaction reads the row
once; a process whose caches were built under another version drops them all. So an edited rule or a new
holiday takes effect on the next request everywhere, for one single-row read per transaction."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from itertools import chain
from typing import Any, TypeVar

from sqlalchemy import BigInteger, event, insert, select, update
from sqlmodel import Field, Session

from grid.dbtypes import Row  # (also the naming convention, before any table)

T = TypeVar("T")
_INFO_KEY = "gridops.reference_version"


class ReferenceVersion(Row, table=True):
    __tablename__ = "reference_version"

    id: int = Field(default=1, primary_key=True)
    value: int = Field(default=0, sa_type=BigInteger)


#: the tables whose rows are reference data; packages add theirs with ``watch``
WATCHED: set[type] = set()

_cache: dict[Any, Any] = {}
_cache_version: int | None = None
_lock = threading.Lock()


def watch(*tables: type) -> None:
    """Changes to these tables bump the reference version."""
    WATCHED.update(tables)


#: the read, for a connection pool that reads the version when it hands a connection out (``web.db``
#: checks a connection is alive that way, so the read costs no round trip of its own) and leaves it in the
#: connection's info under ``AT_CHECKOUT`` for the first transaction on that connection
VERSION_SQL = f"SELECT value FROM {ReferenceVersion.__tablename__} WHERE id = 1"
AT_CHECKOUT = "gridops.reference_version_at_checkout"


def version(session: Session) -> int:
    """The reference version this transaction sees (read once per transaction, or taken from what the pool
    read when it handed the connection out for this transaction)."""
    current = session.info.get(_INFO_KEY)
    if current is None:
        current = session.connection().info.pop(AT_CHECKOUT, None)
        if current is None:
            current = session.execute(select(ReferenceVersion.value).where(ReferenceVersion.id == 1)).scalar() or 0
        session.info[_INFO_KEY] = current
    return current


def cached(session: Session, key: Any, load: Callable[[Session], T], *, keep_none: bool = True) -> T:
    """``load(session)``'s result, kept until the reference version changes. What it returns is shared
    between threads and requests: plain values or detached rows, read-only. ``keep_none=False``: a None
    is not kept (lookups by a key a client chooses, such as a token, must not fill the cache with misses)."""
    global _cache_version
    seen = version(session)
    with _lock:
        if _cache_version != seen:
            _cache.clear()
            _cache_version = seen
        if key in _cache:
            return _cache[key]
    value = load(session)
    if value is None and not keep_none:
        return value
    with _lock:
        if _cache_version == seen:
            _cache[key] = value
    return value


def rows(session: Session, model: type[T]) -> list[T]:
    """Every row of a reference table as fresh instances that belong to no session (safe to share and to
    keep; the session's own instances, perhaps being changed, are left alone)."""
    table = model.__table__  # type: ignore[attr-defined]
    found = session.execute(select(table).order_by(*table.primary_key.columns)).mappings()
    return [model.model_validate(dict(row)) for row in found]  # type: ignore[attr-defined]


@event.listens_for(Session, "after_flush")
def _bump_on_change(session: Session, _context: Any) -> None:
    if not WATCHED or not any(type(obj) in WATCHED for obj in chain(session.new, session.dirty, session.deleted)):
        return
    token = secrets.randbits(62)
    changed = session.execute(update(ReferenceVersion).where(ReferenceVersion.id == 1).values(value=token))
    if changed.rowcount == 0:  # an emptied database
        session.execute(insert(ReferenceVersion).values(id=1, value=token))
    session.info.pop(_INFO_KEY, None)  # this transaction reads its own change from now on


@event.listens_for(Session, "after_transaction_end")
def _forget_version(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_INFO_KEY, None)


def clear() -> None:
    """Drop every cached value (tests that rebuild the database under the same version)."""
    global _cache_version
    with _lock:
        _cache.clear()
        _cache_version = None
