"""Case exports: GET /api/v1/exports/tickets.{csv,xlsx,geojson}, the case list's filters and scope (web.exports)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from grid.clock import utcnow
from web import exports
from web.api import errors
from web.api.deps import ActorDep, SessionDep, StateDep
from web.api.tickets import FilterDep

router = APIRouter(prefix="/api/v1/exports", tags=["exports"])


@router.get("/tickets.{fmt}", response_class=StreamingResponse,
            responses={200: {"content": {media: {} for media in exports.MEDIA.values()},
                             "description": "the file: CSV (UTF-8 with a BOM), Excel (XLSX) or GeoJSON (Points)"},
                       **errors.responses(403)})
def export_tickets(
    fmt: Annotated[Literal["csv", "xlsx", "geojson"], Path(description="csv, xlsx or geojson")],
    session: SessionDep, state: StateDep, actor: ActorDep, filters: FilterDep,
    lang: Annotated[Literal["zh", "en"], Query(description="the headers' and labels' language")] = "zh",
) -> StreamingResponse:
    """The cases the caller may see (a department its own, a grid worker those of its cells) that match the case
    list's filters, in case number order, streamed: every case, however many. The reporter's name and number
    are columns only for those who see them in full (operators, shift leads, supervisors; a department, for
    its cases that are not confidential). Times are local (GRIDOPS_TIMEZONE)."""
    zone = state.options.timezone
    export = exports.Export(actor=actor, filters=filters, timezone=zone, lang=lang)
    session.rollback()  # the caller is known: the rows are read in short transactions of their own
    name = exports.file_name(fmt, utcnow(), zone)
    return StreamingResponse(exports.chunks(state.engine, export, fmt), media_type=exports.MEDIA[fmt],
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})
