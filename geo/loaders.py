"""Grid files in, WGS-84 polygons out: GeoJSON, zipped Shapefile, Shapefile, GeoPackage, any CRS.

geopandas reads through pyogrio and reprojects with pyproj; coordinates digitised on AMap (GCJ-02) or Baidu
(BD-09) maps are brought back with prcoords' precise inverses, vertex by vertex. Invalid geometry is repaired with
``make_valid`` when the result is still an areal polygon, else the file is rejected naming the
features. Overlapping cells are reported with the overlap area in m² (a warning, not a rejection)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import prcoords
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from geo.crs import ALIASES
from geo.errors import GridFileError
from geo.metric import to_metric

if TYPE_CHECKING:  # geopandas (with pandas and pyogrio) costs 1.5 s to import: only when a file is read
    import geopandas as gpd

OVERLAP_TOLERANCE_M2 = 0.5
GEOJSON_SUFFIXES = {".geojson", ".json"}


@dataclass
class GridFeature:
    code: str
    name: str
    geometry: shapely.Geometry
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class LoadResult:
    features: list[GridFeature]
    repaired: list[str] = field(default_factory=list)
    overlaps: list[tuple[str, str, float]] = field(default_factory=list)


def _listing(codes: list[str], limit: int = 20) -> str:
    return ", ".join(codes[:limit]) + (f" … ({len(codes)} in all)" if len(codes) > limit else "")


def _codes(series) -> list[str]:  # noqa: ANN001
    if series.dtype.kind == "f":
        return ["" if np.isnan(v) else format(int(v)) if float(v).is_integer() else str(v) for v in series]
    import pandas as pd  # (loaded with geopandas, when a file is read)

    # a feature without the property, or with null, reads as None, NaN or pd.NA: no code, not "nan"
    return ["" if v is None or pd.isna(v) else str(v).strip() for v in series]


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else None


def _read(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    import geopandas as gpd

    source = f"/vsizip/{path}" if path.suffix.lower() == ".zip" else str(path)
    try:
        return gpd.read_file(source, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several types for unreadable files; all mean the same here
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise GridFileError(f"cannot read {path.name}: {reason}. Is it GeoJSON, a zipped Shapefile or a "
                            "GeoPackage?") from None


# the map SDKs' shifted longitude/latitude (geo.crs.ALIASES) → prcoords' precise inverse and its name
_SHIFTED = {"gcj02": (prcoords.gcj_wgs_bored, "GCJ-02 (AMap)"), "bd09": (prcoords.bd_wgs_bored, "BD-09 (Baidu)")}


def _shifted_system(crs: str | None) -> str | None:
    """gcj02 or bd09 when --crs names one of them (by any of geo.crs's aliases), else None."""
    system = ALIASES.get((crs or "").strip().lower())
    return system if system in _SHIFTED else None


def _unshift(system: str):  # noqa: ANN202
    """For shapely.transform: an (N, 2) array of GCJ-02 / BD-09 lng, lat → the same in WGS-84."""
    inverse = _SHIFTED[system][0]

    def to_wgs84(coords: np.ndarray) -> np.ndarray:
        out = np.empty_like(coords)
        with warnings.catch_warnings():  # prcoords warns per vertex outside China (and shifts it all the same)
            warnings.simplefilter("ignore")
            for i, (lng, lat) in enumerate(coords.tolist()):
                wgs = inverse((lat, lng))
                out[i, 0], out[i, 1] = wgs.lon, wgs.lat
        return out

    return to_wgs84


def _check_lnglat(gdf: gpd.GeoDataFrame, path: Path, described: str) -> None:
    minx, miny, maxx, maxy = gdf.total_bounds
    if not (np.isfinite([minx, miny, maxx, maxy]).all() and -180 <= minx <= maxx <= 180
            and -90 <= miny <= maxy <= 90):
        raise GridFileError(f"{path.name}: coordinates fall outside longitude/latitude range after reading it as "
                            f"{described}; the file's CRS is probably wrong — pass the right one with --crs")


def _to_wgs84(gdf: gpd.GeoDataFrame, path: Path, crs: str | None) -> gpd.GeoDataFrame:
    shifted = _shifted_system(crs)
    if shifted:  # longitude/latitude on AMap's or Baidu's maps, whatever the file declares
        gdf = gdf.set_crs(4326, allow_override=True)
        _check_lnglat(gdf, path, _SHIFTED[shifted][1])
        geometry = shapely.transform(np.asarray(gdf.geometry.array), _unshift(shifted))
        gdf = gdf.set_geometry(geometry, crs=4326)
        _check_lnglat(gdf, path, _SHIFTED[shifted][1])
        return gdf
    try:
        if crs:
            gdf = gdf.set_crs(CRS.from_user_input(crs), allow_override=True)
    except CRSError:
        raise GridFileError(f"unknown CRS {crs!r}: give an EPSG code such as EPSG:4549, or gcj02 / bd09 for "
                            "data digitised on AMap / Baidu maps") from None
    if gdf.crs is None:
        if path.suffix.lower() not in GEOJSON_SUFFIXES:
            raise GridFileError(f"{path.name} does not say which coordinate system it uses; pass --crs "
                                "(e.g. --crs EPSG:4549 for CGCS2000 / 3-degree Gauss-Kruger zone 40)")
        gdf = gdf.set_crs(4326)  # RFC 7946: GeoJSON is WGS-84
    if gdf.crs.to_epsg() == 4490:  # CGCS2000 geographic: treated as WGS-84
        gdf = gdf.set_crs(4326, allow_override=True)
    elif gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    _check_lnglat(gdf, path, gdf.crs.name if gdf.crs else "WGS-84")
    return gdf


def read_grid_file(
    path: str | Path, *, code_field: str = "code", name_field: str = "name", crs: str | None = None,
    layer: str | None = None,
) -> LoadResult:
    path = Path(path)
    gdf = _read(path, layer)
    if gdf.empty:
        raise GridFileError(f"{path.name} holds no features")
    missing = [f for f in (code_field, name_field) if f not in gdf.columns]
    if missing:
        fields = ", ".join(c for c in gdf.columns if c != gdf.geometry.name)
        raise GridFileError(f"{path.name} has no field {' or '.join(map(repr, missing))}; its fields are: {fields}. "
                            "Name the right ones with --code-field / --name-field")
    gdf = _to_wgs84(gdf, path, crs)
    codes = _codes(gdf[code_field])
    names = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip() for v in gdf[name_field]]
    blank = [str(i + 1) for i, c in enumerate(codes) if not c]
    if blank:
        which = [f"#{i} ({names[int(i) - 1]})" if names[int(i) - 1] else f"#{i} (no name)" for i in blank]
        raise GridFileError(f"{len(blank)} feature(s) have no {code_field!r} (feature number and name: "
                            f"{_listing(which)}); give every feature its cell code", feature_ids=blank)
    seen: dict[str, int] = {}
    for code in codes:
        seen[code] = seen.get(code, 0) + 1
    dupes = sorted(c for c, n in seen.items() if n > 1)
    if dupes:
        raise GridFileError(f"duplicate codes in {path.name}: {_listing(dupes)}", feature_ids=dupes)

    features: list[GridFeature] = []
    repaired: list[str] = []
    rejected: list[str] = []
    others = [c for c in gdf.columns if c not in (gdf.geometry.name, code_field, name_field)]
    for i, geom in enumerate(gdf.geometry):
        code = codes[i]
        if geom is None or geom.is_empty:
            rejected.append(code)
            continue
        if not geom.is_valid:
            fixed = _polygonal(shapely.make_valid(geom))
            if fixed is None or fixed.is_empty or fixed.area == 0:
                rejected.append(code)
                continue
            geom = fixed
            repaired.append(code)
        elif geom.geom_type not in ("Polygon", "MultiPolygon"):
            rejected.append(code)
            continue
        props = {k: (v.item() if hasattr(v, "item") else v) for k, v in gdf.iloc[i][others].items()}
        features.append(GridFeature(code, names[i] or code, shapely.force_2d(geom), props))
    if rejected:
        raise GridFileError(
            f"{len(rejected)} feature(s) in {path.name} have missing, non-polygon or unrepairable geometry: "
            f"{_listing(rejected)}", feature_ids=rejected)
    return LoadResult(features, repaired, find_overlaps(features))


def find_overlaps(features: list[GridFeature]) -> list[tuple[str, str, float]]:
    """Pairs of features whose interiors overlap by more than half a square metre, with the area: partial
    overlaps, one cell inside another and duplicated cells alike (neighbours sharing an edge are not)."""
    geoms = np.array([f.geometry for f in features], dtype=object)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if not len(left):
        return []
    # a rough area in m² first, vectorised (neighbours sharing an edge give 0 or a float sliver), then the
    # exact one in a local metric projection for what may pass the tolerance
    shared = shapely.intersection(geoms[left], geoms[right])
    lat = np.radians(shapely.get_y(shapely.centroid(shared)))
    rough = shapely.area(shared) * 111_320.0 * 110_574.0 * np.cos(np.nan_to_num(lat))
    candidates = np.flatnonzero(rough > OVERLAP_TOLERANCE_M2 / 2)
    found = []
    for k in candidates:
        area = to_metric(shared[k])[0].area
        if area > OVERLAP_TOLERANCE_M2:
            found.append((features[left[k]].code, features[right[k]].code, round(float(area), 1)))
    return sorted(found)
