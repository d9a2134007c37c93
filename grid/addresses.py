"""The address gazetteer: door numbers on roads, buildings and points of interest, each with its point
(WGS-84) and the cell it lies in.

- ``nearest``: reverse geocoding, point → the nearest address within a radius and its distance in metres: a
  bounding box on the (lng, lat) index, the few nearest candidates by a flat-earth estimate in SQL, then
  the exact geodesic distance.
- ``search``: addresses whose name holds every word of a query (ILIKE, with a pg_trgm index on PostgreSQL).
  An address's name carries its road and door number (中山南路 123 号), so a road or a number finds it too.
- ``read_file`` and ``import_addresses``: a city's own gazetteer from CSV (columns name, kind, road, number,
  lng, lat and optionally crs) or GeoJSON points. Every row is checked and placed in its cell first; a file
  with any bad row is refused whole, each bad row listed with its reason (nothing half-written). An import
  replaces the entries of its source (the file's name), so a corrected file imported again does not
  duplicate them."""

from __future__ import annotations

import csv
import io
import json
import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import bindparam, delete, func, insert
from sqlmodel import Session, col, select

from geo.crs import normalize_crs, to_wgs84
from geo.errors import GeoError
from geo.index import OUTSIDE, CellIndex
from geo.metric import geodesic_m
from grid.errors import InvalidInput
from grid.models import Address

KINDS = ("address", "building", "poi")
NEAREST_RADIUS_M = 150.0
SEARCH_LIMIT = 20
MAX_QUERY_CHARS = 60
MAX_PROBLEMS_SHOWN = 200
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LNG_EQUATOR = 111_320.0

# built once (a report reads it): the candidates in the box, nearest first by a flat-earth estimate that is
# exact to a fraction of a per cent over a few hundred metres; the geodesic distance decides among them.
# The parameters are named addr_* so that another query may carry this one (``CANDIDATES_JSON``).
_DX = (Address.lng - bindparam("addr_lng")) * bindparam("addr_kx")
_DY = (Address.lat - bindparam("addr_lat")) * bindparam("addr_ky")
_CANDIDATES = (select(Address)
               .where(Address.lng >= bindparam("addr_min_lng"), Address.lng <= bindparam("addr_max_lng"),
                      Address.lat >= bindparam("addr_min_lat"), Address.lat <= bindparam("addr_max_lat"))
               .order_by(_DX * _DX + _DY * _DY, Address.id).limit(5))
_CANDIDATE_ROWS = _CANDIDATES.subquery("address_candidates")
#: PostgreSQL: the same candidates as one JSON value ([[id, name, lng, lat], …] or null), for a query that
#: reads them with its own rows in one round trip (a report's: ``dispatch.nearby``); params: ``candidate_params``
CANDIDATES_JSON = (select(func.json_agg(func.json_build_array(_CANDIDATE_ROWS.c.id, _CANDIDATE_ROWS.c.name,
                                                              _CANDIDATE_ROWS.c.lng, _CANDIDATE_ROWS.c.lat)))
                   .scalar_subquery().label("address_candidates"))


@dataclass(frozen=True)
class Nearest:
    address: Address
    distance_m: float


def candidate_params(lng: float, lat: float, radius_m: float = NEAREST_RADIUS_M) -> dict[str, float]:
    kx = M_PER_DEG_LNG_EQUATOR * max(0.01, math.cos(math.radians(lat)))
    dlng, dlat = radius_m / kx, radius_m / M_PER_DEG_LAT
    return {"addr_lng": lng, "addr_lat": lat, "addr_kx": kx, "addr_ky": M_PER_DEG_LAT,
            "addr_min_lng": lng - dlng, "addr_max_lng": lng + dlng, "addr_min_lat": lat - dlat,
            "addr_max_lat": lat + dlat}


def closest(candidates: Iterable[Address], lng: float, lat: float, radius_m: float = NEAREST_RADIUS_M
            ) -> Nearest | None:
    """The candidate nearest to the point by the geodesic distance, if within ``radius_m``."""
    found = sorted(((geodesic_m(lng, lat, a.lng, a.lat), a.id or 0, a) for a in candidates), key=lambda t: t[:2])
    if not found or found[0][0] > radius_m:
        return None
    return Nearest(found[0][2], found[0][0])


