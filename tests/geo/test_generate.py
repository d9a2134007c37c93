"""Generated grids tile the boundary with cells of the target area."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from geo.errors import GeoError
from geo.generate import generate_cells, generate_grid
from geo.metric import area_m2, to_metric

DISTRICT = Polygon([(121.465, 31.207), (121.497, 31.210), (121.501, 31.224), (121.488, 31.244), (121.466, 31.236)])


@pytest.mark.parametrize("shape", ["square", "hex"])
def test_cells_tile_the_boundary(shape):
    cells = generate_grid(DISTRICT, shape=shape, cell_area_m2=10_000)
    metric, crs = to_metric(DISTRICT)
    areas = np.array([to_metric(c, crs)[0].area for c in cells])
    assert areas.sum() == pytest.approx(metric.area, rel=1e-3)
    full = areas[areas > 9_900]
    assert len(full) > 0.7 * len(cells)
    assert full.mean() == pytest.approx(10_000, rel=0.01)
    tree = shapely.STRtree(cells)
    left, right = tree.query(np.array(cells, dtype=object), predicate="overlaps")
    overlap = sum(shapely.intersection(cells[i], cells[j]).area for i, j in zip(left, right, strict=True) if i < j)
    assert overlap * 1.2e10 < 1.0  # under a square metre in all
    assert all(c.geom_type in ("Polygon", "MultiPolygon") for c in cells)


def test_rows_run_from_the_north_west():
    cells = generate_grid(DISTRICT, shape="square", cell_area_m2=40_000)
    ys = [c.centroid.y for c in cells]
    assert ys[0] > ys[-1]  # the first row is the northmost
    first_row = [c for c in cells if abs(c.centroid.y - ys[0]) < 1e-4]
    assert [c.centroid.x for c in first_row] == sorted(c.centroid.x for c in first_row)  # west → east


def test_cell_area_is_respected_for_other_sizes():
    cells = generate_grid(DISTRICT, shape="hex", cell_area_m2=50_000, sliver_ratio=0)
    assert max(area_m2(c) for c in cells) == pytest.approx(50_000, rel=0.01)


# a community's outline as surveyors draw it: a river bay cut into its east side, a narrow neck, a jagged
# north edge, a spur to the south-west
IRREGULAR = Polygon([
    (121.4700, 31.2200), (121.4790, 31.2195), (121.4803, 31.2232), (121.4761, 31.2240), (121.4757, 31.2251),
    (121.4806, 31.2262), (121.4812, 31.2301), (121.4779, 31.2297), (121.4771, 31.2309), (121.4748, 31.2296),
    (121.4733, 31.2311), (121.4719, 31.2299), (121.4702, 31.2306), (121.4707, 31.2262), (121.4662, 31.2213),
    (121.4688, 31.2218),
])


@pytest.mark.parametrize("shape", ["square", "hex"])
def test_no_sliver_is_left_on_an_irregular_boundary(shape):
    target = 10_000
    kept = generate_cells(IRREGULAR, shape=shape, cell_area_m2=target, sliver_ratio=0)
    assert kept.smallest_m2 < 0.05 * target  # what the clipping alone leaves behind
    result = generate_cells(IRREGULAR, shape=shape, cell_area_m2=target)
    assert result.merged > 0
    assert result.smallest_m2 >= 0.2 * target
    assert all(c.geom_type == "Polygon" for c in result.cells)  # a merged cell is one piece
    metric, crs = to_metric(IRREGULAR)
    areas = [to_metric(c, crs)[0].area for c in result.cells]
    assert min(areas) >= 0.2 * target * 0.999
    assert sum(areas) == pytest.approx(metric.area, rel=1e-6)  # still tiles the outline
    tree = shapely.STRtree(result.cells)
    left, right = tree.query(np.array(result.cells, dtype=object), predicate="overlaps")
    assert sum(to_metric(shapely.intersection(result.cells[i], result.cells[j]), crs)[0].area
               for i, j in zip(left, right, strict=True) if i < j) < 0.01


def test_the_same_outline_gives_the_same_cells_in_the_same_order():
    a = generate_cells(IRREGULAR, shape="hex", cell_area_m2=8_000)
    b = generate_cells(IRREGULAR, shape="hex", cell_area_m2=8_000)
    assert [c.wkb for c in a.cells] == [c.wkb for c in b.cells]


def test_an_island_smaller_than_the_threshold_keeps_a_cell_of_its_own():
    island = Polygon([(121.4830, 31.2250), (121.4832, 31.2250), (121.4832, 31.2252), (121.4830, 31.2252)])
    result = generate_cells(IRREGULAR.union(island), shape="square", cell_area_m2=10_000)
    assert any(c.equals_exact(island, 1e-6) or c.symmetric_difference(island).area < 1e-12 for c in result.cells)


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"shape": "triangle"}, "square or hex"), ({"cell_area_m2": 0}, "positive"), ({"cell_area_m2": 0.01}, "million"),
    ({"sliver_ratio": 1}, "share of the cell area"), ({"sliver_ratio": -0.1}, "share of the cell area"),
])
def test_bad_parameters(kwargs, fragment):
    with pytest.raises(GeoError, match=fragment):
        generate_grid(DISTRICT, **kwargs)
