"""``gridops address``: the address gazetteer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from web.cli.support import _fail, _transaction, console, err

address_app = typer.Typer(help="The address gazetteer: door numbers, buildings, points of interest.",
                          no_args_is_help=True)


@address_app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                         help="CSV (name, kind, road, number, lng, lat, optional crs) or GeoJSON "
                                              "points (properties name, kind, road, number)")],
    crs: Annotated[str | None, typer.Option(help="wgs84 (default), gcj02 (AMap, Tencent) or bd09 (Baidu), for the "
                                                 "rows without a crs column of their own")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check every row; change nothing")] = False,
) -> None:
    """Import a city's addresses. Each gets the cell its point lies in. A file with any bad row is refused
    whole, every bad row listed with its reason; importing the same file name again replaces its entries."""
    from geo.errors import GeoError
    from geo.index import CellIndex
    from grid import addresses
    from grid.hierarchy import cell_geometries
    from web import seclog

    with _transaction() as session:
        index = CellIndex(*cell_geometries(session=session))
        try:
            parsed = addresses.read_file(file.read_bytes(), filename=file.name, crs=crs, index=index)
        except GeoError as exc:
            _fail(str(exc))
        if parsed.problems:
            table = Table("row", "reason", title=f"{file.name}: rows that cannot be imported", style="red")
            for problem in parsed.problems[: addresses.MAX_PROBLEMS_SHOWN]:
                table.add_row(str(problem.row), problem.reason)
            console.print(table)
            _fail(f"{len(parsed.problems)} of {parsed.total} rows cannot be imported; nothing was written. "
                  "Correct them and import the file again")
        result = addresses.import_addresses(session=session, parsed=parsed, source=file.name, dry_run=dry_run)
        if dry_run:
            err.print(f"dry run: {result.added} addresses would be imported"
                      + (f", replacing {result.replaced} of {result.source}" if result.replaced else "")
                      + "; nothing was changed")
            session.rollback()
            return
        seclog.record(session, kind=seclog.SecurityKind.address_import, source=seclog.Source.cli(),
                      subject=f"addresses:{result.source}",
                      detail={"file": file.name, "added": result.added, "replaced": result.replaced})
    console.print(f"{result.added} addresses imported" + (f", replacing {result.replaced}" if result.replaced else ""))
