"""The control-room map's data, compact enough for 40,000 cells and 20,000 open cases on first load.

``GET /api/v1/map/cases``: the open cases in the caller's scope (in a box, with filters) as rows of plain
values (no per-case objects, no timeline), with the headline SLA light, or only their count when there are
more than the limit; ``?ids=`` fetches a few cases whatever their status, for a live client catching up.
``GET /api/v1/map/cells``: the areas of one level with integer, delta-encoded rings (micro-degrees), cached
in memory and revalidated with an ETag, optionally with the open count and worst light per area."""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

import shapely
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlmodel import Session, col, select

from dispatch import markers, queries
from grid import refcache
from grid.clock import utcnow
from grid.errors import InvalidInput
from grid.models import CODE_LENGTH, Area, AreaLevel, Urgency
from web.api.deps import ActorDep, SessionDep, StateDep
from web.api.params import aware, parse_bbox
from web.settings import Settings

router = APIRouter(prefix="/api/v1/map", tags=["map"])

SCALE = 1_000_000  # coordinates travel as integer micro-degrees (about 0.1 m)
CASE_FIELDS = ("id", "case_number", "lng", "lat", "status", "category", "urgency", "department",
               "suggested_department", "cell", "created", "light", "remaining_s", "due", "day_s")
LIGHTS = ("green", "yellow", "red", "none")
MAX_IDS = 500

# The answers of /cases and /cells are built as plain values and sent pre-encoded (with an ETag for the
# areas): their models below describe them in the OpenAPI document only. A route that returns a Response
# is not validated against its response_model, so they cost nothing per request.

TicketRow = tuple[int, str, float, float, str, str, str, str | None, str | None, str, int, str | None, int | None,
                int | None, int | None]


class MapTicketsOut(BaseModel):
    at: datetime = Field(description="when this snapshot was read")
    last_event_id: int = Field(description="resume the live feed (/ws?since=) from it to miss nothing after this")
    fields: list[str] = Field(description="the names of each row's values, in order: " + ", ".join(CASE_FIELDS))
    count: int = Field(description="rows in this answer")
    total: int = Field(description="cases matching the filters and bbox in the caller's scope (counted in SQL)")
    limit: int = Field(description="the most rows one answer holds")
    truncated: bool = Field(description="total > limit: rows is empty; narrow the bbox or the filters")
    rows: list[TicketRow] = Field(
        description="per case: id, case number, lng, lat (WGS-84), status, category, urgency, department, "
        "suggested department, cell, created (epoch s), headline light, remaining working seconds, due (epoch s), "
        "day_s: one day in the headline limit's basis (86,400 natural; the calendar's working hours a day)")


class MapAreasOut(BaseModel):
    level: AreaLevel
    scale: int = Field(description="coordinates are integers: divide by it for degrees")
    count: int
    codes: list[str]
    names: list[str]
    geoms: list[list[list[list[int]]]] = Field(
        description="per area its polygons, per polygon its rings, each ring [x0, y0, dx1, dy1, …] "
        "(delta-encoded, WGS-84, not closed)")
    stats: dict[str, tuple[int, str | None]] | None = Field(
        default=None, description="with ?stats: area code → [open cases, worst light] for areas with open cases")


class BasemapOut(BaseModel):
    tiles: list[str] = Field(description="a raster tile URL template, or none: the grid is the base map")
    crs: Literal["wgs84", "gcj02"] = Field(description="gcj02: the pages shift what they draw to match the tiles")
    attribution: str
    max_zoom: int


def _json(request: Request, data: dict | bytes, *, etag: str | None = None, gzipped: bool = False) -> Response:
    """JSON, gzipped when the client takes it (``gzipped``: it already is)."""
    body = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {"Cache-Control": "private, no-cache", "Vary": "Accept-Encoding"}
    if etag:
        headers["ETag"] = etag
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    elif "gzip" in request.headers.get("accept-encoding", "") and len(body) > 1024:
        body = gzip.compress(body, compresslevel=1)  # made anew for each request: the quickest level
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="application/json", headers=headers)


