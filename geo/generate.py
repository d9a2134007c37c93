"""Grid generation: square or hexagonal cells of a target area, laid out in metres and clipped to a
boundary. Hexagons are pointy-topped, in offset rows."""

from __future__ import annotations

import math

import numpy as np
import shapely

from geo.errors import GeoError
from geo.metric import from_metric, to_metric

SHAPES = ("square", "hex")


def _squares(minx: float, miny: float, maxx: float, maxy: float, area: float) -> list[shapely.Geometry]:
    side = math.sqrt(area)
    xs = np.arange(minx, maxx + side, side)
    ys = np.arange(miny, maxy + side, side)
    gx, gy = np.meshgrid(xs[:-1], ys[:-1])  # row by row, south → north, west → east
    return list(shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + side, gy.ravel() + side))


def _hexagons(minx: float, miny: float, maxx: float, maxy: float, area: float) -> list[shapely.Geometry]:
    size = math.sqrt(2 * area / (3 * math.sqrt(3)))  # centre to corner
    width, step_y = math.sqrt(3) * size, 1.5 * size
    angles = np.radians(np.arange(6) * 60 + 30)
    corners = np.column_stack([np.cos(angles), np.sin(angles)]) * size
    cells = []
    row = 0
    y = miny - size
    while y <= maxy + size:
        x = minx - width + (width / 2 if row % 2 else 0)
        while x <= maxx + width:
            cells.append(shapely.Polygon(corners + (x, y)))
            x += width
        y += step_y
        row += 1
    return cells


def generate_grid(boundary: shapely.Geometry, *, shape: str = "square", cell_area_m2: float = 10_000.0
                  ) -> list[shapely.Geometry]:
    """Cells of ``cell_area_m2`` covering ``boundary`` (WGS-84 in and out), clipped to it, in row order.
    The clipped cells tile the boundary: no gaps, no overlaps."""
    if shape not in SHAPES:
        raise GeoError(f"unknown cell shape {shape!r}; use square or hex")
    if not cell_area_m2 > 0:
        raise GeoError("the cell area must be a positive number of square metres")
    if boundary.is_empty or boundary.area == 0:
        raise GeoError("the boundary is empty")
    metric, crs = to_metric(boundary)
    minx, miny, maxx, maxy = metric.bounds
    if (maxx - minx) * (maxy - miny) / cell_area_m2 > 5_000_000:
        raise GeoError("that would make more than 5 million cells; choose a larger cell area")
    raw = (_squares if shape == "square" else _hexagons)(minx, miny, maxx, maxy, cell_area_m2)
    shapely.prepare(metric)
    raw = np.array(raw, dtype=object)
    raw = raw[shapely.intersects(metric, raw)]
    clipped = shapely.intersection(raw, metric)
    keep = [g for g in clipped if not g.is_empty and g.area > 1e-6]
    polygonal = []
    for g in keep:
        if g.geom_type not in ("Polygon", "MultiPolygon"):
            parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
            g = shapely.union_all(parts) if parts else None
        if g is not None and not g.is_empty:
            polygonal.append(from_metric(g, crs))
    return polygonal
