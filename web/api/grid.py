"""The map and the catalogue: cells as GeoJSON, locate, categories, routing rules (departments: web.api.departments)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlmodel import select

from geo.crs import normalize_crs, to_wgs84
from grid.errors import OutsideManagedArea
from grid.hierarchy import ancestors_of, areas_geojson
from grid.models import AreaLevel, Category, CategoryKind, RoutingRule, TimeBasis
from web.api.deps import ActorDep, SessionDep, StateDep
from web.api.params import parse_bbox

router = APIRouter(prefix="/api/v1", tags=["grid"])


class AreaGeometry(BaseModel):
    type: Literal["Polygon", "MultiPolygon"]
    coordinates: list[Any] = Field(description="GeoJSON positions [lng, lat] in WGS-84: the rings of a Polygon, "
                                               "or the polygons of a MultiPolygon")


class AreaProperties(BaseModel):
    code: str
    name: str
    level: AreaLevel
    parent_code: str | None
    area_m2: float


class AreaFeature(BaseModel):
    type: Literal["Feature"]
    id: str = Field(description="the area code")
    geometry: AreaGeometry
    properties: AreaProperties


class AreaCollection(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[AreaFeature]


@router.get("/cells", response_model=AreaCollection)
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


class CategoryOut(BaseModel):
    code: str = Field(description="kind letter + major + minor, e.g. E0101")
    kind: CategoryKind
    major: str
    major_code: str = Field(description="kind letter + major, e.g. E01: what filters and routing rules name to "
                                        "mean a whole major class")
    minor: str
    major_name: str
    major_name_en: str
    name: str
    name_en: str
    public_name: str = Field(description="plain words a citizen would use (垃圾没人清 for 暴露垃圾); empty: the name")
    public_name_en: str = Field(description="the same in English; empty: name_en")
    default_department_code: str | None
    limit_hours_normal: float
    limit_hours_urgent: float
    limit_hours_critical: float
    time_basis: TimeBasis
    after_photo_required: bool = Field(description="resolving a case of this class needs a photo of the result")
    active: bool = Field(description="false: disabled by an admin, refused for new reports (its cases keep it)")


class RoutingRuleOut(BaseModel):
    id: int
    category: str = Field(description="minor (E0102) or major class (E01); empty: any")
    area_code: str = Field(description="an area code of any level; empty: everywhere")
    urgency: str = Field(description="normal, urgent or critical; empty: any")
    department_code: str
    note: str
    created_at: datetime


@router.get("/categories", response_model=list[CategoryOut])
def categories(session: SessionDep, _: ActorDep, include_inactive: Annotated[bool, Query(
        description="also the classes an admin disabled (the console lists them to enable them again)")] = False,
               ) -> list[dict]:
    """The category catalogue: kind, major and minor class, names (public ones for citizens), default
    department, limits, photo rule; the enabled classes unless ``include_inactive``."""
    query = select(Category).order_by(Category.code)
    if not include_inactive:
        query = query.where(Category.active)
    return [{**c.model_dump(exclude={"id"}), "major_code": c.major_code} for c in session.exec(query)]


def category_out(c: Category) -> CategoryOut:
    return CategoryOut(**c.model_dump(exclude={"id"}), major_code=c.major_code)


@router.get("/routing-rules", response_model=list[RoutingRuleOut])
def routing_rules(session: SessionDep, _: ActorDep) -> list[dict]:
    return [r.model_dump() for r in session.exec(select(RoutingRule).order_by(RoutingRule.id))]
