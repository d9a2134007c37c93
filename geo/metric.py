"""Metres: a local metric projection (the UTM zone of a point) for areas, distances and grid layout."""

from __future__ import annotations

from functools import lru_cache

import shapely
from pyproj import CRS, Geod, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info

WGS84 = CRS.from_epsg(4326)
_GEOD = Geod(ellps="WGS84")


@lru_cache(maxsize=64)
def _utm_epsg(zone_lng: int, zone_lat: int) -> int:
    infos = query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=AreaOfInterest(zone_lng, zone_lat, zone_lng + 0.001, zone_lat + 0.001),
    )
    return int(infos[0].code)


def local_metric_crs(lng: float, lat: float) -> CRS:
    """The WGS-84 UTM zone containing the point."""
    return CRS.from_epsg(_utm_epsg(int(lng // 1), int(lat // 1)))


@lru_cache(maxsize=64)
def _transformers(epsg: int) -> tuple[Transformer, Transformer]:
    crs = CRS.from_epsg(epsg)
    return (Transformer.from_crs(WGS84, crs, always_xy=True), Transformer.from_crs(crs, WGS84, always_xy=True))


def _crs_for(geom: shapely.Geometry) -> CRS:
    c = geom.centroid if not geom.is_empty else shapely.Point(0, 0)
    return local_metric_crs(c.x, c.y)


def to_metric(geom: shapely.Geometry, crs: CRS | None = None) -> tuple[shapely.Geometry, CRS]:
    crs = crs or _crs_for(geom)
    forward, _ = _transformers(crs.to_epsg())
    return shapely.transform(geom, lambda xy: _apply(forward, xy)), crs


def from_metric(geom: shapely.Geometry, crs: CRS) -> shapely.Geometry:
    _, back = _transformers(crs.to_epsg())
    return shapely.transform(geom, lambda xy: _apply(back, xy))


def _apply(transformer: Transformer, xy):  # noqa: ANN001, ANN202
    import numpy as np

    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def area_m2(geom: shapely.Geometry) -> float:
    return float(to_metric(geom)[0].area)


def distance_m(a: shapely.Geometry, b: shapely.Geometry) -> float:
    crs = _crs_for(a)
    return float(to_metric(a, crs)[0].distance(to_metric(b, crs)[0]))


def geodesic_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """The distance in metres between two WGS-84 points along the ellipsoid (a few µs: for many points, where
    ``distance_m``'s projection of two geometries would cost a fifth of a millisecond each)."""
    return float(_GEOD.inv(lng1, lat1, lng2, lat2)[2])
