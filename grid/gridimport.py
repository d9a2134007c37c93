"""A grid file imported in two steps (issue 13): a preview that changes nothing — what the file adds, changes
(name and/or geometry, area before → after, centroid shift), which areas of its parents it does not hold, the
repairs made and the features refused — and then the import of exactly that preview in one transaction.

An import never deletes an area: cases, grid workers and routing rules name areas by code, and a file that
leaves one out is more often partial than a decision to retire it. The areas of the file's parents (for
cells: the communities it covers) that it does not hold are listed as ``not_in_file``, with the workers
assigned to them, and stay as they are.

The preview is computed from the file and from the state of the level it reads (``GridState``); its ``digest``
names both. Applying checks in its own transaction that the level is still in that state, so what is
written is what was previewed, or nothing (``Conflict``)."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import shapely
from sqlalchemy import func
from sqlmodel import Session, select

from geo.loaders import GridFeature, LoadResult, Refusal, same_geometry
from geo.metric import distance_m
from geo.repair import Repair, area_m2
from grid.clock import utcnow
from grid.errors import Conflict
from grid.hierarchy import ImportStats, derive_ancestors, parent_code
from grid.models import CODE_LENGTH, Area, AreaLevel, WorkerCell

#: a changed geometry whose centroid shifted further than this has moved (digitised again elsewhere,
#: or a new cell under an old code), rather than been redrawn along its edges
MOVE_THRESHOLD_M = 1.0
CODE_FORMAT = ("a district has 6 digits (310101), a street 9 (the district's and three more: 310101001), a "
               "community 12 (310101001002) and a cell 15 (310101001002007)")


def code_check(level: AreaLevel) -> Callable[[str], str | None]:
    """What is wrong with a code for this level (None: nothing), quoting the code format."""
    want = CODE_LENGTH[level]

    def check(code: str) -> str | None:
        if code.isdigit() and len(code) == want:
            return None
        return f"{code!r} is not a {want}-digit {level} code: {CODE_FORMAT}"

    return check


@dataclass(frozen=True)
class Existing:
    code: str
    name: str
    geometry: str  # GeoJSON
    derived: bool
    area_m2: float
    parent_code: str | None


@dataclass
class GridState:
    """The areas of one level as the preview read them, and the workers assigned to each (cells)."""

    level: AreaLevel
    areas: dict[str, Existing]
    workers: dict[str, int] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        rows = sorted((a.code, a.name, a.geometry, a.derived) for a in self.areas.values())
        return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()


def read_state(*, session: Session, level: AreaLevel) -> GridState:
    areas = {a.code: Existing(a.code, a.name, a.geometry, a.derived, a.area_m2, a.parent_code)
             for a in session.exec(select(Area).where(Area.level == level))}
    workers: dict[str, int] = {}
    if level == AreaLevel.cell:
        workers = dict(session.exec(select(WorkerCell.cell_code, func.count()).group_by(WorkerCell.cell_code)).all())
    return GridState(level, areas, workers)


@dataclass
class Planned:
    """An area as the import will write it."""

    code: str
    name: str
    geometry: shapely.Geometry
    area_m2: float
    status: str  # added, changed, unchanged


@dataclass(frozen=True)
class Change:
    code: str
    name: str
    what: list[str]  # name, geometry, derived (the level's boundary replaces one derived from its children)
    name_before: str
    area_before_m2: float
    area_after_m2: float
    centroid_shift_m: float
    moved: bool


@dataclass(frozen=True)
class NotInFile:
    code: str
    name: str
    area_m2: float
    workers: int


@dataclass
class GridPreview:
    level: AreaLevel
    features: int  # in the file
    planned: list[Planned]
    changed: list[Change]
    not_in_file: list[NotInFile]
    refused: list[Refusal]
    repairs: list[Repair]
    overlaps: list[tuple[str, str, float]]
    overlap_mode: str
    blocked: str | None  # why this file cannot be applied as it is
    digest: str  # the file (as the caller names it) and the level's state: what apply must find again
    state_digest: str
    previous: dict[str, str] = field(default_factory=dict)  # a changed geometry's stored outline (GeoJSON)
    outlines: dict[str, str] = field(default_factory=dict)  # the stored outline of each area not in the file
    numbers: dict[str, int] = field(default_factory=dict)  # a feature's code → its number in the file

    @property
    def added(self) -> list[Planned]:
        return [p for p in self.planned if p.status == "added"]

    @property
    def unchanged(self) -> list[Planned]:
        return [p for p in self.planned if p.status == "unchanged"]

    def summary(self) -> dict[str, int]:
        return {"features": self.features, "added": len(self.added), "changed": len(self.changed),
                "moved": sum(c.moved for c in self.changed), "unchanged": len(self.unchanged),
                "not_in_file": len(self.not_in_file), "refused": len(self.refused), "repaired": len(self.repairs),
                "overlaps": len(self.overlaps)}

    def geojson(self) -> dict:
        """The preview for the map: the file's features marked added, changed or unchanged, the refused ones
        (with what geometry they have), the stored outline of each changed geometry (``before``) and the
        areas not in the file."""
        changes = {c.code: c for c in self.changed}
        features = []

        def add(geom: shapely.Geometry | str | None, **props: object) -> None:
            if isinstance(geom, str):
                geometry = json.loads(geom)
            elif geom is None or geom.is_empty or not all(map(math.isfinite, shapely.get_coordinates(geom).flat)):
                geometry = None
            else:
                geometry = json.loads(shapely.to_geojson(geom))
            features.append({"type": "Feature", "geometry": geometry, "properties": props})

        for p in self.planned:
            change = changes.get(p.code)
            add(p.geometry, code=p.code, name=p.name, status=p.status, feature=self.numbers.get(p.code),
                moved=bool(change and change.moved), reason=None)
        for code, geometry in self.previous.items():
            add(geometry, code=code, name=changes[code].name_before, status="before", feature=None, moved=False,
                reason=None)
        for r in self.refused:
            add(r.geometry, code=r.code, name=r.name, status="refused", feature=r.feature, moved=False, reason=r.reason)
        for missing in self.not_in_file:
            add(self.outlines.get(missing.code), code=missing.code, name=missing.name, status="not_in_file",
                feature=None, moved=False, reason=None)
        return {"type": "FeatureCollection", "features": features}


def preview_import(*, level: AreaLevel, loaded: LoadResult, state: GridState, source: str, overlap_mode: str,
                   progress: Callable[[int], None] | None = None) -> GridPreview:
    """What importing ``loaded`` (read with ``code_check(level)``) into ``state`` would do. Pure: no database.
    ``source`` names the file and the options it was read with (a digest); ``progress`` is told of each
    feature compared."""
    planned, changed, previous = [], [], {}
    for i, feature in enumerate(loaded.features):
        old = state.areas.get(feature.code)
        if old is None:
            planned.append(Planned(feature.code, feature.name, feature.geometry, area_m2(feature.geometry), "added"))
        else:
            before = shapely.from_geojson(old.geometry)
            what = ["name"] if old.name != feature.name else []
            if old.geometry != shapely.to_geojson(feature.geometry) and not same_geometry(before, feature.geometry):
                what.append("geometry")
            if old.derived:
                what.append("derived")
            after = area_m2(feature.geometry) if "geometry" in what else old.area_m2
            planned.append(Planned(feature.code, feature.name, feature.geometry, after,
                                   "changed" if what else "unchanged"))
            if what:
                shift = distance_m(before.centroid, feature.geometry.centroid) if "geometry" in what else 0.0
                changed.append(Change(feature.code, feature.name, what, old.name, old.area_m2, after,
                                      round(shift, 1), shift > MOVE_THRESHOLD_M))
                if "geometry" in what:
                    previous[feature.code] = old.geometry
        if progress:
            progress(i + 1)
    in_file = {f.code for f in loaded.features} | {r.code for r in loaded.refused}
    parents = {parent_code(f.code) for f in loaded.features}
    not_in_file = [NotInFile(a.code, a.name, a.area_m2, state.workers.get(a.code, 0))
                   for a in sorted(state.areas.values(), key=lambda a: a.code)
                   if a.code not in in_file and (level == AreaLevel.district or a.parent_code in parents)]
    blocked = None
    if loaded.overlaps and overlap_mode == "refuse":
        blocked = (f"{len(loaded.overlaps)} overlap(s) between features of the file, and overlaps are refused: fix "
                   "the file, or preview it again with overlaps cut (the earlier feature keeps the shared part)")
    elif not loaded.features:
        blocked = "no feature of the file can be imported: see why each was refused"
    digest = hashlib.sha256(f"{source}:{level}:{overlap_mode}:{state.digest}".encode()).hexdigest()
    return GridPreview(level, len(loaded.features) + len(loaded.refused), planned, changed, not_in_file,
                       loaded.refused, loaded.repairs, loaded.overlaps, overlap_mode, blocked, digest, state.digest,
                       previous, {m.code: state.areas[m.code].geometry for m in not_in_file}, dict(loaded.numbers))


def apply_import(*, session: Session, preview: GridPreview) -> ImportStats:
    """Write what the preview found to add and change, in the caller's transaction (nothing is committed
    here), then derive missing ancestors from their children. The level must still be in the state the
    preview read (else ``Conflict``, and nothing is written)."""
    if preview.blocked:
        raise Conflict(preview.blocked, code="grid_file_refused")
    current = read_state(session=session, level=preview.level)
    if current.digest != preview.state_digest:
        raise Conflict(f"the {preview.level}s changed since the preview (another import, or a grid generated): "
                       "preview the file again", code="grid_changed")
    rows = {a.code: a for a in session.exec(select(Area).where(Area.level == preview.level))}
    stats = ImportStats()
    now = utcnow()
    for p in preview.planned:
        if p.status == "unchanged":
            stats.unchanged += 1
            continue
        area = rows.get(p.code)
        if area is None:
            area = Area(code=p.code, level=preview.level, name=p.name, parent_code=parent_code(p.code), geometry="",
                        min_lng=0, min_lat=0, max_lng=0, max_lat=0)
            stats.added += 1
        else:
            stats.updated += 1
        area.name, area.derived, area.updated_at = p.name, False, now
        area.geometry = shapely.to_geojson(p.geometry)
        area.min_lng, area.min_lat, area.max_lng, area.max_lat = p.geometry.bounds
        area.area_m2 = p.area_m2
        session.add(area)
    session.flush()
    stats.derived = derive_ancestors(session=session, codes=[p.code for p in preview.planned])
    session.flush()
    return stats


def level_features(*, session: Session, level: AreaLevel) -> list[GridFeature]:
    """One level of the grid as features, for an export."""
    return [GridFeature(a.code, a.name, shapely.from_geojson(a.geometry))
            for a in session.exec(select(Area).where(Area.level == level).order_by(Area.code))]
