"""Coordinate systems of phones and Chinese map SDKs, converted to WGS-84 for storage.

Phones report WGS-84. AMap and Tencent use GCJ-02, Baidu BD-09; prcoords inverts both precisely
(iteratively, to well under a metre). CGCS2000 (EPSG:4490) differs from WGS-84 by centimetres and is
treated as WGS-84."""

from __future__ import annotations

import math

import prcoords

from geo.errors import InvalidCoordinates, UnsupportedCRS

ALIASES = {
    "": "wgs84", "wgs84": "wgs84", "wgs-84": "wgs84", "epsg:4326": "wgs84", "4326": "wgs84",
    "cgcs2000": "wgs84", "epsg:4490": "wgs84", "4490": "wgs84",
    "gcj02": "gcj02", "gcj-02": "gcj02",
    "bd09": "bd09", "bd-09": "bd09",
}
SUPPORTED_CRS = ("wgs84", "gcj02", "bd09", "cgcs2000")


def normalize_crs(name: str | None) -> str:
    key = (name or "").strip().lower()
    if key not in ALIASES:
        raise UnsupportedCRS(
            f"unsupported coordinate system {name!r}; use one of {', '.join(SUPPORTED_CRS)} "
            "(or EPSG:4326 / EPSG:4490)"
        )
    return ALIASES[key]


def _number(value: object, field: str, low: float, high: float) -> float:
    if isinstance(value, bool):  # JSON true/false would pass float() as 1.0/0.0
        raise InvalidCoordinates(f"{field} must be a number in degrees, got {value!r}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer too large for a float
        raise InvalidCoordinates(f"{field} must be a number in degrees, got {str(value)[:40]!r}") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise InvalidCoordinates(f"{field} must be between {low:g} and {high:g} degrees, got {value!r}")
    return number


def validate_lnglat(lng: object, lat: object) -> tuple[float, float]:
    return _number(lng, "lng", -180.0, 180.0), _number(lat, "lat", -90.0, 90.0)


def to_wgs84(lng: object, lat: object, crs: str | None = None) -> tuple[float, float]:
    """Validated (lng, lat) in WGS-84."""
    system = normalize_crs(crs)
    x, y = validate_lnglat(lng, lat)
    if system == "wgs84":
        return x, y
    inverse = prcoords.gcj_wgs_bored if system == "gcj02" else prcoords.bd_wgs_bored
    out = inverse((y, x))
    return out.lon, out.lat