def _ids(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        ids = sorted({int(v) for v in text.split(",") if v.strip()})
    except ValueError:
        raise InvalidInput("ids must be case ids separated by commas, e.g. 12,15,40", field="ids") from None
    if len(ids) > MAX_IDS:
        raise InvalidInput(f"at most {MAX_IDS} ids at a time", field="ids")
    if any(not 1 <= i <= 2**31 - 1 for i in ids):
        raise InvalidInput("ids must be positive case ids", field="ids")
    return ids


@router.get("/cases", response_model=MapTicketsOut)
def cases(
    request: Request, session: SessionDep, actor: ActorDep, state: StateDep,
    status: Annotated[list[str] | None, Query(description="repeat or comma-separate; default: open")] = None,
    ids: Annotated[str | None, Query(description="only these case ids (any status), comma-separated")] = None,
    category: Annotated[str | None, Query(description="minor (E0101), major (E01) or kind (C/E)")] = None,
    department: Annotated[str | None, Query(description="a department code, or - for none yet")] = None,
    area: Annotated[str | None, Query(description="district, street, community or cell code")] = None,
    urgency: str | None = None,
    light: Annotated[str | None, Query(description="green, yellow, red or none (no running timer)")] = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    bbox: Annotated[str | None, Query(description="min_lng,min_lat,max_lng,max_lat (WGS-84)")] = None,
    limit: Annotated[int | None, Query(description="the most rows to return; default and maximum: "
                                      "GRIDOPS_MAP_CASE_LIMIT")] = None,
    q: Annotated[str | None, Query(description="search, as on GET /tickets: a case number or its last digits, an "
                                               "area's name or code, or words of the description")] = None,
) -> Response:
    """Open cases in the caller's scope as ``{"fields": [...], "rows": [[...], ...]}``: id, case number,
    lng, lat (WGS-84), status, category, urgency, department, suggested department, cell, created (epoch
    seconds), headline light, remaining working seconds, due (epoch seconds) and day_s (one day in the
    limit's basis); ``last_event_id``: resume the live feed (``/ws?since=``) from it to miss nothing after
    this snapshot.

    ``total`` is how many cases match the filters (and ``bbox``), counted in SQL. When it is more than
    ``limit`` the answer is ``truncated`` and its ``rows`` are empty (not the first ``limit`` of them: a
    partial set of markers would look like the whole picture): the map shows area counts
    (``/map/cells?stats``) and asks again for the box in view. So an answer's cost follows what it returns,
    never the number of open cases. ``ids`` (a live client catching up, at most 500) is never truncated."""
    statuses = [s.strip() for item in status or [] for s in item.split(",") if s.strip()] or None
    if urgency and urgency not in Urgency.__members__:
        raise InvalidInput(f"unknown urgency {urgency!r}; use one of {', '.join(Urgency)}", field="urgency")
    if light and light not in LIGHTS:
        raise InvalidInput(f"unknown light {light!r}; use one of {', '.join(LIGHTS)}", field="light")
    if category and not category.isalnum():
        raise InvalidInput("category must be a kind (C, E), major (E01) or minor class (E0101)", field="category")
    most = state.settings.map_case_limit
    if limit is not None and not 1 <= limit <= most:
        raise InvalidInput(f"limit must be a whole number from 1 to {most}", field="limit")
    cap = most if limit is None else limit
    filters = markers.MarkerFilter(
        statuses=statuses, ids=_ids(ids), category=category, department=department, area=area, urgency=urgency,
        created_from=aware(created_from, "created_from"), created_to=aware(created_to, "created_to"),
    )
    if text := queries.clean_query(q):
        filters.search = queries.search_condition(session=session, q=text)
    box = parse_bbox(bbox)
    now = utcnow()
    last_event = markers.last_event_id(session=session)
    rows, total = markers.rows(session=session, actor=actor, filters=filters, now=now, light=light, bbox=box,
                               limit=None if filters.ids is not None else cap)
    truncated = filters.ids is None and total > cap
    return _json(request, {"at": now.isoformat(), "last_event_id": last_event, "fields": CASE_FIELDS,
                           "count": len(rows), "total": total, "limit": cap, "truncated": truncated, "rows": rows})


# --- areas -----------------------------------------------------------------------------------------

@dataclass
class Encoded:
    """An areas body encoded once: its JSON and its gzip; for answers with stats, the gzip of all but its
    closing brace, with the compressor's state at that point, so that only the stats are compressed anew."""

    etag: str
    json: bytes
    gzipped: bytes
    codes: list[str]
    open_gzipped: bytes
    open_compressor: zlib._Compress

    @classmethod
    def of(cls, etag: str, data: bytes, codes: list[str]) -> Encoded:
        # 31: the gzip format; level 1: what follows (the stats, up to a megabyte for a city's cells) is
        # compressed on every request
        compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
        head = compressor.compress(data[:-1])
        return cls(etag, data, gzip.compress(data, compresslevel=5), codes, head, compressor)

    def with_tail(self, tail: bytes, *, gzipped: bool) -> bytes:
        """The body with ``tail`` in place of its closing brace (which ``tail`` must close again)."""
        if not gzipped:
            return self.json[:-1] + tail
        compressor = self.open_compressor.copy()
        return self.open_gzipped + compressor.compress(tail) + compressor.flush()


_cache: dict[tuple, Encoded] = {}
AREAS_COUNTED_BY_CODE = 5000
_cache_lock = threading.Lock()


def _ring(coords: list) -> list[int]:
    """A ring as [x0, y0, dx1, dy1, …] in micro-degrees, without the closing point."""
    flat: list[int] = []
    px = py = 0
    for x, y in coords[:-1] if coords and coords[0] == coords[-1] else coords:
        ix, iy = round(x * SCALE), round(y * SCALE)
        flat += (ix - px, iy - py)
        px, py = ix, iy
    return flat


def _encode(geometry: str, simplify: bool) -> list[list[list[int]]]:
    """GeoJSON (Multi)Polygon text → polygons → rings → integers. Higher levels (unions of cells) carry a
    vertex at every cell corner along straight edges; simplifying by 1e-7° drops those."""
    if simplify:
        geom = shapely.from_geojson(geometry).simplify(1e-7)
        data = json.loads(shapely.to_geojson(geom))
    else:
        data = json.loads(geometry)
    polygons = data["coordinates"] if data["type"] == "MultiPolygon" else [data["coordinates"]]
    return [[_ring(ring) for ring in polygon] for polygon in polygons]


def _areas(session: Session, level: AreaLevel, within: str | None,
           bbox: tuple[float, float, float, float] | None) -> Encoded:
    where = [Area.level == level]
    if within:
        where.append(col(Area.code).startswith(within, autoescape=True))
    if bbox:
        minx, miny, maxx, maxy = bbox
        where += [Area.max_lng >= minx, Area.min_lng <= maxx, Area.max_lat >= miny, Area.min_lat <= maxy]

    def version(s: Session) -> str:
        count, newest = s.exec(select(func.count(), func.max(Area.updated_at)).where(*where)).one()
        return f"{count}:{newest.isoformat() if newest else ''}"

    # areas are reference data (grid.refcache): a whole level's stamp is kept until the grid changes
    stamp = version(session) if bbox else refcache.cached(session, ("areas", str(level), within), version)
    url = str(session.get_bind().url)
    key = (url, str(level), within, bbox)
    etag = '"' + hashlib.sha256(f"{key}{stamp}".encode()).hexdigest()[:24] + '"'
    with _cache_lock:
        cached = _cache.get(key)
    if cached and cached.etag == etag:
        return cached
    rows = session.exec(select(Area.code, Area.name, Area.geometry).where(*where).order_by(Area.code)).all()
    simplify = level != AreaLevel.cell
    body = {
        "level": str(level), "scale": SCALE, "count": len(rows),
        "codes": [r.code for r in rows],
        "names": [r.name for r in rows],
        "geoms": [_encode(r.geometry, simplify) for r in rows],
    }
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    encoded = Encoded.of(etag, data, body["codes"])
    with _cache_lock:
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = encoded
    return encoded


@router.get("/cells", response_model=MapAreasOut,
            responses={304: {"description": "not modified since the ETag sent in If-None-Match"}})
def cells(
    request: Request, session: SessionDep, actor: ActorDep,
    level: AreaLevel = AreaLevel.cell,
    within: Annotated[str | None, Query(description="only areas inside this area code")] = None,
    bbox: Annotated[str | None, Query(description="min_lng,min_lat,max_lng,max_lat")] = None,
    stats: Annotated[bool, Query(description="add the open count and worst light per area")] = False,
) -> Response:
    """Areas of one level: ``codes``, ``names`` and ``geoms`` (per area its polygons, per polygon its rings,
    each ring ``[x0, y0, dx1, dy1, …]`` in integer micro-degrees, WGS-84, not closed). With ``stats``,
    ``stats[code] = [open cases, worst light]`` for areas with open cases in the caller's scope."""
    if within is not None and (not within.isdigit() or len(within) > 15):
        raise InvalidInput("within must be an area code (up to 15 digits)", field="within")
    areas = _areas(session, level, within, parse_bbox(bbox))
    if not stats:
        if request.headers.get("if-none-match") == areas.etag:
            return Response(status_code=304, headers={"ETag": areas.etag, "Cache-Control": "private, no-cache"})
        if "gzip" in request.headers.get("accept-encoding", ""):
            return _json(request, areas.gzipped, etag=areas.etag, gzipped=True)
        return _json(request, areas.json, etag=areas.etag)
    # a view's areas (a bbox) are counted alone: an indexed IN over their codes, not a GROUP BY of the city
    only = areas.codes if bbox and len(areas.codes) <= AREAS_COUNTED_BY_CODE else None
    counts = markers.area_counts_json(session=session, actor=actor, length=CODE_LENGTH[level], within=within,
                                      codes=only, now=utcnow())
    # the geometry as encoded (and compressed) once, the stats (JSON from the database) spliced in before its
    # closing brace
    tail = b',"stats":' + counts.encode() + b"}"
    gzipped = "gzip" in request.headers.get("accept-encoding", "")
    return _json(request, areas.with_tail(tail, gzipped=gzipped), gzipped=gzipped)


@router.get("/basemap", response_model=BasemapOut)
def basemap(state: StateDep, actor: ActorDep) -> dict:
    """The optional base map of the pages: ``tiles`` (a raster URL template, or none: the grid is the base
    map), its ``crs`` (``gcj02`` makes the pages shift what they draw from WGS-84 to match the tiles),
    ``attribution`` and ``max_zoom``."""
    return basemap_config(state.settings)


def basemap_config(settings: Settings) -> dict:
    """The base map's settings as the pages read them (the public page too: /public/v1/basemap)."""
    return {"tiles": [settings.map_tiles_url] if settings.map_tiles_url else [], "crs": settings.map_tiles_crs,
            "attribution": settings.map_tiles_attribution, "max_zoom": settings.map_tiles_max_zoom}
