"""Grid files in, WGS-84 polygons out: GeoJSON, zipped Shapefile, Shapefile, GeoPackage, any CRS.

geopandas reads through pyogrio and reprojects with pyproj; coordinates digitised on AMap (GCJ-02) or Baidu
(BD-09) maps are brought back with prcoords' precise inverses, vertex by vertex. Invalid geometry is repaired with
``make_valid`` when the result is still an areal polygon, else the file is rejected naming the
features. Overlapping cells are reported with the overlap area in m² (a warning, not a rejection).

``load_grid_file`` is the lenient reader for a preview: a feature it cannot use (no code, a code twice, no
usable polygon) is refused with its reason and the rest is read; every repair says what was wrong, where, and
the area before → after (``geo.repair``); overlaps can be cut (the earlier feature keeps the shared part).
``read_grid_file`` is the strict one (the CLI): any refused feature refuses the file."""

from __future__ import annotations

import warnings
from collections.abc import Callable
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
from geo.repair import Repair, clip_overlaps, repair

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


@dataclass(frozen=True)
class Refusal:
    """A feature of the file that will not be imported, and why. ``kind``: no_code, duplicate_code, no_geometry,
    not_polygon, unrepairable, covered (wholly inside earlier features, when overlaps are cut) or bad_code (for
    the level: ``grid``'s judgement)."""

    feature: int  # its number in the file, from 1
    code: str
    name: str
    kind: str
    reason: str
    geometry: shapely.Geometry | None = None


OVERLAP_MODES = ("report", "refuse", "clip")


@dataclass
class LoadResult:
    features: list[GridFeature]
    repairs: list[Repair] = field(default_factory=list)
    overlaps: list[tuple[str, str, float]] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    numbers: dict[str, int] = field(default_factory=dict)  # a feature's code → its number in the file

    @property
    def repaired(self) -> list[str]:
        return [r.code for r in self.repairs]


def _listing(codes: list[str], limit: int = 20) -> str:
    return ", ".join(codes[:limit]) + (f" … ({len(codes)} in all)" if len(codes) > limit else "")


def _codes(series) -> list[str]:  # noqa: ANN001
    if series.dtype.kind == "f":
        return ["" if np.isnan(v) else format(int(v)) if float(v).is_integer() else str(v) for v in series]
    import pandas as pd  # (loaded with geopandas, when a file is read)

    # a feature without the property, or with null, reads as None, NaN or pd.NA: no code, not "nan"
    return ["" if v is None or pd.isna(v) else str(v).strip() for v in series]


def _read(path: Path, layer: str | None) -> tuple[gpd.GeoDataFrame, set[int]]:
    """The file's features, and the positions of those with a ring the file left open (the reader closes
    them; GEOS refuses to build such a ring, so they are found by reading the raw geometry again)."""
    import geopandas as gpd
    import pyogrio.raw

    source = f"/vsizip/{path}" if path.suffix.lower() == ".zip" else str(path)
    try:
        with warnings.catch_warnings():  # GDAL warns of each unclosed ring; they are reported as repairs
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                return gpd.read_file(source, layer=layer, engine="pyogrio"), set()
            except shapely.errors.GEOSException as exc:
                if "closed linestring" not in str(exc):
                    raise
                frame = gpd.read_file(source, layer=layer, engine="pyogrio", on_invalid="fix")
                raw = pyogrio.raw.read(source, layer=layer, read_geometry=True, columns=[])[2]
        unclosed = {int(i) for i in np.flatnonzero(shapely.from_wkb(raw, on_invalid="ignore") == None)  # noqa: E711
                    if raw[i] is not None}
        return frame, unclosed
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


