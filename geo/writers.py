"""Grid files out, in the formats ``geo.loaders`` reads: GeoJSON, zipped Shapefile, GeoPackage; WGS-84, with
the ``code`` and ``name`` fields. geopandas is imported only when a file is written."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from geo.errors import GridFileError
from geo.loaders import GridFeature

#: format → (GDAL driver, file suffix, media type)
FORMATS = {
    "geojson": ("GeoJSON", ".geojson", "application/geo+json"),
    "gpkg": ("GPKG", ".gpkg", "application/geopackage+sqlite3"),
    "shp": ("ESRI Shapefile", ".zip", "application/zip"),
}


def write_grid_file(features: list[GridFeature], *, fmt: str, name: str) -> bytes:
    """The features as one file of the format (a Shapefile's parts zipped together), layer ``name``."""
    import geopandas as gpd

    if fmt not in FORMATS:
        raise GridFileError(f"unknown format {fmt!r}; use {', '.join(FORMATS)}")
    driver, suffix, _ = FORMATS[fmt]
    frame = gpd.GeoDataFrame({"code": [f.code for f in features], "name": [f.name for f in features]},
                             geometry=[f.geometry for f in features], crs="EPSG:4326")
    with tempfile.TemporaryDirectory(prefix="gridops-export-") as tmp:
        if fmt == "shp":
            folder = Path(tmp) / name
            folder.mkdir()
            frame.to_file(folder / f"{name}.shp", driver=driver, engine="pyogrio", encoding="UTF-8")
            archive = Path(tmp) / f"{name}.zip"
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
                for part in sorted(folder.iterdir()):
                    out.write(part, part.name)
            return archive.read_bytes()
        path = Path(tmp) / f"{name}{suffix}"
        frame.to_file(path, driver=driver, layer=name, engine="pyogrio")
        return path.read_bytes()
