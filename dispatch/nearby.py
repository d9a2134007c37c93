"""Possible duplicates: open cases of the same category near a point."""

from __future__ import annotations

import math

from sqlalchemy import bindparam, text
from sqlmodel import Session, select

from dispatch.models import TERMINAL, Ticket

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


# built once: a statement made per call costs its construction and cache key on every report
_OPEN_IN_BOX = select(Ticket).where(
    Ticket.category_code == bindparam("category_code"),
    text(f"{Ticket.__tablename__}.status NOT IN ({', '.join(repr(str(s)) for s in sorted(TERMINAL))})"),
    Ticket.lng >= bindparam("min_lng"), Ticket.lng <= bindparam("max_lng"),
    Ticket.lat >= bindparam("min_lat"), Ticket.lat <= bindparam("max_lat"),
).limit(500)


def open_nearby(
    *, session: Session, category_code: str, lng: float, lat: float, radius_m: float, limit: int = 10,
) -> list[tuple[Ticket, float]]:
    """Open cases of the category within ``radius_m``, nearest first: a bounding-box query on the
    indexed coordinates, then the exact great-circle distance."""
    dlat = radius_m / 111_320.0
    dlng = radius_m / (111_320.0 * max(0.01, math.cos(math.radians(lat))))
    rows = session.exec(_OPEN_IN_BOX, params={"category_code": category_code, "min_lng": lng - dlng,
                                               "max_lng": lng + dlng, "min_lat": lat - dlat, "max_lat": lat + dlat})
    found = [(t, haversine_m(lng, lat, t.lng, t.lat)) for t in rows]
    found = [(t, d) for t, d in found if d <= radius_m]
    found.sort(key=lambda pair: pair[1])
    return found[:limit]
