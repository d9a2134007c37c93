"""Grid files: formats, CRSs, repairs, overlaps and clear refusals."""

from __future__ import annotations

import json
import zipfile

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Point, Polygon, box

from geo.errors import GridFileError
from geo.loaders import read_grid_file

CELLS = [box(121.480 + i * 0.001, 31.230, 121.481 + i * 0.001, 31.231) for i in range(3)]
CODES = ["310101001001001", "310101001001002", "310101001001003"]


def frame(geoms=CELLS, codes=CODES, crs="EPSG:4326", **extra):  # noqa: ANN001, ANN003, ANN201
    data = {"code": codes, "name": [f"网格{str(c).split('.')[0][-3:]}" for c in codes], **extra}
    return gpd.GeoDataFrame(data, geometry=list(geoms), crs=crs)


def test_geojson(tmp_path):
    path = tmp_path / "cells.geojson"
    frame(area=[1.5, 2.5, 3.5]).to_file(path, driver="GeoJSON")
    result = read_grid_file(path)
    assert [f.code for f in result.features] == CODES
    assert result.features[0].name == "网格001" and result.features[0].properties == {"area": 1.5}
    assert result.features[0].geometry.equals(CELLS[0]) and not result.repaired and not result.overlaps


def test_zipped_shapefile_in_a_projected_crs(tmp_path):
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    frame().to_crs("EPSG:32651").to_file(shp_dir / "cells.shp")
    archive = tmp_path / "cells.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in shp_dir.iterdir():
            z.write(part, part.name)
    result = read_grid_file(archive)
    assert [f.code for f in result.features] == CODES
    assert result.features[1].geometry.bounds == pytest.approx(CELLS[1].bounds, abs=1e-7)


def test_geopackage_in_cgcs2000_gauss_kruger(tmp_path):
    path = tmp_path / "cells.gpkg"
    frame().to_crs("EPSG:4549").to_file(path, driver="GPKG")
    result = read_grid_file(path)
    assert result.features[2].geometry.bounds == pytest.approx(CELLS[2].bounds, abs=1e-7)


def test_numeric_codes_keep_their_digits(tmp_path):
    path = tmp_path / "cells.gpkg"
    frame(codes=[310101001001001.0, 310101001001002.0, 310101001001003.0]).to_file(path, driver="GPKG")
    assert [f.code for f in read_grid_file(path).features] == CODES


def test_bowtie_is_repaired_and_a_collapsed_ring_rejected(tmp_path):
    bowtie = Polygon([(121.480, 31.230), (121.481, 31.231), (121.481, 31.230), (121.480, 31.231)])
    path = tmp_path / "bowtie.geojson"
    frame(geoms=[bowtie, CELLS[1], CELLS[2]]).to_file(path, driver="GeoJSON")
    result = read_grid_file(path)
    assert result.repaired == [CODES[0]]
    assert result.features[0].geometry.is_valid and result.features[0].geometry.area > 0
    flat = Polygon([(121.480, 31.230), (121.481, 31.230), (121.482, 31.230)])
    path = tmp_path / "flat.geojson"
    frame(geoms=[CELLS[0], flat, CELLS[2]]).to_file(path, driver="GeoJSON")
    with pytest.raises(GridFileError, match=CODES[1]) as err:
        read_grid_file(path)
    assert err.value.feature_ids == [CODES[1]]


def test_overlaps_are_reported_with_their_area(tmp_path):
    shifted = box(121.4805, 31.230, 121.4815, 31.231)  # half over the first cell
    path = tmp_path / "overlap.geojson"
    frame(geoms=[CELLS[0], shifted, CELLS[2]]).to_file(path, driver="GeoJSON")
    (a, b, area), = read_grid_file(path).overlaps
    assert (a, b) == (CODES[0], CODES[1])
    assert area == pytest.approx(0.0005 * 95_270 * 0.001 * 110_850, rel=0.01)


def test_a_cell_inside_another_and_a_duplicated_cell_are_overlaps_too(tmp_path):
    inner = box(121.4802, 31.2302, 121.4806, 31.2306)  # wholly inside the first cell
    path = tmp_path / "nested.geojson"
    frame(geoms=[CELLS[0], inner, CELLS[0]]).to_file(path, driver="GeoJSON")
    found = {(a, b) for a, b, _ in read_grid_file(path).overlaps}
    assert found == {(CODES[0], CODES[1]), (CODES[0], CODES[2]), (CODES[1], CODES[2])}
    # neighbours that only share an edge are not reported
    path = tmp_path / "tiles.geojson"
    frame(geoms=CELLS[:3]).to_file(path, driver="GeoJSON")
    assert read_grid_file(path).overlaps == []


def test_wrong_crs_is_refused(tmp_path):
    path = tmp_path / "liar.gpkg"
    frame().to_crs("EPSG:32651").set_crs("EPSG:4326", allow_override=True).to_file(path, driver="GPKG")
    with pytest.raises(GridFileError, match="CRS is probably wrong"):
        read_grid_file(path)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_shapefile_without_crs_needs_one(tmp_path):
    frame().to_crs("EPSG:32651").set_crs(None, allow_override=True).to_file(tmp_path / "bare.shp")
    with pytest.raises(GridFileError, match="--crs"):
        read_grid_file(tmp_path / "bare.shp")
    result = read_grid_file(tmp_path / "bare.shp", crs="EPSG:32651")
    assert result.features[0].geometry.bounds == pytest.approx(CELLS[0].bounds, abs=1e-7)


def test_missing_fields_duplicates_points_and_garbage(tmp_path):
    path = tmp_path / "cells.geojson"
    frame().to_file(path, driver="GeoJSON")
    with pytest.raises(GridFileError, match="its fields are: code, name"):
        read_grid_file(path, code_field="BM")
    dupes = tmp_path / "dupes.geojson"
    frame(codes=[CODES[0], CODES[0], CODES[2]]).to_file(dupes, driver="GeoJSON")
    with pytest.raises(GridFileError, match=f"duplicate codes in dupes.geojson: {CODES[0]}"):
        read_grid_file(dupes)
    points = tmp_path / "points.geojson"
    frame(geoms=[Point(121.48, 31.23), CELLS[1], CELLS[2]]).to_file(points, driver="GeoJSON")
    with pytest.raises(GridFileError, match="non-polygon"):
        read_grid_file(points)
    garbage = tmp_path / "garbage.geojson"
    garbage.write_text("this is not GeoJSON")
    with pytest.raises(GridFileError, match="cannot read garbage.geojson"):
        read_grid_file(garbage)
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(GridFileError):
        read_grid_file(empty)


def test_a_feature_without_a_code_is_named_not_read_as_nan(tmp_path):
    """Issue 11, defect 7: a feature whose code was null or missing was reported with the code "nan"."""
    path = tmp_path / "holes.geojson"
    features = [{"type": "Feature", "geometry": shapely.geometry.mapping(g), "properties": p}
                for g, p in zip(CELLS, [{"code": CODES[0], "name": "网格001"}, {"code": None, "name": "网格002"},
                                        {"name": "网格003"}], strict=True)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
    with pytest.raises(GridFileError) as raised:
        read_grid_file(path)
    message = str(raised.value)
    assert "nan" not in message and "2 feature(s)" in message
    assert "#2 (网格002)" in message and "#3 (网格003)" in message
