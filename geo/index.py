"""Point → cell: an STRtree over the cell polygons, queried with GEOS's prepared predicates.

Edge rule: a point covered by several cells — on an edge or vertex they share, or inside an overlap —
belongs to the cell with the lexicographically smallest code. The cells are sorted by code when the
index is built, so "smallest code" is "smallest tree index", whatever order the cells came in.
Points covered by no cell are outside the managed area (``None`` / ``-1``).

Batches go faster through a lattice of small buckets laid over the cells (built on first use): a
bucket lying strictly inside one cell and touching no other answers its points directly; a bucket
touching no cell answers "outside"; only points in buckets that an edge crosses take the exact tree
query. Buckets are classified with a margin of ``EPSILON`` degrees, so a point that rounding puts in
the neighbouring bucket still gets the exact answer."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from shapely import STRtree

from geo.metric import distance_m

OUTSIDE = -1
AMBIGUOUS = -2
EPSILON = 1e-9  # degrees, about 0.1 mm
BUCKETS_PER_CELL = 16
MAX_BUCKETS = 4_000_000


class CellIndex:
    def __init__(self, codes: Sequence[str], polygons: Sequence[shapely.Geometry]) -> None:
        if len(codes) != len(polygons):
            raise ValueError("codes and polygons differ in length")
        order = sorted(range(len(codes)), key=lambda i: codes[i])
        self._codes = np.array([codes[i] for i in order], dtype=object)
        self._geoms = np.array([polygons[i] for i in order], dtype=object)
        self._position = {code: i for i, code in enumerate(self._codes)}
        shapely.prepare(self._geoms)
        self._tree = STRtree(self._geoms)
        self._lattice: tuple[float, float, float, int, int, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self._codes)

    @property
    def codes(self) -> np.ndarray:
        return self._codes

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return tuple(shapely.total_bounds(self._geoms)) if len(self) else (0.0, 0.0, 0.0, 0.0)

    def geometry(self, code: str) -> shapely.Geometry:
        return self._geoms[self._position[code]]

    def locate(self, lng: float, lat: float) -> str | None:
        hits = self._tree.query(shapely.Point(lng, lat), predicate="intersects")
        return self._codes[hits.min()] if hits.size else None

    def locate_many(self, lngs: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Indices into ``codes`` (-1 outside) for many points, with no Python loop per point."""
        xs, ys = np.asarray(lngs, dtype=float), np.asarray(lats, dtype=float)
        out = np.full(len(xs), OUTSIDE, dtype=np.int64)
        if not len(xs) or not len(self):
            return out
        x0, y0, width, nx, ny, lut = self._lattice or self._build_lattice()
        ix = np.floor((xs - x0) / width)
        iy = np.floor((ys - y0) / width)
        inside = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)  # NaN compares False: outside
        out[inside] = lut[iy[inside].astype(np.int64) * nx + ix[inside].astype(np.int64)]
        unsure = np.flatnonzero(out == AMBIGUOUS)
        if unsure.size:
            out[unsure] = self._exact(xs[unsure], ys[unsure])
        return out

    def _exact(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        out = np.full(len(xs), OUTSIDE, dtype=np.int64)
        point_idx, cell_idx = self._tree.query(shapely.points(xs, ys), predicate="intersects")
        if not point_idx.size:
            return out
        if point_idx.size > 1 and np.any(point_idx[1:] < point_idx[:-1]):
            order = np.argsort(point_idx, kind="stable")
            point_idx, cell_idx = point_idx[order], cell_idx[order]
        starts = np.flatnonzero(np.r_[True, point_idx[1:] != point_idx[:-1]])
        out[point_idx[starts]] = np.minimum.reduceat(cell_idx, starts)
        return out

    def _build_lattice(self) -> tuple[float, float, float, int, int, np.ndarray]:
        minx, miny, maxx, maxy = self.bounds
        span_x, span_y = max(maxx - minx, EPSILON), max(maxy - miny, EPSILON)
        buckets = min(MAX_BUCKETS, BUCKETS_PER_CELL * len(self))
        width = max(np.sqrt(span_x * span_y / buckets), EPSILON * 10)
        nx, ny = int(span_x // width) + 2, int(span_y // width) + 2
        x0, y0 = minx - width / 2, miny - width / 2
        lut = np.full(nx * ny, AMBIGUOUS, dtype=np.int64)
        for start in range(0, nx * ny, 250_000):  # in chunks: the temporary boxes stay small
            ids = np.arange(start, min(start + 250_000, nx * ny))
            bx, by = x0 + (ids % nx) * width, y0 + (ids // nx) * width
            boxes = shapely.box(bx - EPSILON, by - EPSILON, bx + width + EPSILON, by + width + EPSILON)
            bucket_idx, cell_idx = self._tree.query(boxes, predicate="intersects")
            counts = np.bincount(bucket_idx, minlength=len(boxes))
            lut[ids[counts == 0]] = OUTSIDE
            single = np.flatnonzero(counts[bucket_idx] == 1)
            b, c = bucket_idx[single], cell_idx[single]
            clean = shapely.contains_properly(self._geoms[c], boxes[b])
            lut[ids[b[clean]]] = c[clean]
        self._lattice = (x0, y0, width, nx, ny, lut)
        return self._lattice

    def nearest(self, lng: float, lat: float) -> tuple[str, float]:
        """The nearest cell and its distance in metres (computed in a local metric projection; the
        tree's degree distance only picks the candidates)."""
        point = shapely.Point(lng, lat)
        first = self._tree.query_nearest(point, return_distance=True)
        degrees = float(first[1][0])
        candidates = self._tree.query(point, predicate="dwithin", distance=degrees * 1.5 + 1e-9)
        if not candidates.size:
            candidates = first[0]
        best = min(candidates, key=lambda i: (distance_m(point, self._geoms[i]), self._codes[i]))
        return self._codes[best], distance_m(point, self._geoms[best])
