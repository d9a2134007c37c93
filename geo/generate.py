"""Grid generation: square or hexagonal cells of a target area, laid out in metres and clipped to a
boundary, numbered row by row from the north-west; slivers the clipping leaves are merged into a neighbour.
Hexagons are pointy-topped, in offset rows."""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
import shapely

from geo.errors import GeoError
from geo.metric import from_metric, to_metric

SHAPES = ("square", "hex")
EDGE_TOLERANCE_M = 0.001
PRECISION_M = 0.0001


def _squares(minx: float, miny: float, maxx: float, maxy: float, area: float) -> list[shapely.Geometry]:
    side = math.sqrt(area)
    xs = np.arange(minx, maxx + side, side)
    ys = np.arange(maxy, miny - side, -side)  # top edges, north → south
    gx, gy = np.meshgrid(xs[:-1], ys[:-1])  # row by row from the north-west: north → south, west → east
    return list(shapely.box(gx.ravel(), gy.ravel() - side, gx.ravel() + side, gy.ravel()))


def _hexagons(minx: float, miny: float, maxx: float, maxy: float, area: float) -> list[shapely.Geometry]:
    size = math.sqrt(2 * area / (3 * math.sqrt(3)))  # centre to corner
    width, step_y = math.sqrt(3) * size, 1.5 * size
    angles = np.radians(np.arange(6) * 60 + 30)
    corners = np.column_stack([np.cos(angles), np.sin(angles)]) * size
    cells = []
    row = 0
    y = maxy + size
    while y >= miny - size:  # row by row from the north-west
        x = minx - width + (width / 2 if row % 2 else 0)
        while x <= maxx + width:
            cells.append(shapely.Polygon(corners + (x, y)))
            x += width
        y -= step_y
        row += 1
    return cells


def _pieces(clipped: np.ndarray) -> list[shapely.Geometry]:
    """The clipped cells as single polygons, in the layout's order: a cell the boundary cuts in two (a bay, a
    river's bend) gives two pieces, north-west first, each its own cell unless it is a sliver."""
    pieces = []
    for g in clipped:
        if g.is_empty:
            continue
        parts = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon" and p.area > 1e-6]
        parts.sort(key=lambda p: (-round(p.centroid.y, 3), p.centroid.x))
        pieces.extend(parts)
    return pieces


def merge_slivers(pieces: list[shapely.Geometry], threshold_m2: float) -> tuple[list[shapely.Geometry], int]:
    """Each piece under ``threshold_m2`` (metric polygons) joins the neighbour it shares the longest edge
    with, smallest first, until none is left that has a neighbour (an island smaller than the threshold stays
    a cell of its own: there is nothing to join). Returns the cells, in the order of the piece each grew
    from, and how many pieces were merged away."""
    n = len(pieces)
    owner = list(range(n))
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    area = [p.area for p in pieces]
    tree = shapely.STRtree(pieces)

    def find(i: int) -> int:
        while owner[i] != i:
            owner[i] = owner[owner[i]]
            i = owner[i]
        return i

    heap = [(area[i], i) for i in range(n) if area[i] < threshold_m2]
    heapq.heapify(heap)
    merged = 0
    while heap:
        size, i = heapq.heappop(heap)
        if find(i) != i or size != area[i]:
            continue  # merged away, or grown since it was queued
        shared: dict[int, float] = {}
        for m in members[i]:
            # neighbours' edges are computed cell by cell and may miss each other by a hair: a millimetre's
            # tolerance finds the edge they share
            near = pieces[m].buffer(EDGE_TOLERANCE_M)
            for j in tree.query(near, predicate="intersects"):
                k = find(int(j))
                if k != i:
                    edge = pieces[m].boundary.intersection(pieces[int(j)].buffer(EDGE_TOLERANCE_M)).length
                    shared[k] = shared.get(k, 0.0) + edge
        if not shared or max(shared.values()) < 10 * EDGE_TOLERANCE_M:
            continue  # an island: it keeps its own cell
        host = max(shared, key=lambda k: (shared[k], area[k], -k))
        owner[i] = host
        members[host].extend(members.pop(i))
        area[host] += area[i]
        merged += 1
        if area[host] < threshold_m2:
            heapq.heappush(heap, (area[host], host))
    roots = sorted(members)  # a cell keeps the place of the piece it grew from
    return [shapely.union_all([pieces[m] for m in members[r]], grid_size=PRECISION_M) if len(members[r]) > 1
            else pieces[r] for r in roots], merged


@dataclass
class Generated:
    cells: list[shapely.Geometry]  # WGS-84, row by row from the north-west
    merged: int  # slivers merged into a neighbour
    smallest_m2: float
    largest_m2: float


def generate_cells(boundary: shapely.Geometry, *, shape: str = "square", cell_area_m2: float = 10_000.0,
                   sliver_ratio: float = 0.2) -> Generated:
    """Cells of ``cell_area_m2`` covering ``boundary`` (WGS-84 in and out), clipped to it, numbered row by row
    from the north-west. The cells tile the boundary: no gaps, no overlaps. A piece the clipping leaves under
    ``sliver_ratio`` of the target area is merged into its neighbour with the longest shared edge, so every
    cell is one a worker can walk (0 keeps every piece)."""
    if shape not in SHAPES:
        raise GeoError(f"unknown cell shape {shape!r}; use square or hex")
    if not cell_area_m2 > 0:
        raise GeoError("the cell area must be a positive number of square metres")
    if not 0 <= sliver_ratio < 1:
        raise GeoError("the sliver threshold is a share of the cell area, from 0 (keep every piece) to under 1")
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
    # on a 0.1 mm grid: neighbouring cells then share their edges exactly (a hexagon's corners are computed
    # cell by cell and would miss each other by a hair), so a merged cell is one polygon
    pieces = _pieces(shapely.set_precision(shapely.intersection(raw, metric), PRECISION_M))
    cells, merged = merge_slivers(pieces, sliver_ratio * cell_area_m2)
    areas = [c.area for c in cells]
    return Generated(cells=[from_metric(c, crs) for c in cells], merged=merged,
                     smallest_m2=min(areas, default=0.0), largest_m2=max(areas, default=0.0))


def generate_grid(boundary: shapely.Geometry, *, shape: str = "square", cell_area_m2: float = 10_000.0,
                  sliver_ratio: float = 0.2) -> list[shapely.Geometry]:
    """The cells of :func:`generate_cells` alone."""
    return generate_cells(boundary, shape=shape, cell_area_m2=cell_area_m2, sliver_ratio=sliver_ratio).cells