def closest_of_json(value: list | None, lng: float, lat: float) -> Nearest | None:
    """``closest`` of what ``CANDIDATES_JSON`` read."""
    return closest((Address(id=i, kind="", name=name, lng=x, lat=y) for i, name, x, y in value or ()), lng, lat)


def nearest(*, session: Session, lng: float, lat: float, radius_m: float = NEAREST_RADIUS_M) -> Nearest | None:
    """The nearest address within ``radius_m`` of a WGS-84 point, or None. One indexed query."""
    rows = session.exec(_CANDIDATES, params=candidate_params(lng, lat, radius_m)).all()  # type: ignore[call-overload]
    return closest(rows, lng, lat, radius_m)


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(*, session: Session, q: str | None, limit: int = SEARCH_LIMIT) -> list[Address]:
    """Addresses whose name holds every word of ``q`` (case-insensitive), shortest names first. Full-width
    digits and letters, as a Chinese input method types them (１２３号), are read as the plain ones."""
    text = unicodedata.normalize("NFKC", q or "").strip()
    if not text:
        raise InvalidInput("q is empty: give part of a name, a road or a door number", code="text_required",
                           field="q")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidInput(f"q is {len(text)} characters long; keep it under {MAX_QUERY_CHARS}",
                           code="text_too_long", field="q", length=len(text), limit=MAX_QUERY_CHARS)
    statement = select(Address)
    for word in text.split()[:8]:
        statement = statement.where(col(Address.name).ilike(_like(word), escape="\\"))
    statement = statement.order_by(func.length(Address.name), Address.name, Address.id).limit(limit)
    return list(session.exec(statement).all())


# --- import ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowProblem:
    row: int  # the CSV's line number (the header is line 1), or the GeoJSON feature's position from 1
    reason: str


