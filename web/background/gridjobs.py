"""Grid files uploaded to the service: read and previewed (in the request), then applied by a background job.

The file is not kept between the preview and the apply: the client sends it again with the preview's id
(the console still holds it), so no upload lies on a disk waiting to expire, and any process can take the
apply. The job reads it again and previews it again; the import runs only when that preview has the same id
(the same bytes, the same options, the level in the same state), else the job fails saying so.

The job is a ``Job`` row (web.models) and a thread of the app process. It writes its progress in short
transactions of its own while it reads and compares (on SQLite every transaction holds the write lock, so
nothing long is held open meanwhile), then imports in one transaction that also records it in the security
log and marks the job done: a failure leaves nothing written and the job says why.

Cells generated over a community or a street (``grid.gridgen``, the console's "generate") go the same way:
the generated cells are the features a file would give, previewed against the cells there are; the job
generates them again (the same options give the same cells) and imports them if the preview is the same."""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from geo.errors import GeoError
from geo.loaders import LoadResult, load_grid_file
from grid.clock import utcnow
from grid.errors import DomainError
from grid.gridgen import CommunityPlan, generated_load, plan_cells
from grid.gridimport import GridPreview, apply_import, code_check, preview_import, read_state
from grid.hierarchy import ImportStats
from grid.models import AreaLevel
from grid.people import Actor
from web import seclog
from web.background.jobs import run_with_heartbeat
from web.models import Job
from web.unit import Unit

log = logging.getLogger("gridops.jobs")
GRID_APPLY = "grid_apply"
GRID_GENERATE = "grid_generate"
SUFFIXES = (".geojson", ".json", ".zip", ".gpkg")


@dataclass(frozen=True)
class GridFileOptions:
    """How to read an uploaded grid file: its name (for its format), the level, the fields, the CRS."""

    filename: str
    level: AreaLevel
    code_field: str = "code"
    name_field: str = "name"
    crs: str | None = None
    layer: str | None = None
    overlaps: str = "report"

    def source(self, data: bytes) -> str:
        """The file and the options it is read with, as one digest."""
        options = json.dumps({k: str(v) for k, v in asdict(self).items() if k != "filename"}, sort_keys=True)
        return hashlib.sha256(data + b"\0" + options.encode()).hexdigest()


def load_upload(data: bytes, options: GridFileOptions) -> LoadResult:
    """Read the uploaded bytes as the file they were (GDAL reads files: they go to a temporary folder)."""
    suffix = Path(options.filename).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="gridops-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        loaded = load_grid_file(path, code_field=options.code_field, name_field=options.name_field, crs=options.crs,
                                layer=options.layer, overlaps=options.overlaps, code_check=code_check(options.level))
    return loaded


def preview_upload(session: Session, data: bytes, options: GridFileOptions) -> GridPreview:
    """The preview of an upload. The session's transaction is ended before the file is read and again once the
    level is read (on SQLite a transaction holds the write lock: not while a file is read or compared)."""
    session.commit()
    loaded = load_upload(data, options)
    state = read_state(session=session, level=options.level)
    session.commit()
    return preview_import(level=options.level, loaded=loaded, state=state, source=options.source(data),
                          overlap_mode=options.overlaps)


def _update(engine: Engine, job_id: int, **values: object) -> None:
    with Session(engine) as session, Unit(session):
        job = session.get(Job, job_id)
        for name, value in values.items():
            setattr(job, name, value)
        session.add(job)


def run_grid_apply(engine: Engine, *, job_id: int, data: bytes, options: GridFileOptions, expect: str,
                   actor: Actor, source: seclog.Source) -> None:
    """The job's work (the thread's target; tests may call it directly)."""

    def describe(preview: GridPreview, stats: ImportStats) -> dict:
        return {"file": options.filename, "level": str(options.level), "sha256": hashlib.sha256(data).hexdigest(),
                **_counts(preview, stats), "overlap_mode": options.overlaps}

    _run_import(engine, job_id=job_id, level=options.level, load=lambda: load_upload(data, options),
                source_digest=options.source(data), overlaps=options.overlaps, expect=expect, describe=describe,
                record=(seclog.SecurityKind.grid_import, f"grid:{options.level}"), actor=actor, source=source,
                what="the file, its options or the grid are not what was previewed", again="preview the file again")


def _counts(preview: GridPreview, stats: ImportStats) -> dict:
    return {"features": preview.features, "added": stats.added, "changed": stats.updated,
            "unchanged": stats.unchanged, "removed": 0,  # an import never removes an area
            "not_in_file": len(preview.not_in_file), "refused": len(preview.refused),
            "repaired": len(preview.repairs), "overlaps": len(preview.overlaps), "parents_derived": len(stats.derived)}


