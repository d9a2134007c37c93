"""Grid files uploaded to the service: read and previewed (in the request), then applied by a background job.

The file is not kept between the preview and the apply: the client sends it again with the preview's id
(the console still holds it), so no upload lies on a disk waiting to expire, and any process can take the
apply. The job reads it again and previews it again; the import runs only when that preview has the same id
(the same bytes, the same options, the level in the same state), else the job fails saying so.

The job is a ``Job`` row (web.models) and a thread of the app process. It writes its progress in short
transactions of its own while it reads and compares (on SQLite every transaction holds the write lock, so
nothing long is held open meanwhile), then imports in one transaction that also records it in the security
log and marks the job done: a failure leaves nothing written and the job says why."""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from geo.errors import GeoError
from geo.loaders import LoadResult, load_grid_file
from grid.clock import utcnow
from grid.errors import DomainError
from grid.gridimport import GridPreview, apply_import, code_check, preview_import, read_state
from grid.models import AreaLevel
from grid.people import Actor
from web import seclog
from web.models import Job
from web.unit import Unit

log = logging.getLogger("gridops.jobs")
GRID_APPLY = "grid_apply"
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
    _update(engine, job_id, status="running", started_at=utcnow())
    try:
        loaded = load_upload(data, options)
        total = len(loaded.features) + 1  # every feature compared, then the import itself
        _update(engine, job_id, total=total)
        step = max(1, total // 20)
        with Session(engine) as session:
            state = read_state(session=session, level=options.level)

        def progress(done: int) -> None:
            if done % step == 0:
                _update(engine, job_id, done=done)

        preview = preview_import(level=options.level, loaded=loaded, state=state, source=options.source(data),
                                 overlap_mode=options.overlaps, progress=progress)
        if preview.digest != expect:
            raise DomainError("the file, its options or the grid are not what was previewed (preview id "
                              f"{expect[:12]}…, now {preview.digest[:12]}…): preview the file again and apply that")
        with Session(engine, expire_on_commit=False) as session, Unit(session):
            stats = apply_import(session=session, preview=preview)
            result = {"file": options.filename, "level": str(options.level), "sha256": hashlib.sha256(data).hexdigest(),
                      "features": preview.features, "added": stats.added, "changed": stats.updated,
                      "unchanged": stats.unchanged, "removed": 0,  # an import never removes an area
                      "not_in_file": len(preview.not_in_file), "refused": len(preview.refused),
                      "repaired": len(preview.repairs), "overlaps": len(preview.overlaps),
                      "overlap_mode": options.overlaps, "parents_derived": len(stats.derived)}
            if stats.added or stats.updated or stats.derived:
                seclog.record(session, kind=seclog.SecurityKind.grid_import, source=source, actor=actor,
                              subject=f"grid:{options.level}", detail={**result, "job": job_id})
            job = session.get(Job, job_id)
            job.status, job.done, job.total, job.finished_at = "done", total, total, utcnow()
            job.result = json.dumps(result, ensure_ascii=False)
            session.add(job)
    except (DomainError, GeoError) as exc:
        _update(engine, job_id, status="failed", message=getattr(exc, "message", str(exc)), finished_at=utcnow())
    except Exception as exc:  # the job must say it ended, whatever ended it
        log.exception("grid apply job %s failed", job_id)
        _update(engine, job_id, status="failed", finished_at=utcnow(),
                message=f"the import failed unexpectedly ({type(exc).__name__}: {exc}); nothing was written")


def start_grid_apply(engine: Engine, *, session: Session, unit: Unit, data: bytes, options: GridFileOptions,
                     expect: str, actor: Actor, source: seclog.Source) -> Job:
    """Queue the job (committed in ``unit``) and start its thread once it is."""
    with unit:
        job = Job(kind=GRID_APPLY, status="queued", created_by=actor.user_id)
        session.add(job)
        session.flush()
    thread = threading.Thread(target=run_grid_apply, name=f"grid-apply-{job.id}", daemon=True,
                              kwargs={"engine": engine, "job_id": job.id, "data": data, "options": options,
                                      "expect": expect, "actor": actor, "source": source})
    thread.start()
    return job