@dataclass
class AddressFile:
    """What a file holds: the rows fit to import (WGS-84, with their cells) and the rows that are not."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    total: int = 0


class AddressFileRefused(InvalidInput):
    """A gazetteer file with bad rows: nothing of it was written."""

    code = "address_rows_refused"


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in a Chinese locale saves CSV as GBK
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("the file is neither UTF-8 nor GBK text: save it as CSV (UTF-8) or GeoJSON",
                       code="address_file_unreadable")


def _records(data: bytes, filename: str) -> list[tuple[int, dict[str, Any], tuple[Any, Any] | str]]:
    """(row number, properties, (lng, lat) or why there is no point) for each entry of a CSV or GeoJSON file."""
    text = _decode(data)
    lower = filename.lower()
    if lower.endswith((".geojson", ".json")) or (not lower.endswith(".csv") and text.lstrip().startswith("{")):
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise InvalidInput(f"the GeoJSON file cannot be read: {exc}", code="address_file_unreadable") from None
        features = document.get("features") if isinstance(document, dict) else None
        if not isinstance(features, list):
            raise InvalidInput("a GeoJSON FeatureCollection of points is needed (no \"features\" list found)",
                               code="address_file_unreadable")
        out = []
        for n, feature in enumerate(features, start=1):
            props = (feature or {}).get("properties") or {} if isinstance(feature, dict) else {}
            geometry = feature.get("geometry") if isinstance(feature, dict) else None
            kind = geometry.get("type") if isinstance(geometry, dict) else None
            coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
            if kind != "Point" or not isinstance(coords, list) or len(coords) < 2:
                out.append((n, props if isinstance(props, dict) else {}, f"a Point geometry is needed, got {kind}"))
            else:
                out.append((n, props if isinstance(props, dict) else {}, (coords[0], coords[1])))
        return out
    reader = csv.DictReader(io.StringIO(text))
    header = {(h or "").strip().lower() for h in reader.fieldnames or ()}
    missing = [c for c in ("name", "lng", "lat") if c not in header]
    if missing:
        raise InvalidInput(f"the CSV's header lacks the column(s) {', '.join(missing)}; expected name, kind, road, "
                           f"number, lng, lat (and optionally crs)", code="address_file_unreadable",
                           missing=missing)
    out = []
    for row in reader:
        props = {(k or "").strip().lower(): v for k, v in row.items()}
        out.append((reader.line_num, props, (props.get("lng"), props.get("lat"))))
    return out


def read_file(data: bytes, *, filename: str, crs: str | None, index: CellIndex) -> AddressFile:
    """Check every entry of a gazetteer file and place it in its cell. ``crs`` (wgs84, gcj02, bd09) applies
    to the rows without a crs column of their own."""
    default_crs = normalize_crs(crs)
    parsed = AddressFile()
    points: list[tuple[float, float]] = []
    for n, props, point in _records(data, filename):
        parsed.total += 1
        kind = _text(props.get("kind")).lower() or "address"
        name, road, number = _text(props.get("name")), _text(props.get("road")), _text(props.get("number"))
        if not name and road and number:
            name = f"{road}{number}" + ("" if number.endswith("号") else "号")
        reason = None
        if isinstance(point, str):
            reason = point
        elif kind not in KINDS:
            reason = f"unknown kind {kind!r}; use {', '.join(KINDS)}"
        elif not name:
            reason = "no name (or road and number) given"
        elif len(name) > 120 or len(road) > 60 or len(number) > 20:
            reason = "too long: a name takes up to 120 characters, a road 60, a number 20"
        else:
            try:
                lng, lat = to_wgs84(point[0], point[1], _text(props.get("crs")) or default_crs)
            except GeoError as exc:
                reason = str(exc)
        if reason:
            parsed.problems.append(RowProblem(n, reason))
            continue
        parsed.rows.append({"kind": kind, "name": name, "road": road, "number": number, "lng": lng, "lat": lat,
                            "_row": n})
        points.append((lng, lat))
    if points:
        found = index.locate_many(np.array([p[0] for p in points]), np.array([p[1] for p in points]))
        kept = []
        for row, position in zip(parsed.rows, found, strict=True):
            if position == OUTSIDE:
                parsed.problems.append(RowProblem(row["_row"], f"the point ({row['lng']:.6f}, {row['lat']:.6f}) is "
                                                               "outside the managed area: no cell holds it"))
            else:
                row["cell_code"] = str(index.codes[position])
                kept.append(row)
        parsed.rows = kept
    parsed.problems.sort(key=lambda p: p.row)
    return parsed


@dataclass(frozen=True)
class ImportResult:
    added: int
    replaced: int  # entries of the same source removed first
    source: str


def import_addresses(*, session: Session, parsed: AddressFile, source: str, dry_run: bool = False) -> ImportResult:
    """Write a checked file's rows, replacing the earlier entries of ``source``; refused whole
    (``AddressFileRefused``, each bad row with its reason) when any row is bad or there is none."""
    source = source.strip()[:40]
    if parsed.problems:
        shown = parsed.problems[:MAX_PROBLEMS_SHOWN]
        raise AddressFileRefused(
            f"{len(parsed.problems)} of {parsed.total} rows cannot be imported (nothing was written): "
            + "; ".join(f"row {p.row}: {p.reason}" for p in shown[:3]) + ("; …" if len(shown) > 3 else ""),
            rows=[{"row": p.row, "reason": p.reason} for p in shown], refused=len(parsed.problems),
            total=parsed.total)
    if not parsed.rows:
        raise AddressFileRefused("the file holds no addresses", rows=[], refused=0, total=0)
    replaced = session.exec(select(func.count()).select_from(Address).where(Address.source == source)).one()
    if not dry_run:
        session.execute(delete(Address).where(col(Address.source) == source))
        session.execute(insert(Address), [{k: v for k, v in row.items() if k != "_row"} | {"source": source}
                                          for row in parsed.rows])
    return ImportResult(added=len(parsed.rows), replaced=int(replaced), source=source)
