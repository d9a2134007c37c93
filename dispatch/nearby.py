"""Possible duplicates: open cases of the same category near a point."""

from __future__ import annotations

import math
from collections.abc import Iterable

from sqlalchemy import and_, bindparam, text
from sqlmodel import Session, select

from dispatch.models import TERMINAL, Ticket
from dispatch.newcase import NEXT_ID
from grid import addresses

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


# built once: a statement made per call costs its construction and cache key on every report
_IN_BOX = and_(
    Ticket.category_code == bindparam("category_code"),
    text(f"{Ticket.__tablename__}.status NOT IN ({', '.join(repr(str(s)) for s in sorted(TERMINAL))})"),
    Ticket.lng >= bindparam("min_lng"), Ticket.lng <= bindparam("max_lng"),
    Ticket.lat >= bindparam("min_lat"), Ticket.lat <= bindparam("max_lat"),
)
_OPEN_IN_BOX = select(Ticket).where(_IN_BOX).limit(500)
# PostgreSQL: the same, the next case id (a row even when nothing is near) and the candidates for the nearest
# address, a report's three reads in one
_NEXT_ID = select(NEXT_ID).cte("next_id")
_NEXT_ID_AND_OPEN_IN_BOX = (select(_NEXT_ID.c.id, addresses.CANDIDATES_JSON, Ticket).select_from(_NEXT_ID)
                            .outerjoin(Ticket, _IN_BOX).limit(500))


def _box(category_code: str, lng: float, lat: float, radius_m: float) -> dict[str, object]:
    dlat = radius_m / 111_320.0
    dlng = radius_m / (111_320.0 * max(0.01, math.cos(math.radians(lat))))
    return {"category_code": category_code, "min_lng": lng - dlng, "max_lng": lng + dlng,
            "min_lat": lat - dlat, "max_lat": lat + dlat}


def _nearest(tickets: Iterable[Ticket], lng: float, lat: float, radius_m: float,
             limit: int) -> list[tuple[Ticket, float]]:
    found = [(t, haversine_m(lng, lat, t.lng, t.lat)) for t in tickets]
    found = [(t, d) for t, d in found if d <= radius_m]
    found.sort(key=lambda pair: pair[1])
    return found[:limit]


def open_nearby(
    *, session: Session, category_code: str, lng: float, lat: float, radius_m: float, limit: int = 10,
) -> list[tuple[Ticket, float]]:
    """Open cases of the category within ``radius_m``, nearest first: a bounding-box query on the
    indexed coordinates, then the exact great-circle distance."""
    rows = session.exec(_OPEN_IN_BOX, params=_box(category_code, lng, lat, radius_m))
    return _nearest(rows, lng, lat, radius_m, limit)


def next_id_and_open_nearby(
    *, session: Session, category_code: str, lng: float, lat: float, radius_m: float, limit: int = 10,
) -> tuple[int, list[tuple[Ticket, float]], addresses.Nearest | None]:
    """PostgreSQL: the id a new case takes from its sequence, ``open_nearby`` and ``grid.addresses.nearest``,
    in one round trip."""
    rows = session.execute(_NEXT_ID_AND_OPEN_IN_BOX, {**_box(category_code, lng, lat, radius_m),
                                                      **addresses.candidate_params(lng, lat)}).all()
    return (rows[0][0], _nearest((t for _, _, t in rows if t is not None), lng, lat, radius_m, limit),
            addresses.closest_of_json(rows[0][1], lng, lat))