def load_grid_file(
    path: str | Path, *, code_field: str = "code", name_field: str = "name", crs: str | None = None,
    layer: str | None = None, overlaps: str = "report", code_check: Callable[[str], str | None] | None = None,
) -> LoadResult:
    """Every usable feature of a grid file in WGS-84, repaired where it can be, and the refused ones with
    their reasons. ``overlaps``: report (listed only), refuse (listed; ``grid`` refuses the file) or clip
    (each feature loses what it shares with features before it in the file). A file that cannot be read at
    all, has no such fields or the wrong coordinate system raises GridFileError. ``code_check`` says what is
    wrong with a code (None: nothing), for a feature to be refused with it before anything else is done."""
    if overlaps not in OVERLAP_MODES:
        raise GridFileError(f"unknown overlap handling {overlaps!r}; use {', '.join(OVERLAP_MODES)}")
    path = Path(path)
    gdf, unclosed = _read(path, layer)
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
    count: dict[str, int] = {}
    for code in codes:
        count[code] = count.get(code, 0) + 1
    others = [c for c in gdf.columns if c not in (gdf.geometry.name, code_field, name_field)]
    refused: list[Refusal] = []
    repairs: list[Repair] = []
    kept: list[tuple[int, GridFeature]] = []
    for i, geom in enumerate(gdf.geometry):
        number, code, name = i + 1, codes[i], names[i]

        def refuse(kind: str, reason: str, shape: shapely.Geometry | None = geom) -> None:
            refused.append(Refusal(number, code, name, kind, reason, shape))  # noqa: B023

        if not code:
            refuse("no_code", f"feature #{number} ({name or 'no name'}) has no {code_field!r}: give it its area code")
        elif code_check is not None and (wrong := code_check(code)):
            refuse("bad_code", wrong)
        elif count[code] > 1:
            refuse("duplicate_code", f"the code {code} appears {count[code]} times in the file: every area once")
        elif geom is None or geom.is_empty:
            refuse("no_geometry", f"{code} has no geometry", None)
        elif geom.geom_type not in ("Polygon", "MultiPolygon"):
            refuse("not_polygon", f"{code} is a {geom.geom_type}, not a polygon")
        else:
            fixed, made = repair(number, code, shapely.force_2d(geom), unclosed=i in unclosed)
            if fixed is None:
                refuse("unrepairable", f"{code}: {shapely.is_valid_reason(geom)}; nothing with an area is left "
                                       "after repairing it: redraw it")
                continue
            if made is not None:
                repairs.append(made)
            props = {k: (v.item() if hasattr(v, "item") else v) for k, v in gdf.iloc[i][others].items()}
            kept.append((number, GridFeature(code, name or code, fixed, props)))
    features = [f for _, f in kept]
    found = find_overlaps(features) if features else []
    if overlaps == "clip" and found:
        cut, clipped = clip_overlaps([n for n, _ in kept], [f.code for f in features], [f.geometry for f in features],
                                     OVERLAP_TOLERANCE_M2)
        repairs += clipped
        for (number, feature), geom in zip(kept, cut, strict=True):
            if geom is None:
                refused.append(Refusal(number, feature.code, feature.name, "covered", f"{feature.code} lies wholly "
                                       "inside features before it in the file: nothing is left after the overlaps "
                                       "are cut", feature.geometry))
            feature.geometry = geom
        kept = [(n, f) for n, f in kept if f.geometry is not None]
        features = [f for _, f in kept]
    refused.sort(key=lambda r: r.feature)
    return LoadResult(features, repairs, found, refused, {f.code: n for n, f in kept})


def read_grid_file(
    path: str | Path, *, code_field: str = "code", name_field: str = "name", crs: str | None = None,
    layer: str | None = None, overlaps: str = "report",
) -> LoadResult:
    """The whole file or nothing: any feature that cannot be imported refuses the file, naming them all
    (and so do overlaps, with ``overlaps="refuse"``)."""
    path = Path(path)
    loaded = load_grid_file(path, code_field=code_field, name_field=name_field, crs=crs, layer=layer,
                            overlaps=overlaps)
    blank = [r for r in loaded.refused if r.kind == "no_code"]
    if blank:
        which = [f"#{r.feature} ({r.name})" if r.name else f"#{r.feature} (no name)" for r in blank]
        raise GridFileError(f"{len(blank)} feature(s) have no {code_field!r} (feature number and name: "
                            f"{_listing(which)}); give every feature its cell code",
                            feature_ids=[str(r.feature) for r in blank])
    dupes = sorted({r.code for r in loaded.refused if r.kind == "duplicate_code"})
    if dupes:
        raise GridFileError(f"duplicate codes in {path.name}: {_listing(dupes)}", feature_ids=dupes)
    rejected = [r.code for r in loaded.refused]
    if rejected:
        raise GridFileError(
            f"{len(rejected)} feature(s) in {path.name} have missing, non-polygon or unrepairable geometry: "
            f"{_listing(rejected)}", feature_ids=rejected)
    if overlaps == "refuse" and loaded.overlaps:
        pairs = [f"{a} and {b} ({area:,.1f} m²)" for a, b, area in loaded.overlaps]
        raise GridFileError(f"{len(pairs)} overlap(s) in {path.name}: {_listing(pairs)}; fix the file, or cut them "
                            "(the earlier feature keeps the shared part)",
                            feature_ids=sorted({c for a, b, _ in loaded.overlaps for c in (a, b)}))
    return loaded


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


SAME_TOLERANCE_DEG = 1e-8  # about a millimetre


def same_geometry(a: shapely.Geometry, b: shapely.Geometry) -> bool:
    """The same outline within about a millimetre: a file written and read back may start its rings at
    another vertex, turn them the other way, hold a polygon as a one-part multipolygon or round the last
    digit, and is still the same grid."""
    return bool(shapely.hausdorff_distance(a, b) <= SAME_TOLERANCE_DEG)
