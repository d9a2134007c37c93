"""Open data (数据开放): the anonymised cases and their statistics, as the public may see them.

What is published, and nothing else: the case number, the category (code, names), the area codes (district,
street, community, cell), the local dates it was reported and closed (dates, not times: a time of day beside a
cell could point at the person who reported), the public status (the lifecycle table's public label), whether
the department handled it within its limit, and a location snapped to the middle of its cell. Never the
reporter, staff, free text (description, address, reasons), photos or the exact point.

Which cases: closed ones at once, the others once they are ``min_age`` old; void, merged and rejected cases
never (they are not cases the city worked on). The period is the local dates the cases were reported.

Every figure is an SQL aggregate; the cases are read in batches by id (keyset), so memory stays flat."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shapely.geometry import shape
from sqlalchemy import and_, case, func, literal, or_, select
from sqlmodel import Session

from dispatch.lifecycle import STATES
from dispatch.models import SlaTimer, Status, Ticket
from grid import catalogue, refcache
from grid.models import Area, AreaLevel

LEFT_OUT = (Status.void, Status.merged, Status.rejected)
FIELDS = ("case_number", "category_code", "category_name", "category_name_en", "district_code", "street_code",
          "community_code", "cell_code", "created_date", "closed_date", "public_status", "public_status_en",
          "on_time", "lng", "lat")
BATCH = 1000
AREA_COLUMNS = {6: Ticket.district_code, 9: Ticket.street_code, 12: Ticket.community_code, 15: Ticket.cell_code}


@dataclass(frozen=True)
class Query:
    """What a caller asked for: a period of local dates (both included), a category prefix (a kind letter,
    a major or a minor class) and an area code of any level."""

    start: date
    end: date
    category: str | None = None
    area: str | None = None


@dataclass(frozen=True)
class Places:
    """Per process, per grid version: every cell's centroid (lng, lat, rounded to 6 places) and the streets'
    names."""

    centroids: dict[str, tuple[float, float]]
    streets: dict[str, str]


def places(session: Session) -> Places:
    """The cells' centroids from their geometry (shapely), kept until the grid changes (grid.refcache)."""

    def load(s: Session) -> Places:
        centroids, streets = {}, {}
        found = s.execute(select(Area.code, Area.level, Area.name, Area.geometry)
                          .where(Area.level.in_([AreaLevel.cell, AreaLevel.street])))
        for code, level, name, geometry in found:
            if level == AreaLevel.street:
                streets[code] = name
            else:
                point = shape(json.loads(geometry)).centroid
                centroids[code] = (round(point.x, 6), round(point.y, 6))
        return Places(centroids, streets)

    return refcache.cached(session, "opendata.places", load)


