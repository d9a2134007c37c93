"""Open data (/open/v1, 数据开放): the anonymised cases as CSV and GeoJSON, and their statistics. No account.

What is published and what is not: ``dispatch.opendata``. Every route is rate-limited per client address like
the public API (``web.api.public.limited``). An answer is computed at most once per
``Settings.open_data_cache_seconds`` per query, in this process: the statistics kept in memory, the files
written to a temporary file in batches (memory stays flat for a city's year) and sent from it in chunks. Each
answer carries ``Cache-Control: public, max-age=…`` and an ETag; ``If-None-Match`` with it gets 304."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, BinaryIO

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from dispatch import opendata
from grid.clock import utcnow
from grid.errors import InvalidInput
from web.api import errors
from web.api.deps import SessionDep, StateDep
from web.api.public import LIMITED, Address
from web.state import AppState

MAX_DAYS = 366
DEFAULT_DAYS = 30
MAX_ENTRIES = 64  # queries kept per process; the oldest goes first
CHUNK = 64 * 1024
router = APIRouter(prefix="/open/v1", tags=["open data"], responses={**LIMITED, **errors.responses(422)})


# --- the cache ---------------------------------------------------------------------------------------

@dataclass
class Entry:
    etag: str
    made: float  # time.monotonic()
    body: bytes | None = None  # small answers
    path: str | None = None  # files: a temporary file, removed when the entry goes

    def drop(self) -> None:
        if self.path:
            with contextlib.suppress(OSError):
                os.unlink(self.path)  # (a response still sending it keeps its open handle)


class OpenCache:
    """Answers by query, each kept ``seconds``; one computation per query at a time."""

    def __init__(self) -> None:
        self._entries: dict[tuple, Entry] = {}
        self._builders = [threading.Lock() for _ in range(16)]  # a query's, by its hash: a bounded set of locks
        self._lock = threading.Lock()

    def get(self, key: tuple, seconds: float, build: Callable[[], Entry]) -> Entry:
        with self._builders[hash(key) % len(self._builders)]:
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None and time.monotonic() - entry.made < seconds:
                    return entry
            fresh = build()
            with self._lock:
                old = self._entries.pop(key, None)
                if old is not None:
                    old.drop()
                now = time.monotonic()
                for stale in [k for k, e in self._entries.items() if now - e.made >= seconds]:
                    self._entries.pop(stale).drop()
                while len(self._entries) >= MAX_ENTRIES:
                    self._entries.pop(next(iter(self._entries))).drop()
                if seconds > 0:
                    self._entries[key] = fresh
            return fresh


_made = threading.Lock()


def cache_of(state: AppState) -> OpenCache:
    """The app's cache (one per AppState: a test's fresh state starts empty)."""
    with _made:
        cache = getattr(state, "open_data_cache", None)
        if cache is None:
            cache = state.open_data_cache = OpenCache()  # type: ignore[attr-defined]
        return cache


def _etag(digest: str) -> str:
    return f'"{digest[:32]}"'


def _matches(request: Request, etag: str) -> bool:
    wanted = request.headers.get("if-none-match")
    if not wanted:
        return False
    tags = {t.strip().removeprefix("W/") for t in wanted.split(",")}
    return "*" in tags or etag in tags


def _headers(entry: Entry, seconds: float) -> dict[str, str]:
    left = max(0, int(seconds - (time.monotonic() - entry.made)))
    return {"ETag": entry.etag, "Cache-Control": f"public, max-age={left}"}


# --- the query ---------------------------------------------------------------------------------------

def period(state: AppState, start: date | None, end: date | None, category: str | None, area: str | None
           ) -> opendata.Query:
    today = utcnow().astimezone(state.options.timezone).date()
    end = end or (min(start + timedelta(days=DEFAULT_DAYS - 1), today) if start else today)
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise InvalidInput(f"the period starts ({start}) after it ends ({end})", code="bad_period", field="from")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput(f"a period is at most {MAX_DAYS} days; {start} to {end} is {(end - start).days + 1}",
                           code="period_too_long", field="to", limit=MAX_DAYS)
    code = (category or "").strip().upper() or None
    return opendata.Query(start=start, end=end, category=code, area=(area or "").strip() or None)


From = Annotated[date | None, Query(alias="from", description="first local date of the period (reported on or "
                                    f"after); default: {DEFAULT_DAYS} days before `to`")]
To = Annotated[date | None, Query(alias="to", description=f"last local date of the period (included); default "
                                  f"today; a period is at most {MAX_DAYS} days")]
CategoryQ = Annotated[str | None, Query(pattern=r"^\s*[A-Za-z](\d{2}(\d{2})?)?\s*$", description="a kind letter "
                                        "(C components, E events), a major class (E01) or a minor class (E0101)")]
AreaQ = Annotated[str | None, Query(pattern=r"^\s*\d{6}(\d{3}){0,3}\s*$", description="an area code of any level: "
                                    "district (6 digits), street (9), community (12) or cell (15)")]


# --- the answers -------------------------------------------------------------------------------------

class CountsOut(BaseModel):
    reported: int = Field(description="published cases reported in the period")
    closed: int = Field(description="… of which closed")
    handled: int = Field(description="… of which handled by the department (its handling finished)")
    on_time: int = Field(description="… of which handled within the limit")
    closure_rate: float | None = Field(description="closed / reported; null when none")
    on_time_rate: float | None = Field(description="on_time / handled; null when none")


class CategoryCountsOut(CountsOut):
    code: str
    name: str
    name_en: str


class StreetCountsOut(CountsOut):
    code: str
    name: str


class DayCountsOut(BaseModel):
    date: date
    reported: int
    closed: int = Field(description="of the day's reported cases, those closed now")


class OpenStatsOut(CountsOut):
    from_: date = Field(alias="from")
    to: date
    category: str | None
    area: str | None
    min_age_days: float = Field(description="cases that are not closed are published once this many days old")
    categories: list[CategoryCountsOut] = Field(description="the 10 minor classes with most cases")
    streets: list[StreetCountsOut]
    days: list[DayCountsOut] = Field(description="per local day reported (days without cases left out)")


def _cases(session, state: AppState, query: opendata.Query) -> Iterator[dict]:  # noqa: ANN001
    return opendata.cases(session=session, query=query, tz=state.options.timezone, now=utcnow(),
                          min_age=timedelta(days=state.settings.open_data_min_age_days))


def _to_file(write: Callable[[BinaryIO, Callable[[bytes], None]], None]) -> Entry:
    digest = hashlib.sha256()
    handle, path = tempfile.mkstemp(prefix="gridops-open-")
    try:
        with os.fdopen(handle, "wb") as out:

            def put(data: bytes) -> None:
                digest.update(data)
                out.write(data)

            write(out, put)
    except BaseException:
        os.unlink(path)
        raise
    return Entry(etag=_etag(digest.hexdigest()), made=time.monotonic(), path=path)


def _file_answer(request: Request, state: AppState, key: tuple, build: Callable[[], Entry], media_type: str,
                 filename: str) -> Response:
    seconds = state.settings.open_data_cache_seconds
    entry = cache_of(state).get(key, seconds, build)
    headers = _headers(entry, seconds)
    if _matches(request, entry.etag):
        return Response(status_code=304, headers=headers)
    source = open(entry.path, "rb")  # noqa: SIM115 (closed by the stream) — opened before the entry may go

    def chunks() -> Iterator[bytes]:
        with source:
            while data := source.read(CHUNK):
                yield data
        if seconds <= 0:  # not cached: the file was this answer's own
            entry.drop()

    headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return StreamingResponse(chunks(), media_type=media_type, headers=headers)


def _name(query: opendata.Query, ext: str) -> str:
    return f"gridops-cases-{query.start}-{query.end}.{ext}"


@router.get("/stats", response_model=OpenStatsOut, responses={304: {"description": "not modified (If-None-Match)"}})
def stats(request: Request, session: SessionDep, state: StateDep, _: Address, start: From = None, end: To = None,
          category: CategoryQ = None, area: AreaQ = None) -> Response:
    """The period's figures: reported, closed, closure and on-time rates, per minor class (top 10), per street
    and per day. Cases that are void, merged or rejected are left out."""
    query = period(state, start, end, category, area)

    def build() -> Entry:
        figures = opendata.stats(session=session, query=query, tz=state.options.timezone, now=utcnow(),
                                 min_age=timedelta(days=state.settings.open_data_min_age_days))
        body = OpenStatsOut.model_validate(figures).model_dump_json(by_alias=True).encode()
        return Entry(etag=_etag(hashlib.sha256(body).hexdigest()), made=time.monotonic(), body=body)

    seconds = state.settings.open_data_cache_seconds
    entry = cache_of(state).get(("stats", query), seconds, build)
    headers = _headers(entry, seconds)
    if _matches(request, entry.etag):
        return Response(status_code=304, headers=headers)
    return Response(entry.body, media_type="application/json", headers=headers)


@router.get("/cases.csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "UTF-8 with a BOM, one case a row"},
                       304: {"description": "not modified (If-None-Match)"}})
def cases_csv(request: Request, session: SessionDep, state: StateDep, _: Address, start: From = None,
              end: To = None, category: CategoryQ = None, area: AreaQ = None) -> Response:
    """The period's published cases as CSV (columns: ``dispatch.opendata.FIELDS``; on_time true/false/empty)."""
    query = period(state, start, end, category, area)

    def write(_out: BinaryIO, put: Callable[[bytes], None]) -> None:
        text = io.StringIO()
        rows = csv.writer(text, lineterminator="\r\n")
        put("\ufeff".encode())
        rows.writerow(opendata.FIELDS)
        for n, case in enumerate(_cases(session, state, query), 1):
            on_time = case["on_time"]
            case["on_time"] = "" if on_time is None else str(on_time).lower()
            rows.writerow(["" if case[f] is None else case[f] for f in opendata.FIELDS])
            if n % opendata.BATCH == 0:
                put(text.getvalue().encode())
                text.seek(0)
                text.truncate()
        put(text.getvalue().encode())

    return _file_answer(request, state, ("csv", query), lambda: _to_file(write), "text/csv; charset=utf-8",
                        _name(query, "csv"))


