"""The grid's commands: ``gridops grid import`` (a file, one level), ``generate`` (cells laid over a community or
each community of a street) and ``export``."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from web.cli.support import _fail, _session, _transaction, console, err


def generate(
    area: Annotated[str, typer.Argument(help="a community's 12-digit code, or a street's 9 digits for each of its "
                                              "communities")],
    shape: Annotated[str, typer.Option(help="square or hex")] = "square",
    cell_area: Annotated[float, typer.Option(help="the cells' area in m² (a walkable cell: 10,000 m² = 1 ha)")
                         ] = 10_000.0,
    sliver: Annotated[float, typer.Option(help="merge a piece the boundary leaves under this share of the cell "
                                               "area into its neighbour (0 keeps every piece)")] = 0.2,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would be added; change nothing")] = False,
) -> None:
    """Generate the cells of a community: square or hexagonal cells of the given area over its boundary,
    clipped to it, numbered under its code row by row from the north-west (001–999). Slivers are merged into
    a neighbour. A community that has cells already is refused (import a file to change a grid)."""
    from grid.gridgen import apply_plans, plan_cells
    from web import seclog

    if shape not in ("square", "hex"):
        _fail(f"unknown cell shape {shape!r}; use square or hex")
    with _transaction() as session:
        plans = plan_cells(session=session, area_code=area.strip(), shape=shape, cell_area_m2=cell_area,
                           sliver_ratio=sliver)
        table = Table("community", "name", "cells", "codes", "slivers merged", "smallest m²", "largest m²")
        for p in plans:
            table.add_row(p.code, p.name, str(len(p.cells)), f"{p.cells[0].code[-3:]}–{p.cells[-1].code[-3:]}"
                          if p.cells else "", str(p.merged), f"{p.smallest_m2:,.0f}", f"{p.largest_m2:,.0f}")
        console.print(table)
        total = sum(len(p.cells) for p in plans)
        if dry_run:
            console.print(f"dry run: {total} cells would be added; nothing was changed")
            session.rollback()
            return
        stats = apply_plans(session=session, plans=plans)
        seclog.record(session, kind=seclog.SecurityKind.grid_generate, source=seclog.Source.cli(),
                      subject=f"grid:{area.strip()}", detail={
                          "shape": shape, "cell_area_m2": cell_area, "sliver_ratio": sliver, "added": stats.added,
                          "communities": [p.code for p in plans]})
    console.print(f"{stats.added} cells added in {len(plans)} communit{'y' if len(plans) == 1 else 'ies'}")


SUFFIX_FORMATS = {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".zip": "shp"}


def export(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="where to write: .geojson, .gpkg, or .zip (Shapefile)")],
    level: Annotated[str, typer.Option(help="district, street, community or cell")] = "cell",
) -> None:
    """Write one level of the grid to a file the import reads: code and name fields, WGS-84. The format
    follows the file's suffix (.zip: a zipped Shapefile)."""
    from geo.writers import write_grid_file
    from grid.gridimport import level_features
    from grid.models import AreaLevel

    try:
        lvl = AreaLevel(level)
    except ValueError:
        _fail(f"unknown level {level!r}; use district, street, community or cell")
    fmt = SUFFIX_FORMATS.get(file.suffix.lower())
    if fmt is None:
        _fail(f"{file.name}: name the file .geojson, .gpkg or .zip (a zipped Shapefile) for its format")
    with _session() as session:
        features = level_features(session=session, level=lvl)
    if not features:
        _fail(f"there are no {lvl}s to export")
    file.write_bytes(write_grid_file(features, fmt=fmt, name=f"gridops-{lvl}"))
    console.print(f"{len(features)} {lvl} areas written to {file}")


def grid_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="GeoJSON, zipped Shapefile or GeoPackage")],
    level: Annotated[str, typer.Option(help="district, street, community or cell")] = "cell",
    code_field: Annotated[str, typer.Option(help="attribute holding the area code")] = "code",
    name_field: Annotated[str, typer.Option(help="attribute holding the name")] = "name",
    crs: Annotated[str | None, typer.Option(
        help="the file's CRS: an EPSG code (EPSG:4549) when it declares none, or gcj02 / bd09 for data digitised "
             "on AMap / Baidu maps")] = None,
    layer: Annotated[str | None, typer.Option(help="layer of a GeoPackage")] = None,
    overlaps: Annotated[str, typer.Option(help="overlapping features: report (import them as they are), refuse (the "
                                                "file), or clip (a feature loses what it shares with features before "
                                                "it in the file)")] = "report",
) -> None:
    """Import one level of the hierarchy in one transaction. Re-importing the same file changes nothing."""
    from geo.errors import GeoError
    from geo.loaders import read_grid_file
    from grid.hierarchy import import_areas
    from grid.models import AreaLevel

    try:
        lvl = AreaLevel(level)
    except ValueError:
        _fail(f"unknown level {level!r}; use district, street, community or cell")
    try:
        loaded = read_grid_file(file, code_field=code_field, name_field=name_field, crs=crs, layer=layer,
                                overlaps=overlaps)
    except GeoError as exc:
        _fail(str(exc))
    for repair in loaded.repairs:  # what was wrong, where, and the area before → after
        err.print(f"repaired {repair.message}", style="yellow", markup=False)
    for a, b, area in loaded.overlaps:
        err.print(f"[yellow]{a} and {b} overlap by {area:,.1f} m²[/yellow]")
    from web import seclog

    with _transaction() as session, Progress(console=err) as progress:
        task = progress.add_task(f"importing {len(loaded.features)} {lvl}s", total=len(loaded.features))
        stats = import_areas(session=session, level=lvl, features=loaded.features,
                             progress=lambda n: progress.advance(task, n))
        if stats.added or stats.updated or stats.derived:
            seclog.record(session, kind=seclog.SecurityKind.grid_import, source=seclog.Source.cli(),
                          subject=f"grid:{lvl}", detail={
                              "file": file.name, "sha256": hashlib.sha256(file.read_bytes()).hexdigest(),
                              "features": len(loaded.features), "added": stats.added, "changed": stats.updated,
                              "unchanged": stats.unchanged, "removed": 0,  # an import never removes an area
                              "parents_derived": len(stats.derived)})
    console.print(f"{stats.added} added, {stats.updated} updated, {stats.unchanged} unchanged"
                  + (f"; {len(stats.derived)} parent areas derived from their children" if stats.derived else ""))
