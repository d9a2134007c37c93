"""``gridops export tickets``: every case (the system's view), with the case list's filters, to a file: the same
rows and writers as GET /api/v1/exports/tickets.{csv,xlsx,geojson} (web.exports)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from dispatch.queries import TicketFilter
from grid.errors import DomainError
from grid.people import SYSTEM
from web import exports
from web.cli.support import _day, _engine, _fail, _session, console
from web.settings import get_settings

export_app = typer.Typer(help="Exports: cases to CSV, Excel or GeoJSON.", no_args_is_help=True)


@export_app.command("tickets")
def tickets(
    out: Annotated[Path, typer.Option("--out", dir_okay=False, help="the file to write")],
    fmt: Annotated[str | None, typer.Option("--format", help="csv, xlsx or geojson (default: the file's suffix)")
                   ] = None,
    status: Annotated[list[str] | None, typer.Option(help="a status (repeat, or comma-separate)")] = None,
    category: Annotated[str | None, typer.Option(help="minor (E0101), major (E01) or kind (C/E)")] = None,
    area: Annotated[str | None, typer.Option(help="district, street, community or cell code")] = None,
    department: Annotated[str | None, typer.Option(help="department code")] = None,
    since: Annotated[str | None, typer.Option("--from", help="reported on or after this day (local), 2027-01-01")
                     ] = None,
    until: Annotated[str | None, typer.Option("--to", help="reported on or before this day (local), 2027-01-31")
                     ] = None,
    lang: Annotated[str, typer.Option(help="headers and labels: zh or en")] = "zh",
) -> None:
    """Write the cases (all of them, as the system sees them: no reporter's name or number) that match the
    filters, read in batches and written as they come (a million cases in flat memory)."""
    fmt = (fmt or out.suffix.lstrip(".")).lower()
    if fmt not in exports.MEDIA:
        _fail(f"unknown format {fmt!r}: use --format csv, xlsx or geojson (or name the file so)")
    if lang not in ("zh", "en"):
        _fail(f"unknown language {lang!r}: use zh or en")
    zone = ZoneInfo(get_settings().timezone)

    def midnight(value: str | None, days: int = 0) -> datetime | None:
        return datetime.combine(_day(value) + timedelta(days=days), time(), zone) if value else None

    filters = TicketFilter(status=[s.strip() for item in status or [] for s in item.split(",") if s.strip()] or None,
                           category=category, area=area, department=department, created_from=midnight(since),
                           created_to=midnight(until, 1))
    export = exports.Export(actor=SYSTEM, filters=filters, timezone=zone, lang=lang)  # type: ignore[arg-type]
    _session().close()  # the database is migrated (or the command says so and stops)
    try:
        lines = exports.rows(_engine(), export)
    except DomainError as exc:
        _fail(exc.message)
    count = 0

    def counted() -> Iterator[list]:
        nonlocal count
        for line in lines:
            count += 1
            yield line

    with out.open("wb") as file:
        for piece in exports.write(fmt, export, counted()):  # type: ignore[arg-type]
            file.write(piece)
    console.print(f"{count} cases written to {out} ({out.stat().st_size:,} bytes)")
