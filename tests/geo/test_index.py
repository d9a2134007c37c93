"""Point → cell on generated grids (hypothesis), shared edges and vertices included."""

from __future__ import annotations

import random

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, box

from geo.generate import generate_grid
from geo.index import CellIndex

BOUNDARY = Polygon([(121.470, 31.220), (121.486, 31.221), (121.489, 31.232), (121.476, 31.236), (121.468, 31.229)])


def build(shape: str, shuffle_seed: int | None = None) -> tuple[CellIndex, list[str], list]:
    cells = generate_grid(BOUNDARY, shape=shape, cell_area_m2=20_000)
    codes = [f"310101001001{i:03d}" for i in range(len(cells))]
    pairs = list(zip(codes, cells, strict=True))
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(pairs)
    return CellIndex([c for c, _ in pairs], [g for _, g in pairs]), codes, cells


GRIDS = {shape: build(shape) for shape in ("square", "hex")}
SHUFFLED = {shape: build(shape, shuffle_seed=7)[0] for shape in ("square", "hex")}
MINX, MINY, MAXX, MAXY = BOUNDARY.bounds


def covering(codes: list[str], cells: list, x: float, y: float) -> list[str]:
    p = shapely.Point(x, y)
    return sorted(c for c, g in zip(codes, cells, strict=True) if g.covers(p))


@settings(max_examples=300, deadline=None)
@given(shape=st.sampled_from(["square", "hex"]), x=st.floats(MINX - 0.002, MAXX + 0.002),
       y=st.floats(MINY - 0.002, MAXY + 0.002))
def test_random_points_land_in_the_smallest_covering_cell(shape, x, y):
    index, codes, cells = GRIDS[shape]
    expected = covering(codes, cells, x, y)
    got = index.locate(x, y)
    assert got == (expected[0] if expected else None)
    assert SHUFFLED[shape].locate(x, y) == got
    batch = index.locate_many(np.array([x]), np.array([y]))[0]
    assert (index.codes[batch] if batch >= 0 else None) == got


@settings(max_examples=200, deadline=None)
@given(shape=st.sampled_from(["square", "hex"]), data=st.data())
def test_vertices_and_edges_go_to_one_cell_every_time(shape, data):
    index, codes, cells = GRIDS[shape]
    i = data.draw(st.integers(0, len(cells) - 1))
    ring = np.asarray(shapely.get_exterior_ring(shapely.get_parts(cells[i])[0]).coords)
    k = data.draw(st.integers(0, len(ring) - 2))
    t = data.draw(st.sampled_from([0.0, 0.5, 0.25]))  # a vertex, or a point along an edge
    x, y = ring[k] + t * (ring[k + 1] - ring[k])
    expected = covering(codes, cells, x, y)
    if not expected:  # float rounding put the interpolated point a hair outside every cell
        return
    assert index.locate(x, y) == expected[0]
    assert SHUFFLED[shape].locate(x, y) == expected[0]
    assert index.codes[index.locate_many(np.array([x]), np.array([y]))[0]] == expected[0]


def test_shared_edge_of_two_squares_goes_to_the_smaller_code():
    left, right = box(0, 0, 1, 1), box(1, 0, 2, 1)
    for codes in (["b", "a"], ["a", "b"]):
        index = CellIndex(codes, [left, right])
        smaller = index.locate(1.0, 0.5)
        assert smaller == "a"
        assert index.codes[index.locate_many(np.array([1.0, 1.0]), np.array([0.5, 0.0]))].tolist() == ["a", "a"]
    assert CellIndex(["a"], [left]).locate(1.0000001, 0.5) is None


def test_batch_agrees_with_single_points_on_a_large_sample():
    index, _, _ = GRIDS["hex"]
    rng = np.random.default_rng(3)
    xs, ys = rng.uniform(MINX - 0.001, MAXX + 0.001, 20_000), rng.uniform(MINY - 0.001, MAXY + 0.001, 20_000)
    found = index.locate_many(xs, ys)
    singles = [index.locate(x, y) for x, y in zip(xs, ys, strict=True)]
    assert [index.codes[f] if f >= 0 else None for f in found] == singles
    assert (found < 0).any() and (found >= 0).mean() > 0.5


def test_nearest_cell_distance_in_metres():
    index = CellIndex(["a"], [box(121.48, 31.23, 121.481, 31.231)])
    code, metres = index.nearest(121.482, 31.2305)  # 0.001° of longitude east at 31.23° N
    assert code == "a" and metres == pytest.approx(95.3, abs=1.0)
    assert index.locate_many(np.array([np.nan]), np.array([31.23]))[0] == -1