@router.get("/cases.geojson", response_class=StreamingResponse,
            responses={200: {"content": {"application/geo+json": {}}, "description": "a FeatureCollection: "
                             "a Point at the centre of the case's cell, the other fields as properties"},
                       304: {"description": "not modified (If-None-Match)"}})
def cases_geojson(request: Request, session: SessionDep, state: StateDep, _: Address, start: From = None,
                  end: To = None, category: CategoryQ = None, area: AreaQ = None) -> Response:
    """The period's published cases as GeoJSON: each a Point at its cell's centroid (never the reported point)."""
    query = period(state, start, end, category, area)

    def write(_out: BinaryIO, put: Callable[[bytes], None]) -> None:
        put(b'{"type":"FeatureCollection","features":[')
        for n, case in enumerate(_cases(session, state, query)):
            lng, lat = case.pop("lng"), case.pop("lat")
            feature = {"type": "Feature", "id": case["case_number"],
                       "geometry": {"type": "Point", "coordinates": [lng, lat]} if lng is not None else None,
                       "properties": case}
            put((b"," if n else b"") + b"\n" + json.dumps(feature, ensure_ascii=False).encode())
        put(b"\n]}\n")

    return _file_answer(request, state, ("geojson", query), lambda: _to_file(write), "application/geo+json",
                        _name(query, "geojson"))
