"""Districts → streets → communities → cells: codes, ancestors, import and queries."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import shapely
from sqlmodel import Session, col, select

from geo.loaders import GridFeature, same_geometry
from geo.metric import area_m2
from grid.clock import utcnow
from grid.errors import InvalidInput, NotFound
from grid.models import CODE_LENGTH, LEVEL_BY_LENGTH, LEVEL_DEPTH, Area, AreaLevel

LEVELS = [AreaLevel.district, AreaLevel.street, AreaLevel.community, AreaLevel.cell]


def level_of(code: str) -> AreaLevel:
    if not code.isdigit() or len(code) not in LEVEL_BY_LENGTH:
        raise InvalidInput(
            f"{code!r} is not an area code: codes are digits, 6 for a district, 9 for a street, "
            "12 for a community and 15 for a cell"
        )
    return LEVEL_BY_LENGTH[len(code)]


def area_depth(code: str) -> int:
    """1 for a district … 4 for a cell, 0 for "" (everywhere)."""
    return LEVEL_DEPTH[LEVEL_BY_LENGTH[len(code)]] if code else 0


def ancestor_codes(code: str) -> list[str]:
    """The code's ancestors from the district down, the code itself included."""
    return [code[:n] for n in (6, 9, 12, 15) if n <= len(code)]


def parent_code(code: str) -> str | None:
    ancestors = ancestor_codes(code)
    return ancestors[-2] if len(ancestors) > 1 else None


@dataclass
class ImportStats:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    derived: list[str] = field(default_factory=list)  # ancestors created or refreshed from their children


def _set_geometry(area: Area, geom: shapely.Geometry) -> None:
    minx, miny, maxx, maxy = geom.bounds
    area.geometry = shapely.to_geojson(geom)
    area.min_lng, area.min_lat, area.max_lng, area.max_lat = minx, miny, maxx, maxy
    area.area_m2 = round(area_m2(geom), 1)


def import_areas(
    *,
    session: Session,
    level: AreaLevel,
    features: Sequence[GridFeature],
    progress: Callable[[int], None] | None = None,
) -> ImportStats:
    """Insert or update areas of one level from loaded features. Idempotent: importing the same
    features again changes nothing (nor does a geometry the same within a millimetre: a grid exported and read
    back). Missing ancestors are created with the union of their children's
    geometry (marked ``derived``) so that a file of cells alone gives a complete hierarchy; importing
    that level later replaces them. The caller owns the transaction: nothing is committed here."""
    want = CODE_LENGTH[level]
    bad = [f.code for f in features if not f.code.isdigit() or len(f.code) != want]
    if bad:
        raise InvalidInput(
            f"{len(bad)} feature(s) have codes that are not {want}-digit {level} codes: "
            + ", ".join(bad[:20])
            + (" …" if len(bad) > 20 else ""),
            feature_ids=bad[:100],
        )
    existing = {a.code: a for a in session.exec(select(Area).where(Area.level == level))}
    stats = ImportStats()
    now = utcnow()
    for i, feature in enumerate(features):
        area = existing.get(feature.code)
        geojson = shapely.to_geojson(feature.geometry)
        if area is None:
            area = Area(code=feature.code, level=level, name=feature.name, parent_code=parent_code(feature.code),
                        geometry="", min_lng=0, min_lat=0, max_lng=0, max_lat=0)
            _set_geometry(area, feature.geometry)
            stats.added += 1
        elif area.name == feature.name and not area.derived and (
                area.geometry == geojson or same_geometry(shapely.from_geojson(area.geometry), feature.geometry)):
            stats.unchanged += 1
            area = None
        else:
            area.name, area.derived, area.updated_at = feature.name, False, now
            _set_geometry(area, feature.geometry)
            stats.updated += 1
        if area is not None:
            session.add(area)
        if progress and (i + 1) % 200 == 0:
            progress(200)
    if progress:
        progress(len(features) % 200)
    session.flush()
    stats.derived = derive_ancestors(session=session, codes=[f.code for f in features])
    session.flush()
    return stats


def derive_ancestors(*, session: Session, codes: Iterable[str]) -> list[str]:
    """Create missing ancestors, and refresh derived ones, from the union of their children."""
    touched: list[str] = []
    parents = sorted({p for c in codes if (p := parent_code(c))}, key=len, reverse=True)
    # deepest first, so that a derived community exists before its derived street is computed
    for depth in (12, 9, 6):
        level_parents = sorted({c[:depth] for c in parents if len(c) >= depth})
        for code in level_parents:
            area = session.exec(select(Area).where(Area.code == code)).first()
            if area is not None and not area.derived:
                continue
            children = session.exec(select(Area).where(Area.parent_code == code)).all()
            geom = shapely.union_all([shapely.from_geojson(c.geometry) for c in children])
            if area is None:
                area = Area(code=code, level=LEVEL_BY_LENGTH[len(code)], name=code, parent_code=parent_code(code),
                            geometry="", min_lng=0, min_lat=0, max_lng=0, max_lat=0, derived=True)
            new_geojson = shapely.to_geojson(geom)
            if area.geometry != new_geojson:
                _set_geometry(area, geom)
                area.updated_at = utcnow()
                session.add(area)
                touched.append(code)
            session.flush()
    return touched


def get_area(*, session: Session, code: str) -> Area:
    area = session.exec(select(Area).where(Area.code == code)).first()
    if area is None:
        raise NotFound(f"no area with code {code!r}")
    return area


def ancestors_of(*, session: Session, cell_code: str) -> list[Area]:
    """The cell and its ancestors, district first."""
    codes = ancestor_codes(cell_code)
    found = {a.code: a for a in session.exec(select(Area).where(col(Area.code).in_(codes)))}
    return [found[c] for c in codes if c in found]


def areas_geojson(
    *,
    session: Session,
    level: AreaLevel = AreaLevel.cell,
    bbox: tuple[float, float, float, float] | None = None,
    within: str | None = None,
    limit: int = 50_000,
) -> dict:
    """A GeoJSON FeatureCollection of one level, optionally only those intersecting a bbox
    (min_lng, min_lat, max_lng, max_lat) or inside an area code."""
    query = select(Area).where(Area.level == level).order_by(Area.code)
    if bbox:
        minx, miny, maxx, maxy = bbox
        query = query.where(Area.max_lng >= minx, Area.min_lng <= maxx, Area.max_lat >= miny, Area.min_lat <= maxy)
    if within:
        query = query.where(col(Area.code).startswith(within, autoescape=True))
    features = [
        {
            "type": "Feature",
            "id": a.code,
            "geometry": json.loads(a.geometry),
            "properties": {"code": a.code, "name": a.name, "level": a.level, "parent_code": a.parent_code,
                           "area_m2": a.area_m2},
        }
        for a in session.exec(query.limit(limit))
    ]
    return {"type": "FeatureCollection", "features": features}


def cell_geometries(*, session: Session) -> tuple[list[str], list[shapely.Geometry]]:
    """All cells' codes and geometries, for building the point → cell index."""
    rows = session.exec(select(Area.code, Area.geometry).where(Area.level == AreaLevel.cell)).all()
    return [r[0] for r in rows], [shapely.from_geojson(r[1]) for r in rows]
