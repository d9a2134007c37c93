"""The address gazetteer: reverse geocoding (point → nearest address), search, and an admin's import."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from geo.crs import normalize_crs, to_wgs84
from grid import addresses
from grid.errors import Forbidden, InvalidInput
from grid.models import Address, Role
from grid.people import Actor
from web import seclog
from web.api import errors
from web.api.deps import ActorDep, SessionDep, SourceDep, StateDep, UnitDep

router = APIRouter(prefix="/api/v1", tags=["addresses"])


class AddressOut(BaseModel):
    id: int
    kind: str = Field(description="address (a door number on a road), building or poi")
    name: str = Field(description="as shown, e.g. 中山南路123号")
    road: str
    number: str
    lng: float
    lat: float
    cell_code: str | None


class NearestOut(BaseModel):
    address: AddressOut
    distance_m: float = Field(description="metres from the point, along the WGS-84 ellipsoid")


def _out(row: Address) -> AddressOut:
    return AddressOut(**row.model_dump(include=set(AddressOut.model_fields)))


@router.get("/addresses/nearest", response_model=NearestOut | None)
def nearest(session: SessionDep, _: ActorDep, lat: str, lng: str,
            crs: Annotated[str | None, Query(description="wgs84 (default), gcj02, bd09 or cgcs2000")] = None,
            radius_m: Annotated[float, Query(ge=1, le=1000, description="how far to look, in metres")
                                ] = addresses.NEAREST_RADIUS_M) -> NearestOut | None:
    """The nearest address within ``radius_m`` (150 m unless given) of a point, with its distance; null when
    none is that near."""
    wlng, wlat = to_wgs84(lng, lat, normalize_crs(crs))
    found = addresses.nearest(session=session, lng=wlng, lat=wlat, radius_m=radius_m)
    return None if found is None else NearestOut(address=_out(found.address), distance_m=round(found.distance_m, 1))


@router.get("/addresses", response_model=list[AddressOut])
def search(session: SessionDep, _: ActorDep,
           q: Annotated[str, Query(description="part of a name, a road or a door number; every word must appear")]
           ) -> list[AddressOut]:
    """Up to 20 addresses whose name holds every word of ``q``, shortest names first."""
    return [_out(row) for row in addresses.search(session=session, q=q)]


class ImportProblemOut(BaseModel):
    row: int = Field(description="the CSV's line (the header is line 1), or the GeoJSON feature's position")
    reason: str


class AddressImportOut(BaseModel):
    added: int
    replaced: int = Field(description="earlier entries of the same source removed first")
    source: str
    dry_run: bool


MAX_FILE_BYTES = 20_000_000


def _admin(actor: ActorDep) -> Actor:
    """The caller, an admin (a dependency: refused before the upload is read)."""
    if actor.role != Role.admin:
        raise Forbidden(f"only an admin may import addresses; you are a {actor.role}")
    return actor


AdminDep = Annotated[Actor, Depends(_admin)]


@router.post("/addresses/import", response_model=AddressImportOut,
             responses=errors.responses(invalid_input="a bad file, or bad rows (error address_rows_refused, each in "
                                                      "`rows` with its reason): nothing was written"))
async def import_file(
    session: SessionDep, actor: AdminDep, state: StateDep, source: SourceDep, unit: UnitDep,
    file: Annotated[UploadFile, File(description="CSV (name, kind, road, number, lng, lat, optional crs) or "
                                                 "GeoJSON points (properties name, kind, road, number)")],
    crs: Annotated[str | None, Form(description="wgs84 (default), gcj02 or bd09: rows without a crs of their own")
                   ] = None,
    dry_run: Annotated[bool, Form(description="check and count only; write nothing")] = False,
) -> AddressImportOut:
    """Import a gazetteer file (admin): every row is checked and placed in its cell; a file with a bad row is
    refused whole with each bad row and its reason. The file's earlier import (same file name) is replaced."""
    data = await file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_FILE_BYTES // 1_000_000} MB; split it",
                           code="too_large", limit_bytes=MAX_FILE_BYTES)
    name = (file.filename or "upload").rsplit("/", 1)[-1]

    def run() -> addresses.ImportResult:
        parsed = addresses.read_file(data, filename=name, crs=crs, index=state.index.get(session))
        with unit:
            result = addresses.import_addresses(session=session, parsed=parsed, source=name, dry_run=dry_run)
            if not dry_run:
                seclog.record(session, kind=seclog.SecurityKind.address_import, source=source, actor=actor,
                              subject=f"addresses:{result.source}",
                              detail={"file": name, "added": result.added, "replaced": result.replaced})
        return result

    result = await run_in_threadpool(run)
    return AddressImportOut(added=result.added, replaced=result.replaced, source=result.source, dry_run=dry_run)