def _bounds(query: Query, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(query.start, time(), tz).astimezone(UTC)
    end = datetime.combine(query.end + timedelta(days=1), time(), tz).astimezone(UTC)
    return start, end


def _where(query: Query, *, tz: ZoneInfo, now: datetime, min_age: timedelta) -> list:
    start, end = _bounds(query, tz)
    conditions = [
        Ticket.created_at >= start, Ticket.created_at < end,
        Ticket.status.not_in(LEFT_OUT),
        or_(Ticket.status == Status.closed, Ticket.created_at <= now - min_age),
    ]
    if query.category:
        conditions.append(Ticket.category_code.startswith(query.category, autoescape=True))
    if query.area:
        conditions.append(AREA_COLUMNS[len(query.area)] == query.area)
    return conditions


def _handle():  # noqa: ANN202
    return SlaTimer.__table__.alias("handle")


def _on_time(handle):  # noqa: ANN001, ANN202
    """1 when the department's handling met its limit, 0 when it did not, NULL while not handled: the handle
    timer's remaining time when it was fulfilled (as ``dispatch.sla.view`` judges it), in SQL."""
    return case((handle.c.fulfilled_at.is_(None), None), (handle.c.anchor_remaining_s >= 0, 1), else_=0)


def _joined(handle):  # noqa: ANN001, ANN202
    return Ticket.__table__.outerjoin(handle, and_(handle.c.ticket_id == Ticket.id, handle.c.stage == "handle"))


def _local_date(value: datetime | None, tz: ZoneInfo) -> str | None:
    return value.astimezone(tz).date().isoformat() if value is not None else None


def cases(*, session: Session, query: Query, tz: ZoneInfo, now: datetime, min_age: timedelta) -> Iterator[dict]:
    """The published cases of the query, oldest first, one dict of ``FIELDS`` each, read ``BATCH`` at a time."""
    handle = _handle()
    where = _where(query, tz=tz, now=now, min_age=min_age)
    names = catalogue.categories(session)
    centroids = places(session).centroids
    columns = (Ticket.id, Ticket.case_number, Ticket.category_code, Ticket.district_code, Ticket.street_code,
               Ticket.community_code, Ticket.cell_code, Ticket.created_at, Ticket.closed_at, Ticket.status,
               _on_time(handle).label("on_time"))
    last = 0
    while True:
        batch = session.execute(select(*columns).select_from(_joined(handle)).where(*where, Ticket.id > last)
                                .order_by(Ticket.id).limit(BATCH)).all()
        for row in batch:
            category = names.get(row.category_code)
            state = STATES[Status(row.status)]
            lng, lat = centroids.get(row.cell_code, (None, None))
            yield {
                "case_number": row.case_number, "category_code": row.category_code,
                "category_name": category.name if category else "", "category_name_en": category.name_en if category
                else "", "district_code": row.district_code, "street_code": row.street_code,
                "community_code": row.community_code, "cell_code": row.cell_code,
                "created_date": _local_date(row.created_at, tz),
                "closed_date": _local_date(row.closed_at, tz) if row.status == Status.closed else None,
                "public_status": state.public_zh, "public_status_en": state.public_en,
                "on_time": None if row.on_time is None else bool(row.on_time), "lng": lng, "lat": lat,
            }
        if len(batch) < BATCH:
            return
        last = batch[-1].id


def _hour(column, dialect: str):  # noqa: ANN001, ANN202
    """A UTC timestamp's hour as text 'YYYY-MM-DD HH' (folded into local days in Python: at most 24 rows a day,
    whatever the number of cases, and right for any whole-hour zone on both databases)."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", column)


def stats(*, session: Session, query: Query, tz: ZoneInfo, now: datetime, min_age: timedelta) -> dict:
    """Counts for the period: reported, closed, handled, handled on time; per category (top 10 by reported), per
    street and per local day (reported, closed) — SQL aggregates."""
    handle = _handle()
    where = _where(query, tz=tz, now=now, min_age=min_age)
    on_time = _on_time(handle)
    closed = func.count(case((Ticket.status == Status.closed, literal(1))))
    figures = (func.count().label("reported"), closed.label("closed"),
               func.count(on_time).label("handled"), func.coalesce(func.sum(on_time), 0).label("on_time"))

    def grouped(key, limit: int | None = None):  # noqa: ANN001, ANN202
        stmt = (select(key.label("key"), *figures).select_from(_joined(handle)).where(*where).group_by(key)
                .order_by(func.count().desc(), key))
        return session.execute(stmt.limit(limit) if limit else stmt).all()

    total = session.execute(select(*figures).select_from(_joined(handle)).where(*where)).one()
    names = catalogue.categories(session)
    streets = places(session).streets
    days: dict[str, dict] = {}
    for row in grouped(_hour(Ticket.created_at, session.get_bind().dialect.name)):
        local = datetime.strptime(row.key, "%Y-%m-%d %H").replace(tzinfo=UTC).astimezone(tz).date().isoformat()
        day = days.setdefault(local, {"date": local, "reported": 0, "closed": 0})
        day["reported"] += row.reported
        day["closed"] += row.closed

    def rates(row) -> dict:  # noqa: ANN001
        return {"reported": row.reported, "closed": row.closed, "handled": row.handled, "on_time": int(row.on_time),
                "closure_rate": round(row.closed / row.reported, 4) if row.reported else None,
                "on_time_rate": round(int(row.on_time) / row.handled, 4) if row.handled else None}

    return {
        "from": query.start.isoformat(), "to": query.end.isoformat(), "category": query.category,
        "area": query.area, "min_age_days": min_age.total_seconds() / 86400, **rates(total),
        "categories": [{"code": r.key, "name": names[r.key].name if r.key in names else "",
                        "name_en": names[r.key].name_en if r.key in names else "", **rates(r)}
                       for r in grouped(Ticket.category_code, 10)],
        "streets": [{"code": r.key, "name": streets.get(r.key, ""), **rates(r)}
                    for r in grouped(Ticket.street_code)],
        "days": [days[k] for k in sorted(days)],
    }