def _run_import(engine: Engine, *, job_id: int, level: AreaLevel, load: Callable[[], LoadResult], source_digest: str,
                overlaps: str, expect: str, describe: Callable[[GridPreview, ImportStats], dict],
                record: tuple[seclog.SecurityKind, str], actor: Actor, source: seclog.Source, what: str,
                again: str) -> None:
    """Load the features again, preview them again, and import them if that preview is the one expected."""
    _update(engine, job_id, status="running", started_at=utcnow())
    try:
        loaded = load()
        total = len(loaded.features) + 1  # every feature compared, then the import itself
        _update(engine, job_id, total=total)
        step = max(1, total // 20)
        with Session(engine) as session:
            state = read_state(session=session, level=level)

        def progress(done: int) -> None:
            if done % step == 0:
                _update(engine, job_id, done=done)

        preview = preview_import(level=level, loaded=loaded, state=state, source=source_digest,
                                 overlap_mode=overlaps, progress=progress)
        if preview.digest != expect:
            raise DomainError(f"{what} (preview id {expect[:12]}…, now {preview.digest[:12]}…): {again} and apply "
                              "that", code="preview_outdated")
        with Session(engine, expire_on_commit=False) as session, Unit(session):
            stats = apply_import(session=session, preview=preview)
            result = describe(preview, stats)
            if stats.added or stats.updated or stats.derived:
                seclog.record(session, kind=record[0], source=source, actor=actor, subject=record[1],
                              detail={**result, "job": job_id})
            job = session.get(Job, job_id)
            job.status, job.done, job.total, job.finished_at = "done", total, total, utcnow()
            job.result = json.dumps(result, ensure_ascii=False)
            session.add(job)
    except DomainError as exc:  # the result names it by code, for the console to say in its language
        _update(engine, job_id, status="failed", message=exc.message, finished_at=utcnow(),
                result=json.dumps({"error": exc.code, **exc.details}, ensure_ascii=False, default=str))
    except GeoError as exc:
        _update(engine, job_id, status="failed", message=str(exc), finished_at=utcnow(),
                result=json.dumps({"error": "invalid_geometry"}))
    except Exception as exc:  # the job must say it ended, whatever ended it
        log.exception("grid job %s failed", job_id)
        _update(engine, job_id, status="failed", finished_at=utcnow(), result=json.dumps({"error": "job_failed"}),
                message=f"the import failed unexpectedly ({type(exc).__name__}: {exc}); nothing was written")


def _start(engine: Engine, *, session: Session, unit: Unit, kind: str, actor: Actor, target: Callable[..., None],
           **kwargs: object) -> Job:
    """Queue a job (committed in ``unit``) and start its thread once it is."""
    with unit:
        job = Job(kind=kind, status="queued", created_by=actor.user_id)
        session.add(job)
        session.flush()
    thread = threading.Thread(target=run_with_heartbeat, name=f"{kind.replace('_', '-')}-{job.id}", daemon=True,
                              args=(engine, job.id, target),
                              kwargs={"engine": engine, "job_id": job.id, "actor": actor, **kwargs})
    thread.start()
    return job


def start_grid_apply(engine: Engine, *, session: Session, unit: Unit, data: bytes, options: GridFileOptions,
                     expect: str, actor: Actor, source: seclog.Source) -> Job:
    """Queue the job (committed in ``unit``) and start its thread once it is."""
    return _start(engine, session=session, unit=unit, kind=GRID_APPLY, actor=actor, target=run_grid_apply,
                  data=data, options=options, expect=expect, source=source)


@dataclass(frozen=True)
class GenerateOptions:
    """Cells to generate over a community or each community of a street (``grid.gridgen``)."""

    area_code: str
    shape: str = "square"
    cell_area_m2: float = 10_000.0
    sliver_ratio: float = 0.2

    def source(self) -> str:
        return hashlib.sha256(json.dumps({"generate": asdict(self)}, sort_keys=True).encode()).hexdigest()

    def plan(self, session: Session, read: Callable[[], None] | None = None) -> list[CommunityPlan]:
        return plan_cells(session=session, area_code=self.area_code, shape=self.shape, cell_area_m2=self.cell_area_m2,
                          sliver_ratio=self.sliver_ratio, existing="compare", read=read)


def preview_generated(session: Session, options: GenerateOptions) -> tuple[GridPreview, list[CommunityPlan]]:
    """The preview of generated cells against the cells there are (the upload's preview: the cells are the
    features a file would give it)."""
    state = None

    def read() -> None:
        nonlocal state
        state = read_state(session=session, level=AreaLevel.cell)
        session.commit()  # not held while the cells are made and compared

    plans = options.plan(session, read)
    return preview_import(level=AreaLevel.cell, loaded=generated_load(plans), state=state, source=options.source(),
                          overlap_mode="report"), plans


def run_grid_generate(engine: Engine, *, job_id: int, options: GenerateOptions, expect: str, actor: Actor,
                      source: seclog.Source) -> None:
    """The generate job's work: the cells made again, previewed again and imported (tests may call it)."""
    communities: list[str] = []

    def load() -> LoadResult:
        with Session(engine) as session:
            plans = options.plan(session, session.commit)
        communities.extend(p.code for p in plans)
        return generated_load(plans)

    def describe(preview: GridPreview, stats: ImportStats) -> dict:
        return {"area": options.area_code, "shape": options.shape, "cell_area_m2": options.cell_area_m2,
                "sliver_ratio": options.sliver_ratio, "communities": communities, **_counts(preview, stats)}

    _run_import(engine, job_id=job_id, level=AreaLevel.cell, load=load, source_digest=options.source(),
                overlaps="report", expect=expect, describe=describe,
                record=(seclog.SecurityKind.grid_generate, f"grid:{options.area_code}"), actor=actor, source=source,
                what="the cells there are, or the boundary, changed since the preview", again="preview again")


def start_grid_generate(engine: Engine, *, session: Session, unit: Unit, options: GenerateOptions, expect: str,
                        actor: Actor, source: seclog.Source) -> Job:
    return _start(engine, session=session, unit=unit, kind=GRID_GENERATE, actor=actor, target=run_grid_generate,
                  options=options, expect=expect, source=source)
