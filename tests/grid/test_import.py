"""Importing the hierarchy from files with the CLI: one transaction, idempotent, clear errors."""

from __future__ import annotations

import json

import geopandas as gpd
import prcoords
import pytest
import shapely
from pyproj import Geod
from sqlalchemy import func, select

from geo.errors import GridFileError
from geo.loaders import read_grid_file
from grid.models import Area
from tests.support.city import city_features
from tests.support.cli import invoke
from web.settings import get_settings


def run(monkeypatch, database_url, *args):  # noqa: ANN001, ANN002, ANN201
    monkeypatch.setenv("GRIDOPS_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        return invoke(args)
    finally:
        get_settings.cache_clear()


def cells_file(tmp_path, name="cells.geojson", crs="EPSG:4326", driver="GeoJSON"):  # noqa: ANN001, ANN201
    feats = city_features()
    gdf = gpd.GeoDataFrame({"code": [f.code for f in feats], "name": [f.name for f in feats]},
                           geometry=[f.geometry for f in feats], crs="EPSG:4326").to_crs(crs)
    path = tmp_path / name
    gdf.to_file(path, driver=driver)
    return path


def areas(engine) -> dict[str, tuple[str, bool]]:  # noqa: ANN001
    with engine.connect() as conn:
        return {r.code: (r.level, r.derived) for r in conn.execute(select(Area.code, Area.level, Area.derived))}


def test_import_cells_is_idempotent_and_derives_parents(engine, database_url, monkeypatch, tmp_path):
    path = cells_file(tmp_path)
    first = run(monkeypatch, database_url, "grid", "import", path, "--level", "cell")
    assert first.exit_code == 0, first.output
    assert "12 added, 0 updated, 0 unchanged" in first.output
    got = areas(engine)
    assert len([c for c, (lvl, _) in got.items() if lvl == "cell"]) == 12
    assert got["310101001001"] == ("community", True) and got["310101"] == ("district", True)
    with engine.connect() as conn:
        before = conn.execute(select(func.max(Area.updated_at))).scalar_one()
    again = run(monkeypatch, database_url, "grid", "import", path, "--level", "cell")
    assert again.exit_code == 0 and "0 added, 0 updated, 12 unchanged" in again.output
    assert areas(engine) == got
    with engine.connect() as conn:
        assert conn.execute(select(func.max(Area.updated_at))).scalar_one() == before


def test_import_projected_geopackage(engine, database_url, monkeypatch, tmp_path):
    path = cells_file(tmp_path, "cells.gpkg", crs="EPSG:4549", driver="GPKG")  # CGCS2000 / 3-degree GK CM 120E
    result = run(monkeypatch, database_url, "grid", "import", path, "--level", "cell")
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        row = conn.execute(select(Area).where(Area.code == "310101001001001")).one()
    assert abs(row.min_lng - 121.480) < 1e-6 and abs(row.min_lat - 31.230) < 1e-6


def test_bad_files_write_nothing(engine, database_url, monkeypatch, tmp_path):
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [')
    result = run(monkeypatch, database_url, "grid", "import", broken)
    assert result.exit_code == 1 and "broken.geojson" in result.output
    path = cells_file(tmp_path)
    result = run(monkeypatch, database_url, "grid", "import", path, "--level", "community")
    assert result.exit_code == 1 and "12-digit community codes" in result.output
    data = json.loads(path.read_text())
    data["features"][5]["properties"]["code"] = "31010100100"  # one bad code among good ones
    bad = tmp_path / "one_bad.geojson"
    bad.write_text(json.dumps(data))
    result = run(monkeypatch, database_url, "grid", "import", bad, "--level", "cell")
    assert result.exit_code == 1 and "31010100100" in result.output
    assert areas(engine) == {}


def shifted_cells_file(tmp_path, forward, name="shifted.geojson"):  # noqa: ANN001, ANN201
    """The city's cells as digitised on AMap (forward=prcoords.wgs_gcj) or Baidu (prcoords.wgs_bd): every
    vertex shifted, in a plain GeoJSON file that declares no CRS (as those maps' exports do)."""
    def shift(coords):  # noqa: ANN001, ANN202
        return [[p.lon, p.lat] for p in (forward((lat, lng)) for lng, lat in coords.tolist())]

    features = [{"type": "Feature", "properties": {"code": f.code, "name": f.name},
                 "geometry": json.loads(shapely.to_geojson(shapely.transform(f.geometry, shift)))}
                for f in city_features()]
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def assert_on_wgs84_originals(got: dict[str, shapely.Geometry], metres: float = 1.0) -> None:
    """Every vertex of every cell within a metre of the WGS-84 original's (the shift is some 500 m)."""
    geod = Geod(ellps="WGS84")
    originals = {f.code: f.geometry for f in city_features()}
    assert set(got) == set(originals)
    for code, geom in got.items():
        want = shapely.get_coordinates(originals[code])
        have = shapely.get_coordinates(geom)
        assert len(have) == len(want), code
        for lng, lat in want:
            _, _, d = geod.inv([lng] * len(have), [lat] * len(have), have[:, 0], have[:, 1])
            assert min(d) < metres, (code, lng, lat, min(d))


@pytest.mark.parametrize(("crs", "forward"), [("gcj02", prcoords.wgs_gcj), ("GCJ-02", prcoords.wgs_gcj),
                                              ("bd09", prcoords.wgs_bd), ("bd-09", prcoords.wgs_bd)])
def test_read_grid_file_brings_amap_and_baidu_cells_back_to_wgs84(tmp_path, crs, forward):  # noqa: ANN001
    path = shifted_cells_file(tmp_path, forward)
    shifted = read_grid_file(path)  # read as WGS-84, the file is some 500 m off
    assert shapely.distance(shifted.features[0].geometry, city_features()[0].geometry) > 0.003
    loaded = read_grid_file(path, crs=crs)
    assert_on_wgs84_originals({f.code: f.geometry for f in loaded.features})
    assert loaded.repaired == [] and loaded.overlaps == []  # neighbours still share their edges


def test_import_cells_digitised_on_amap(engine, database_url, monkeypatch, tmp_path):
    path = shifted_cells_file(tmp_path, prcoords.wgs_gcj)
    result = run(monkeypatch, database_url, "grid", "import", path, "--level", "cell", "--crs", "gcj02")
    assert result.exit_code == 0, result.output
    assert "12 added, 0 updated, 0 unchanged" in result.output
    with engine.connect() as conn:
        rows = conn.execute(select(Area.code, Area.geometry).where(Area.level == "cell")).all()
    assert_on_wgs84_originals({code: shapely.from_geojson(geometry) for code, geometry in rows})


def test_unknown_crs_is_a_clear_error(engine, database_url, monkeypatch, tmp_path):
    path = cells_file(tmp_path)
    with pytest.raises(GridFileError, match=r"unknown CRS 'gcj2': .*EPSG:4549.* gcj02 / bd09"):
        read_grid_file(path, crs="gcj2")
    result = run(monkeypatch, database_url, "grid", "import", path, "--level", "cell", "--crs", "mars")
    output = " ".join(result.output.split())  # (the console wraps long lines)
    assert result.exit_code == 1 and "unknown CRS 'mars'" in output and "gcj02 / bd09" in output
    assert areas(engine) == {}
