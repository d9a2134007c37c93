"""The grid for administrators (issue 13): upload a grid file and see what it would do before anything
changes, apply it with a background job, follow the job, export the grid in the formats the import reads.

Preview and apply take the same multipart form (the file and how to read it); apply also takes the preview's
id and imports only what that preview showed (``web.background.gridjobs``)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import PurePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, Response, UploadFile
from pydantic import BaseModel, Field

from grid.errors import Forbidden, InvalidInput, NotFound
from grid.gridimport import GridPreview, level_features
from grid.models import AreaLevel, Role, User
from grid.people import Actor
from web.api import errors
from web.api.deps import ActorDep, SessionDep, SourceDep, StateDep, UnitDep
from web.background.gridjobs import (
    SUFFIXES,
    GenerateOptions,
    GridFileOptions,
    preview_generated,
    preview_upload,
    start_grid_apply,
    start_grid_generate,
)
from web.background.jobs import settle_stale
from web.models import Job

router = APIRouter(prefix="/api/v1", tags=["grid admin"])
MAX_FILE_BYTES = 200_000_000  # the upload limit of the app (web.api.guard) usually comes first


def _admin(actor: ActorDep) -> Actor:
    if actor.role != Role.admin:
        raise Forbidden(f"only an admin may import or export the grid; you are a {actor.role}")
    return actor


AdminDep = Annotated[Actor, Depends(_admin)]
FieldName = Annotated[str, Form(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")]


class RepairOut(BaseModel):
    feature: int = Field(description="its number in the file, from 1")
    code: str
    problem: str = Field(description="what was wrong, e.g. 'the boundary crosses itself'")
    fix: str = Field(description="what the repair did")
    lng: float | None = Field(description="where (WGS-84), when the geometry check says")
    lat: float | None
    area_before_m2: float
    area_after_m2: float
    message: str = Field(description="all of it in one sentence")


class RefusalOut(BaseModel):
    feature: int
    code: str
    name: str
    kind: Literal["no_code", "bad_code", "duplicate_code", "no_geometry", "not_polygon", "unrepairable", "covered"]
    reason: str


class AddedOut(BaseModel):
    code: str
    name: str
    area_m2: float


class ChangeOut(BaseModel):
    code: str
    name: str
    what: list[Literal["name", "geometry", "derived"]] = Field(
        description="what changes: the name, the geometry, or a boundary derived from the children replaced")
    name_before: str
    area_before_m2: float
    area_after_m2: float
    centroid_shift_m: float
    moved: bool = Field(description="the centroid shifted more than a metre")


class NotInFileOut(BaseModel):
    code: str
    name: str
    area_m2: float
    workers: int = Field(description="grid workers assigned to it")


class OverlapOut(BaseModel):
    a: str
    b: str
    area_m2: float


class SummaryOut(BaseModel):
    features: int
    added: int
    changed: int
    moved: int
    unchanged: int
    not_in_file: int
    refused: int
    repaired: int
    overlaps: int


class PreviewProperties(BaseModel):
    code: str
    name: str
    status: Literal["added", "changed", "unchanged", "before", "refused", "not_in_file"]
    feature: int | None
    moved: bool
    reason: str | None


class PreviewFeature(BaseModel):
    type: Literal["Feature"]
    geometry: dict[str, Any] | None = Field(description="GeoJSON geometry in WGS-84; null when the feature has none")
    properties: PreviewProperties


class PreviewCollection(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[PreviewFeature]


class GridPreviewOut(BaseModel):
    preview_id: str = Field(description="send it with the same file to /grid/apply")
    level: AreaLevel
    file: str
    overlaps_mode: Literal["report", "refuse", "clip"]
    can_apply: bool
    blocked: str | None = Field(description="why the file cannot be applied as it is")
    summary: SummaryOut
    added: list[AddedOut]
    changed: list[ChangeOut]
    not_in_file: list[NotInFileOut] = Field(description="areas of the file's parents it does not hold: an import "
                                                        "never deletes an area, these stay as they are")
    refused: list[RefusalOut]
    repairs: list[RepairOut]
    overlaps: list[OverlapOut]
    geojson: PreviewCollection


class JobOut(BaseModel):
    id: int
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    done: int
    total: int
    message: str = Field(description="why it failed")
    result: dict[str, Any] = Field(description="its summary when done (for grid_apply: added, changed, ...)")
    created_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def _options(file: UploadFile, level: AreaLevel, code_field: str, name_field: str, crs: str | None,
             layer: str | None, overlaps: str) -> tuple[bytes, GridFileOptions]:
    name = PurePath((file.filename or "").replace("\\", "/")).name[:200]
    if PurePath(name).suffix.lower() not in SUFFIXES:
        raise InvalidInput(f"{name or 'the file'} is not a grid file this service reads: send GeoJSON (.geojson or "
                           ".json), a zipped Shapefile (.zip holding the .shp, .shx, .dbf and .prj) or a GeoPackage "
                           "(.gpkg)", code="unsupported_grid_file", field="file")
    data = file.file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_FILE_BYTES // 1_000_000} MB; split it by street",
                           code="too_large", limit_bytes=MAX_FILE_BYTES)
    if not data:
        raise InvalidInput(f"{name} is empty", field="file")
    return data, GridFileOptions(name, level, code_field, name_field, crs or None, layer or None, overlaps)


def _out(preview: GridPreview, file: str) -> GridPreviewOut:
    return GridPreviewOut(
        preview_id=preview.digest, level=preview.level, file=file, overlaps_mode=preview.overlap_mode,
        can_apply=preview.blocked is None, blocked=preview.blocked, summary=SummaryOut(**preview.summary()),
        added=[AddedOut(code=p.code, name=p.name, area_m2=p.area_m2) for p in preview.added],
        changed=[ChangeOut(**vars(c)) for c in preview.changed],
        not_in_file=[NotInFileOut(**vars(m)) for m in preview.not_in_file],
        refused=[RefusalOut(feature=r.feature, code=r.code, name=r.name, kind=r.kind, reason=r.reason)
                 for r in preview.refused],
        repairs=[RepairOut(**vars(r), message=r.message) for r in preview.repairs],
        overlaps=[OverlapOut(a=a, b=b, area_m2=area) for a, b, area in preview.overlaps],
        geojson=PreviewCollection(**preview.geojson()))


FileParam = Annotated[UploadFile, File(description="GeoJSON, a zipped Shapefile or a GeoPackage")]
LevelParam = Annotated[AreaLevel, Form(description="the level the file holds")]
CrsParam = Annotated[str | None, Form(max_length=64, description="the file's CRS when it declares none (EPSG:4549), "
                                                                "or gcj02 / bd09 for data digitised on AMap / Baidu")]
LayerParam = Annotated[str | None, Form(max_length=128, description="the layer of a GeoPackage")]
OverlapsParam = Annotated[Literal["report", "refuse", "clip"], Form(
    description="overlapping features: report (listed, imported as they are), refuse (the file cannot be applied) "
                "or clip (a feature loses what it shares with features before it in the file)")]
GRID_ERRORS = errors.responses(invalid_input="a file that cannot be read, no such field, a wrong CRS (error "
                                             "grid_file_error), or not a grid file (unsupported_grid_file)")


@router.post("/grid/preview", response_model=GridPreviewOut, responses=GRID_ERRORS)
def preview(
    actor: AdminDep, session: SessionDep, file: FileParam, level: LevelParam = AreaLevel.cell,
    code_field: FieldName = "code", name_field: FieldName = "name", crs: CrsParam = None, layer: LayerParam = None,
    overlaps: OverlapsParam = "report",
) -> GridPreviewOut:
    """What importing the file would do (admin), changing nothing: the areas it adds, changes (name and/or
    geometry, area before → after, centroid shift; moved past a metre) and leaves unchanged, the areas of its
    parents it does not hold (never deleted), the repairs made, the features refused and why, the overlaps;
    and all of it as GeoJSON for the map."""
    data, options = _options(file, level, code_field, name_field, crs, layer, overlaps)
    return _out(preview_upload(session, data, options), options.filename)


@router.post("/grid/apply", response_model=JobOut, status_code=202,
             responses=GRID_ERRORS)
def apply(
    actor: AdminDep, state: StateDep, session: SessionDep, unit: UnitDep, source: SourceDep, file: FileParam,
    preview_id: Annotated[str, Form(pattern=r"^[0-9a-f]{64}$", description="the id of the preview to apply")],
    level: LevelParam = AreaLevel.cell, code_field: FieldName = "code", name_field: FieldName = "name",
    crs: CrsParam = None, layer: LayerParam = None, overlaps: OverlapsParam = "report",
) -> JobOut:
    """Import the previewed file (admin): the same file and options, and the preview's id. Starts a job (202);
    follow it at /jobs/{id}. It imports in one transaction exactly what the preview showed, or nothing and says
    why (the file, its options or the grid changed since)."""
    data, options = _options(file, level, code_field, name_field, crs, layer, overlaps)
    job = start_grid_apply(state.engine, session=session, unit=unit, data=data, options=options, expect=preview_id,
                           actor=actor, source=source)
    return _job_out(job, actor.username)


class GenerateIn(BaseModel):
    area_code: str = Field(pattern=r"^[0-9]{6}(?:[0-9]{3}){0,3}$",
                           description="a community's 12 digits, or a street's 9 for each of its communities")
    shape: Literal["square", "hex"] = "square"
    cell_area_m2: float = Field(10_000.0, ge=1_000, le=1_000_000, description="the cells' area in m² (1 ha = 10,000)")
    sliver_ratio: float = Field(0.2, ge=0, le=0.9, description="a piece the boundary leaves under this share of the "
                                                               "cell area is merged into a neighbour (0: keep all)")

    def options(self) -> GenerateOptions:
        return GenerateOptions(self.area_code, self.shape, self.cell_area_m2, self.sliver_ratio)


class GenerateApplyIn(GenerateIn):
    preview_id: str = Field(pattern=r"^[0-9a-f]{64}$", description="the id of the preview to apply")


GENERATE_ERRORS = errors.responses(invalid_input=(
    "unknown_area (no such area), not_generatable (not a community or a street), street_without_communities, "
    "too_many_cells (more than 999 in a community: cells, limit, least_m2), grid_generate_error, or a bad value"))


@router.post("/grid/generate/preview", response_model=GridPreviewOut, responses=GENERATE_ERRORS)
def generate_preview(body: GenerateIn, actor: AdminDep, session: SessionDep) -> GridPreviewOut:
    """What generating cells over a community (or each community of a street) would do (admin), changing
    nothing: square or hexagonal cells of the given area clipped to its boundary, numbered under its code row by
    row from the north-west (001–999), slivers merged; previewed against the cells there are, as an upload is
    (the same options over the same boundary preview no change)."""
    options = body.options()
    seen, _ = preview_generated(session, options)
    return _out(seen, f"{options.shape} {options.cell_area_m2:g} m² → {options.area_code}")


@router.post("/grid/generate/apply", response_model=JobOut, status_code=202, responses=GENERATE_ERRORS)
def generate_apply(body: GenerateApplyIn, actor: AdminDep, state: StateDep, session: SessionDep, unit: UnitDep,
                   source: SourceDep) -> JobOut:
    """Generate the previewed cells (admin): the same options and the preview's id. Starts a job (202) like
    /grid/apply: it generates again and imports exactly what the preview showed, or nothing and says why."""
    options = body.options()
    options.plan(session)  # a refusal (an unknown area, too many cells) is the request's, not the job's
    session.commit()
    job = start_grid_generate(state.engine, session=session, unit=unit, options=options, expect=body.preview_id,
                              actor=actor, source=source)
    return _job_out(job, actor.username)


def _job_out(job: Job, created_by: str | None) -> JobOut:
    return JobOut(id=job.id, kind=job.kind, status=job.status, done=job.done, total=job.total, message=job.message,
                  result=json.loads(job.result or "{}"), created_by=created_by, created_at=job.created_at,
                  started_at=job.started_at, finished_at=job.finished_at)


@router.get("/jobs/{job_id}", response_model=JobOut, responses=errors.responses(not_found="no such job"))
def job(job_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep, unit: UnitDep,
        _: AdminDep) -> JobOut:
    """A job an admin started: how far it is (done of total), and how it ended (result, or why it failed). A job
    whose app process stopped mid-way (no heartbeat for a minute) is failed, ``result.error`` saying so."""
    with unit:
        row = session.get(Job, job_id)
        if row is None:
            raise NotFound(f"no job {job_id}", code="unknown_job", job_id=job_id)
        settle_stale(session, row)
    user = session.get(User, row.created_by) if row.created_by else None
    return _job_out(row, user.username if user else None)


EXPORT_TYPES = {"geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3", "shp": "application/zip"}


@router.get("/grid/export", response_class=Response,
            responses={200: {"content": {media: {} for media in EXPORT_TYPES.values()},
                             "description": "the file: GeoJSON, GeoPackage, or a zipped Shapefile"}})
def export(session: SessionDep, _: AdminDep, level: AreaLevel = AreaLevel.cell,
           fmt: Annotated[Literal["geojson", "gpkg", "shp"], Query(alias="format")] = "geojson") -> Response:
    """One level of the grid as a file the import reads (admin): code and name fields, WGS-84."""
    from geo.writers import FORMATS, write_grid_file  # (geopandas: loaded when a file is written)

    features = level_features(session=session, level=level)
    session.commit()  # the rows are read: let the transaction go while the file is written
    name = f"gridops-{level}"
    data = write_grid_file(features, fmt=fmt, name=name)
    _, suffix, media = FORMATS[fmt]
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}{suffix}"'})

