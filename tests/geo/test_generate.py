"""Generated grids tile the boundary with cells of the target area."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from geo.errors import GeoError
from geo.generate import generate_grid
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


def test_rows_run_south_to_north():
    cells = generate_grid(DISTRICT, shape="square", cell_area_m2=40_000)
    ys = [c.centroid.y for c in cells]
    assert ys[0] < ys[-1]


def test_cell_area_is_respected_for_other_sizes():
    cells = generate_grid(DISTRICT, shape="hex", cell_area_m2=50_000)
    assert max(area_m2(c) for c in cells) == pytest.approx(50_000, rel=0.01)


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"shape": "triangle"}, "square or hex"), ({"cell_area_m2": 0}, "positive"), ({"cell_area_m2": 0.01}, "million"),
])
def test_bad_parameters(kwargs, fragment):
    with pytest.raises(GeoError, match=fragment):
        generate_grid(DISTRICT, **kwargs)
