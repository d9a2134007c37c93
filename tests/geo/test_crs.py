"""Coordinates from Chinese map SDKs come back to WGS-84; bad coordinates are refused clearly."""

from __future__ import annotations

import math

import prcoords
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.crs import normalize_crs, to_wgs84, validate_lnglat
from geo.errors import InvalidCoordinates, UnsupportedCRS


def metres(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    return math.hypot((lng1 - lng2) * 111_320 * math.cos(math.radians(lat1)), (lat1 - lat2) * 110_574)


def test_people_square_in_each_system():
    wgs = (121.4737, 31.2304)
    gcj = prcoords.wgs_gcj((wgs[1], wgs[0]))
    bd = prcoords.wgs_bd((wgs[1], wgs[0]))
    assert metres(*wgs, gcj.lon, gcj.lat) > 300  # GCJ-02 is offset by hundreds of metres here
    assert metres(*wgs, *to_wgs84(gcj.lon, gcj.lat, "gcj02")) < 0.5
    assert metres(*wgs, *to_wgs84(bd.lon, bd.lat, "BD-09")) < 0.5
    assert to_wgs84(*wgs, "EPSG:4490") == wgs


@given(lng=st.floats(73.7, 134.7), lat=st.floats(18.2, 53.5))
def test_round_trip_across_china_within_half_a_metre(lng, lat):
    gcj = prcoords.wgs_gcj((lat, lng), False)
    assert metres(lng, lat, *to_wgs84(gcj.lon, gcj.lat, "gcj02")) < 0.5
    bd = prcoords.wgs_bd((lat, lng), False)
    assert metres(lng, lat, *to_wgs84(bd.lon, bd.lat, "bd09")) < 0.5


@pytest.mark.parametrize(("name", "expected"), [
    (None, "wgs84"), ("", "wgs84"), ("WGS84", "wgs84"), ("epsg:4326", "wgs84"), ("CGCS2000", "wgs84"),
    ("EPSG:4490", "wgs84"), ("gcj-02", "gcj02"), ("BD09", "bd09"),
])
def test_aliases(name, expected):
    assert normalize_crs(name) == expected


def test_unsupported_crs_lists_the_choices():
    with pytest.raises(UnsupportedCRS, match="wgs84, gcj02, bd09, cgcs2000"):
        normalize_crs("EPSG:3857")


@pytest.mark.parametrize(("lng", "lat", "fragment"), [
    (121.5, 91, "lat must be between -90 and 90"), (181, 31, "lng must be between -180 and 180"),
    ("east", 31, "lng must be a number"), (121.5, float("nan"), "lat must be between"), (None, 31, "lng"),
    (121.5, "inf", "lat must be between"),
])
def test_bad_coordinates(lng, lat, fragment):
    with pytest.raises(InvalidCoordinates, match=fragment):
        validate_lnglat(lng, lat)


def test_numeric_strings_are_accepted():
    assert validate_lnglat("121.5", "31.2") == (121.5, 31.2)
