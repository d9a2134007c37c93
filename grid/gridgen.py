"""Cells generated over a community's boundary (`gridops grid generate`), numbered under its code.

A cell's code is its community's twelve digits and three more, 001 to 999, in the order the generator lays
the cells out: row by row from the north-west. The same outline, shape and area give the same codes every
time. Generating over a street does each of its communities in turn (they must exist: a cell's code extends
its community's). The command refuses a community that already has cells: generating again would renumber
cells that cases and workers refer to; an existing grid changes by importing a file. The console instead
previews the generated cells against the cells there are (``existing="compare"``, ``generated_load``): the
same outline, shape and area preview no change, anything else shows what it would change before it does.

Each refusal carries a stable code and its parameters (``grid.errors``) for the console to translate."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import shapely
from sqlmodel import Session, func, select

from geo.errors import GeoError
from geo.generate import generate_cells
from geo.loaders import GridFeature, LoadResult
from grid.errors import InvalidInput, NotFound, UnknownArea
from grid.hierarchy import ImportStats, get_area, import_areas, level_of
from grid.models import Area, AreaLevel

MAX_CELLS = 999  # three digits under the community's code


@dataclass
class CommunityPlan:
    code: str
    name: str
    cells: list[GridFeature]
    merged: int  # slivers merged into a neighbour
    smallest_m2: float
    largest_m2: float


@dataclass(frozen=True)
class Target:
    code: str
    name: str
    geometry: str  # GeoJSON
    area_m2: float


def _area(session: Session, code: str) -> Area:
    try:
        return get_area(session=session, code=code)
    except NotFound as exc:
        raise UnknownArea(exc.message, area=code) from None


def _communities(session: Session, code: str) -> list[Area]:
    level = level_of(code)
    if level == AreaLevel.community:
        return [_area(session, code)]
    if level == AreaLevel.street:
        street = _area(session, code)
        found = session.exec(select(Area).where(Area.level == AreaLevel.community, Area.parent_code == code)
                             .order_by(Area.code)).all()
        if not found:
            raise InvalidInput(f"street {code} ({street.name}) has no communities yet: import them first (a cell's "
                               "15-digit code is its community's 12 digits and three more)",
                               code="street_without_communities", area=code, name=street.name)
        return list(found)
    raise InvalidInput(f"cells are generated over a community (12 digits) or over a street (9 digits: each of its "
                       f"communities in turn); {code} is a {level}", code="not_generatable", area=code,
                       level=str(level))


def plan_cells(*, session: Session, area_code: str, shape: str = "square", cell_area_m2: float = 10_000.0,
               sliver_ratio: float = 0.2, existing: str = "refuse",
               read: Callable[[], None] | None = None) -> list[CommunityPlan]:
    """What generating would add, community by community; nothing is written. Refuses (InvalidInput) a
    community that would get more than 999 cells, and one that has cells already unless ``existing`` is
    "compare" (the caller previews the plans against them). ``read`` is called once the communities are
    read, before the cells are made (the console's preview ends its transaction there)."""
    targets = []
    for community in _communities(session, area_code):
        have = session.exec(select(func.count()).select_from(Area).where(
            Area.level == AreaLevel.cell, Area.parent_code == community.code)).one()
        if have and existing == "refuse":
            raise InvalidInput(f"community {community.code} ({community.name}) already has {have} cells: generating "
                               "would renumber them; change an existing grid by importing a file (gridops grid import)",
                               code="community_has_cells", community=community.code, cells=have)
        targets.append(Target(community.code, community.name, community.geometry, community.area_m2))
    if read:
        read()
    plans = []
    for community in targets:
        try:
            made = generate_cells(shapely.from_geojson(community.geometry), shape=shape, cell_area_m2=cell_area_m2,
                                  sliver_ratio=sliver_ratio)
        except GeoError as exc:
            raise InvalidInput(f"community {community.code} ({community.name}): {exc}", code="grid_generate_error",
                               community=community.code, reason=str(exc)) from None
        if len(made.cells) > MAX_CELLS:
            least = math.ceil(community.area_m2 / MAX_CELLS * 1.1 / 100) * 100
            raise InvalidInput(
                f"community {community.code} ({community.name}) would get {len(made.cells)} cells, more than the "
                f"{MAX_CELLS} its three-digit cell numbers allow ({community.code}001–{community.code}999); "
                f"choose a cell area of at least about {least:,} m²", code="too_many_cells",
                community=community.code, cells=len(made.cells), limit=MAX_CELLS, least_m2=least)
        cells = [GridFeature(f"{community.code}{k:03d}", f"{community.name}{k:03d}号网格", geom)
                 for k, geom in enumerate(made.cells, start=1)]
        plans.append(CommunityPlan(community.code, community.name, cells, made.merged, made.smallest_m2,
                                   made.largest_m2))
    return plans


def apply_plans(*, session: Session, plans: list[CommunityPlan]) -> ImportStats:
    """Write the planned cells (the caller commits)."""
    return import_areas(session=session, level=AreaLevel.cell, features=[c for p in plans for c in p.cells])


def generated_load(plans: list[CommunityPlan]) -> LoadResult:
    """The planned cells as the features a grid file would give the import's preview (``grid.gridimport``):
    generated cells need no repair and do not overlap."""
    features = [c for p in plans for c in p.cells]
    return LoadResult(features=features, numbers={f.code: i for i, f in enumerate(features, start=1)})
