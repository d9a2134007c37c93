"""Query parameters shared by several routers, checked with a message a person can act on."""

from __future__ import annotations

from datetime import UTC, datetime

from grid.errors import InvalidInput


def aware(value: datetime | None, name: str) -> datetime | None:
    """A time filter must say its zone: a naive time would silently be read as UTC. Returned in UTC (a time
    at the edge of the calendar, 0001-01-01 ahead of UTC, has none: 422, not a crash in the query)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise InvalidInput(f"{name} needs a time zone, e.g. 2026-11-22T08:00:00+08:00", field=name)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"{name} is out of range: give a time between the years 1 and 9999 in UTC",
                           field=name) from None


def parse_bbox(bbox: str | None) -> tuple[float, float, float, float] | None:
    """``min_lng,min_lat,max_lng,max_lat`` in degrees, or None when not given."""
    if not bbox:
        return None
    try:
        minx, miny, maxx, maxy = (float(v) for v in bbox.split(","))
    except ValueError:
        raise InvalidInput("bbox must be four numbers: min_lng,min_lat,max_lng,max_lat", field="bbox") from None
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InvalidInput("bbox must be min_lng,min_lat,max_lng,max_lat in degrees, min before max", field="bbox")
    return minx, miny, maxx, maxy
