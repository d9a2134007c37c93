"""The map and the catalogue: cells as GeoJSON, locate, categories, departments, routing rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import select

from geo.crs import normalize_crs, to_wgs84
from grid.errors import OutsideManagedArea
from grid.hierarchy import ancestors_of, areas_geojson
from grid.models import AreaLevel, Category, Department, RoutingRule
from web.api.deps import ActorDep, SessionDep, StateDep
from web.api.tickets import parse_bbox

router = APIRouter(prefix="/api/v1", tags=["grid"])


@router.get("/cells")
def cells(
    session: SessionDep, _: ActorDep,
    bbox: Annotated[str | None, Query(description="min_lng,min_lat,max_lng,max_lat")] = None,
    level: AreaLevel = AreaLevel.cell,
    within: Annotated[str | None, Query(description="only areas inside this area code")] = None,
) -> dict:
    """Cells (or another level) as a GeoJSON FeatureCollection in WGS-84."""
    return areas_geojson(session=session, level=level, bbox=parse_bbox(bbox), within=within)


class AreaOut(BaseModel):
    code: str
    name: str
    level: str


class LocateOut(BaseModel):
    lat: float
    lng: float
    cell: AreaOut
    ancestors: list[AreaOut]


@router.get("/locate", response_model=LocateOut)
def locate(session: SessionDep, state: StateDep, _: ActorDep, lat: str, lng: str, crs: str | None = None) -> LocateOut:
    """The cell a point falls in and its community, street and district. Coordinates are converted to
    WGS-84 first (crs: wgs84, gcj02, bd09, cgcs2000)."""
    wlng, wlat = to_wgs84(lng, lat, normalize_crs(crs))
    index = state.index.get(session)
    code = index.locate(wlng, wlat)
    if code is None:
        nearest, distance = index.nearest(wlng, wlat) if len(index) else (None, None)
        hint = f"; the nearest cell is {nearest}, {distance:,.0f} m away" if nearest else ""
        raise OutsideManagedArea(f"the point ({wlng:.6f}, {wlat:.6f}) is outside the managed area{hint}",
                                 nearest_cell=nearest, distance_m=round(distance, 1) if distance is not None else None)
    chain = [AreaOut(code=a.code, name=a.name, level=a.level) for a in ancestors_of(session=session, cell_code=code)]
    return LocateOut(lat=wlat, lng=wlng, cell=chain[-1], ancestors=chain[:-1])


@router.get("/categories")
def categories(session: SessionDep, _: ActorDep) -> list[dict]:
    """The category catalogue: kind, major and minor class, names, default department and limits."""
    return [c.model_dump(exclude={"id"}) for c in session.exec(select(Category).where(Category.active)
                                                               .order_by(Category.code))]


@router.get("/departments")
def departments(session: SessionDep, _: ActorDep) -> list[dict]:
    return [d.model_dump(exclude={"id"}) for d in session.exec(select(Department).order_by(Department.code))]


@router.get("/routing-rules")
def routing_rules(session: SessionDep, _: ActorDep) -> list[dict]:
    return [r.model_dump() for r in session.exec(select(RoutingRule).order_by(RoutingRule.id))]
