"""What the ``gridops`` commands share: consoles, the database engine, sessions and clean failure."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import typer
from rich.console import Console
from sqlmodel import Session

from web.db import NotMigrated, make_engine, require_migrated
from web.settings import get_settings
from web.unit import Unit

console = Console()
err = Console(stderr=True)


def _engine():  # noqa: ANN202
    return _engine_for(get_settings().database_url)


@lru_cache(maxsize=4)
def _engine_for(url: str):  # noqa: ANN202
    """One engine (and connection pool) per database for the life of the process."""
    return make_engine(url)


def _session(migrated: bool = True) -> Session:
    engine = _engine()
    if migrated:
        try:
            require_migrated(engine)
        except NotMigrated as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from None
    return Session(engine, expire_on_commit=False)


def _fail(message: str) -> None:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(1)


@contextmanager
def _transaction() -> Iterator[Session]:
    """A session committed at the end; a domain error rolls back and exits with its message."""
    from grid.errors import DomainError

    with _session() as session:
        try:
            with Unit(session):
                yield session
        except DomainError as exc:
            _fail(exc.message)


def _day(value: str):  # noqa: ANN202
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"{value!r} is not a date: write it as 2027-01-01")
