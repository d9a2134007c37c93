"""Case exports (issue 15): the cases a caller may see, with the case list's filters, as CSV, XLSX or GeoJSON,
written row by row so that memory stays flat however many cases match (1,000,000 and more).

The rows are read in batches by keyset on the case id, each batch in a transaction of its own that ends
before the batch is written out: a slow download never holds a transaction (on SQLite, a writer waiting on
it; on PostgreSQL, a connection idle in a transaction). The API (web/api/exports.py) and the CLI
(``gridops export tickets``) both stream what ``chunks`` yields.

The reporter's name and number are columns only for the roles that may see them in full
(dispatch.privacy.in_full): operators, shift leads and supervisors; a department too, filled for its cases
whose reporter did not ask to stay confidential (empty for those that did). Other roles, and the system,
get no such columns at all. Internal comments (the timeline) are never exported."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import Engine, and_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from dispatch import queries
from dispatch.lifecycle import STATES
from dispatch.models import SlaTimer, Status, Ticket
from dispatch.privacy import FULL, in_full
from grid.models import Category, Role
from grid.people import Actor

Format = Literal["csv", "xlsx", "geojson"]
Lang = Literal["zh", "en"]
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "geojson": "application/geo+json"}
BATCH = 5000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FREE_TEXT = frozenset({"address", "description", "contact_name"})
CHUNK = 1 << 16

# (key, zh-CN header, English header); the contact columns only for those who see them in full
COLUMNS = [
    ("case_number", "案件编号", "Case number"), ("status", "状态代码", "Status code"),
    ("status_label", "状态", "Status"), ("category_code", "类别代码", "Category code"),
    ("category_name", "类别", "Category"), ("urgency", "紧急程度", "Urgency"), ("source", "来源", "Source"),
    ("district_code", "区代码", "District code"), ("street_code", "街道代码", "Street code"),
    ("community_code", "社区代码", "Community code"), ("cell_code", "网格代码", "Cell code"),
    ("address", "地址", "Address"), ("lng", "经度", "Longitude"), ("lat", "纬度", "Latitude"),
    ("department_code", "处置部门", "Department"), ("created_at", "上报时间", "Reported at"),
    ("registered_at", "立案时间", "Registered at"), ("dispatched_at", "派遣时间", "Dispatched at"),
    ("resolved_at", "处置时间", "Resolved at"), ("closed_at", "结案时间", "Closed at"),
    ("on_time", "按时处置", "Handled on time"), ("support_count", "附议数", "Supports"),
    ("description", "问题描述", "Description"),
]
CONTACT_COLUMNS = [("contact_name", "上报人姓名", "Reporter's name"),
                   ("contact_phone", "上报人电话", "Reporter's phone")]
TIMES = ("created_at", "registered_at", "dispatched_at", "resolved_at", "closed_at")
YES_NO = {"zh": {True: "是", False: "否"}, "en": {True: "yes", False: "no"}}

_TICKET = [Ticket.id, Ticket.case_number, Ticket.status, Ticket.category_code, Ticket.urgency, Ticket.source,
           Ticket.district_code, Ticket.street_code, Ticket.community_code, Ticket.cell_code, Ticket.address,
           Ticket.lng, Ticket.lat, Ticket.department_code, *(getattr(Ticket, t) for t in TIMES),
           Ticket.support_count, Ticket.description, Ticket.contact_name, Ticket.contact_phone, Ticket.confidential]


@dataclass(frozen=True)
class Export:
    """What to export: whose cases (the actor's scope), which (the filters), headers' language, time zone."""

    actor: Actor
    filters: queries.TicketFilter
    timezone: ZoneInfo
    lang: Lang = "zh"

    @property
    def contacts(self) -> bool:
        """Whether the file has the reporter's name and number columns."""
        return self.actor.role in FULL or self.actor.role == Role.department

    def columns(self) -> list[tuple[str, str, str]]:
        return COLUMNS + (CONTACT_COLUMNS if self.contacts else [])

    def headers(self) -> list[str]:
        return [zh if self.lang == "zh" else en for _, zh, en in self.columns()]


def rows(engine: Engine, export: Export, *, batch: int = BATCH) -> Iterator[list[Any]]:
    """The export's rows, in case id order, as lists of cell values (times local, labels in the language).
    Each batch is read in a short transaction of its own (keyset on the id, never OFFSET). The filters are
    checked here, before the first row is asked for (a bad one is an error answer, not a broken file)."""
    with Session(engine) as session:
        condition = queries.ticket_condition(session=session, actor=export.actor, filters=export.filters)
        names = {code: (name if export.lang == "zh" else name_en)
                 for code, name, name_en in session.execute(select(Category.code, Category.name, Category.name_en))}
    return _rows(engine, export, condition, names, batch)


def _rows(engine: Engine, export: Export, condition: ColumnElement[bool], names: dict[str, str],
          batch: int) -> Iterator[list[Any]]:
    on_time = and_(col(SlaTimer.ticket_id) == Ticket.id, SlaTimer.stage == "handle")
    query = (select(*_TICKET, SlaTimer.fulfilled_at, SlaTimer.anchor_remaining_s)
             .outerjoin(SlaTimer, on_time).where(condition).order_by(col(Ticket.id)).limit(batch))
    labels = {s: (st.zh if export.lang == "zh" else st.en) for s, st in STATES.items()}
    yes_no, zone, role, contacts = YES_NO[export.lang], export.timezone, export.actor.role, export.contacts
    last = 0
    while True:
        with Session(engine) as session:
            found = session.execute(query.where(col(Ticket.id) > last)).all()
        for r in found:
            (_, number, status, category, urgency, source, district, street, community, cell, address, lng, lat,
             department, *stamps, supports, description, name, phone, confidential, fulfilled, left) = r
            status = Status(status)
            row = [number, status.value, labels[status], category, names.get(category, ""), urgency, str(source),
                   district, street, community, cell, address, lng, lat, department or "",
                   *(_local(t, zone) for t in stamps),
                   yes_no[left >= 0] if fulfilled is not None else "", supports, description]
            if contacts:
                row += [name, phone] if in_full(role, confidential=confidential) else ["", ""]
            yield row
        if len(found) < batch:
            return
        last = found[-1][0]


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat(" ", "seconds")[:19] if moment is not None else ""


def chunks(engine: Engine, export: Export, fmt: Format) -> Iterator[bytes]:
    """The file, in pieces of about 64 KiB (the filters are checked now, the rows read as the pieces are asked for)."""
    return write(fmt, export, rows(engine, export))


def write(fmt: Format, export: Export, lines: Iterable[list[Any]]) -> Iterator[bytes]:
    """``lines`` (from ``rows``) as a file in the format, in pieces."""
    return {"csv": _csv, "xlsx": _xlsx, "geojson": _geojson}[fmt](export, lines)


def _buffered(pieces: Iterable[str]) -> Iterator[bytes]:
    buffer, size = [], 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= CHUNK:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode()


def _csv(export: Export, lines: Iterable[list[Any]]) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark, so that Excel reads the Chinese as such."""
    out = io.StringIO()
    write = csv.writer(out).writerow
    out.write("\ufeff")
    write(export.headers())
    texts = _texts(export)
    for line in lines:
        for i in texts:
            line[i] = _inert(line[i])
        write(line)
        if out.tell() >= CHUNK:
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode()


def _texts(export: Export) -> list[int]:
    """Where the columns written by people are (codes, times and labels are the service's own)."""
    return [i for i, (key, _, _) in enumerate(export.columns()) if key in FREE_TEXT]


def _inert(value: str) -> str:
    """A text a spreadsheet would take for a formula (=, +, -, @ first: a citizen's description) kept as text,
    less the control characters a spreadsheet cannot hold."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value[:1] in FORMULA_START else value


def _geojson(export: Export, lines: Iterable[list[Any]]) -> Iterator[bytes]:
    """A FeatureCollection, one Point feature per case (WGS-84), written feature by feature."""
    keys = [key for key, _, _ in export.columns()]
    at_lng, at_lat = keys.index("lng"), keys.index("lat")

    def text() -> Iterator[str]:
        yield '{"type":"FeatureCollection","features":['
        sep = ""
        for line in lines:
            feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [line[at_lng], line[at_lat]]},
                       "properties": dict(zip(keys, line, strict=True))}
            yield sep + json.dumps(feature, ensure_ascii=False, separators=(",", ":"))
            sep = ",\n"
        yield "]}\n"

    return _buffered(text())


def _xlsx(export: Export, lines: Iterable[list[Any]]) -> Iterator[bytes]:
    """openpyxl in write-only mode (rows go to the file as they come), into a temporary file that is then sent
    in pieces and deleted."""
    from openpyxl import Workbook

    fd, path = tempfile.mkstemp(prefix="gridops-export-", suffix=".xlsx")
    os.close(fd)
    try:
        book = Workbook(write_only=True)
        sheet = book.create_sheet("案件" if export.lang == "zh" else "cases")
        sheet.append(export.headers())
        texts = _texts(export)
        for line in lines:
            for i in texts:
                line[i] = _inert(line[i])
            sheet.append(line)
        book.save(path)
        with open(path, "rb") as file:
            while piece := file.read(CHUNK):
                yield piece
    finally:
        os.unlink(path)


def file_name(fmt: Format, now: datetime, zone: ZoneInfo) -> str:
    return f"gridops-tickets-{now.astimezone(zone):%Y%m%d}.{fmt}"
