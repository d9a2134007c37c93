"""Evaluation (考评): the scheme's versions, scores with the cases behind every figure, their exports, and the
rectification items (整改) that poor results open."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from dispatch.evaluation import periods, rectify, scores
from dispatch.evaluation import scheme as schemes
from dispatch.evaluation.scheme import OBJECTS
from grid.clock import utcnow
from grid.errors import Forbidden, NotFound
from grid.models import Role
from grid.people import Actor
from web import evaluation_files as files
from web import seclog
from web.api import errors
from web.api.deps import ActorDep, SessionDep, SourceDep, StateDep, UnitDep
from web.db import reading
from web.seclog import SecurityKind

router = APIRouter(prefix="/api/v1/evaluation", tags=["evaluation"])
READERS = {Role.supervisor, Role.admin}
ObjectName = Literal["department", "district", "street", "community", "cell", "worker", "operator", "shift_lead",
                     "dispatcher"]
PeriodQuery = Annotated[str, Query(min_length=4, max_length=23, description=periods.HELP)]
INDICATOR_KEYS = sorted({k for part in OBJECTS.values() for k in part})


def _reader(actor: Actor) -> None:
    if actor.role not in READERS:
        raise Forbidden(f"evaluation is for supervisors and admins; you are a {actor.role}", code="evaluation_readers")


class PeriodOut(BaseModel):
    label: str
    from_: date = Field(alias="from")
    to: date
    start: datetime
    end: datetime
    complete: bool = Field(description="the period is over: its figures no longer change")

    model_config = {"populate_by_name": True}


class SchemeRef(BaseModel):
    version: int
    valid_from: date
    note: str


class FigureOut(BaseModel):
    key: str
    kind: Literal["rate", "count", "ratio"]
    lower_is_better: bool
    value: float | None = Field(description="rate: numerator / denominator; count; ratio: cases per cell")
    numerator: int
    denominator: int | None
    weight: float
    points: float | None = Field(description="the scheme's points for it; null: nothing to count")


class ResultOut(BaseModel):
    subject: str = Field(description="a department's or an area's code, or a person's user id")
    name: str
    name_en: str = Field(description="a department's English name; empty for areas and people")
    score: float | None = Field(description="null: nothing to count in the period")
    grade: Literal["A", "B", "C", "D", "E"] | None
    indicators: list[FigureOut]


class ScoresOut(BaseModel):
    object: str
    period: PeriodOut
    scheme: SchemeRef
    items: list[ResultOut]


def _period(text: str, state: Any) -> periods.Period:
    return periods.parse(text, state.options.timezone)


@router.get("/scores", response_model=ScoresOut, response_model_by_alias=True,
            responses=errors.responses(403, 422))
def get_scores(session: SessionDep, actor: ActorDep, state: StateDep, object: ObjectName,  # noqa: A002
               period: PeriodQuery) -> dict[str, Any]:
    """Every department, area (street / community / cell) or post (worker, operator, shift_lead, dispatcher)
    scored for the period, best first, with the scheme in force on the period's first day. Figures are counted
    from the case events before the period's end: the same period gives the same figures however often, and
    whatever happens afterwards."""
    _reader(actor)
    p = _period(period, state)
    version, results = scores.evaluate(session=reading(session), obj=object, period=p)
    return {"object": object, "period": p.as_dict(utcnow()),
            "scheme": {"version": version.version, "valid_from": version.valid_from, "note": version.note},
            "items": [{"subject": r.subject, "name": r.name, "name_en": r.name_en, "score": r.score, "grade": r.grade,
                       "indicators": [f.as_dict() for f in r.figures]} for r in results]}


class CaseRowOut(BaseModel):
    id: int
    case_number: str
    category_code: str
    status: str
    hit: bool = Field(description="counted in the numerator (for a rate: e.g. handled on time)")


class CasesOut(BaseModel):
    indicator: str
    kind: str
    value: float | None
    numerator: int
    denominator: int | None
    total: int
    items: list[CaseRowOut] = Field(description="at most 1,000, by case id")


@router.get("/cases", response_model=CasesOut, responses=errors.responses(403, 422))
def get_cases(session: SessionDep, actor: ActorDep, state: StateDep, object: ObjectName,  # noqa: A002
              subject: Annotated[str, Query(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")],
              indicator: Annotated[str, Query(min_length=1, max_length=32, pattern=r"^[a-z_]+$",
                                              description=", ".join(INDICATOR_KEYS))],
              period: PeriodQuery) -> dict[str, Any]:
    """The cases behind one figure: "按时处置率 87.5 % (35/40)" lists the 40 and marks the 35 (``hit``)."""
    _reader(actor)
    return scores.cases(session=reading(session), obj=object, subject=subject, indicator=indicator,
                        period=_period(period, state))


@router.get("/scores.{fmt}", response_class=Response,
            responses={200: {"content": {media.split(";")[0]: {} for media in files.MEDIA.values()},
                             "description": "the scores as a file"}, **errors.responses(403, 422)})
def export_scores(fmt: Annotated[Literal["csv", "xlsx"], Path()], session: SessionDep, actor: ActorDep,
                  state: StateDep, object: ObjectName, period: PeriodQuery,  # noqa: A002
                  lang: Literal["zh", "en"] = "zh") -> Response:
    """The scores as CSV (UTF-8 with a BOM, for Excel) or XLSX: per subject its score, grade, every figure and
    every figure's numerator/denominator, the scheme's version and the period."""
    _reader(actor)
    p = _period(period, state)
    version, results = scores.evaluate(session=reading(session), obj=object, period=p)
    data = files.write(fmt, files.table(results, version, p, lang), sheet="考评" if lang == "zh" else "evaluation")
    return Response(data, media_type=files.MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{files.file_name(object, p, fmt)}"'})


# --- schemes ---------------------------------------------------------------------------------------

class SchemeOut(BaseModel):
    version: int
    valid_from: date
    note: str
    created_by: str
    created_at: datetime
    body: dict[str, Any] = Field(description="grades, rectify_grades, rectify_days and per object its indicators")


class SchemeIn(BaseModel):
    valid_from: date = Field(description="the first day it applies (today or later)")
    note: str = Field(default="", max_length=200)
    body: dict[str, Any] = Field(description="as GET /evaluation/schemes returns it")


def _scheme_out(row: Any) -> dict[str, Any]:
    return {**row.model_dump(exclude={"body"}), "body": json.loads(row.body)}


@router.get("/schemes", response_model=list[SchemeOut], responses=errors.responses(403))
def list_schemes(session: SessionDep, actor: ActorDep, state: StateDep) -> list[dict[str, Any]]:
    """Every version of the evaluation scheme, newest first (the first is the default of DOMAIN.md)."""
    _reader(actor)
    rows = schemes.versions(session)
    if not rows:
        rows = [schemes.in_force(session, utcnow().astimezone(state.options.timezone).date())[0]]
    return [_scheme_out(r) for r in rows]


@router.post("/schemes", response_model=SchemeOut, status_code=201, responses=errors.responses(403, 422))
def save_scheme(body: SchemeIn, session: SessionDep, actor: ActorDep, state: StateDep, source: SourceDep,
                unit: UnitDep) -> dict[str, Any]:
    """A new version of the scheme (admin), in force from ``valid_from``: periods that begin on or after it are
    scored with it, earlier ones keep theirs. On the security log."""
    if actor.role != Role.admin:
        raise Forbidden(f"only an admin may change the evaluation scheme; you are a {actor.role}")
    today = utcnow().astimezone(state.options.timezone).date()
    with unit:
        row = schemes.save(session=session, body=body.body, valid_from=body.valid_from, today=today, note=body.note,
                           by=actor.username)
        seclog.record_change(session, kind=SecurityKind.evaluation_scheme_change, source=source, actor=actor,
                             subject=f"evaluation_scheme:{row.version}", before=None,
                             after={"version": row.version, "valid_from": row.valid_from.isoformat(),
                                    "note": row.note})
    return _scheme_out(row)


# --- rectification ---------------------------------------------------------------------------------

class NextOut(BaseModel):
    period: str
    score: float | None
    grade: str | None
    value: float | None = Field(description="the indicator's figure in the next period (for an indicator's item)")


class RectificationOut(BaseModel):
    id: int
    object: str
    subject: str
    subject_name: str
    owner: str = Field(description="who must act: a department's code, or a street's")
    period: str
    scheme_version: int
    reason: str = Field(description="grade, or the indicator under (or over) its threshold")
    grade: str
    score: float
    indicator: str
    value: float | None
    threshold: float | None
    due_on: date
    state: Literal["open", "closed"]
    account: str
    closed_by: str
    closed_at: datetime | None
    created_at: datetime
    next: NextOut | None = None


def _owner_scope(actor: Actor) -> str | None:
    """A department sees and closes its own items; supervisors and admins all of them."""
    if actor.role == Role.department:
        return actor.department_code or "-"
    if actor.role in READERS:
        return None
    raise Forbidden(f"rectification items are for supervisors, admins and the departments; you are a {actor.role}",
                    code="evaluation_readers")


@router.get("/rectifications", response_model=list[RectificationOut], responses=errors.responses(403))
def list_rectifications(session: SessionDep, actor: ActorDep, state: StateDep,
                        status: Literal["open", "closed", "all"] = "open") -> list[dict[str, Any]]:
    """Rectification items (open: until closed with an account), each with the next period's figure beside it."""
    owner = _owner_scope(actor)
    return rectify.listed(session=reading(session), state=status, owner=owner, tz=state.options.timezone)


@router.post("/rectifications/open", response_model=list[RectificationOut], status_code=201,
             responses=errors.responses(403, 422))
def open_rectifications(session: SessionDep, actor: ActorDep, state: StateDep, unit: UnitDep,
                        period: PeriodQuery) -> list[dict[str, Any]]:
    """Open the items a finished period calls for: every department, street and community graded in the
    scheme's ``rectify_grades`` (D, E), or with an indicator past its threshold. Once each; the scheduler
    does this for each month when it ends."""
    _reader(actor)
    items = rectify.due_items(session=reading(session), period=_period(period, state), now=utcnow())
    session.rollback()  # (the results read; the items written in a short transaction of their own)
    with unit:
        made = rectify.open_items(session=session, items=items)
    return [m.model_dump() for m in made]


class CloseIn(BaseModel):
    account: str = Field(min_length=1, max_length=4000, description="what was done to fix it")


@router.post("/rectifications/{item_id}/close", response_model=RectificationOut,
             responses=errors.responses(403, 404, 409, 422))
def close_rectification(item_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: CloseIn, session: SessionDep,
                        actor: ActorDep, unit: UnitDep) -> dict[str, Any]:
    """Close an item with the written account of what was done (its owner department, a supervisor or an admin)."""
    owner = _owner_scope(actor)
    with unit:
        item = session.get(rectify.Rectification, item_id)
        if item is not None and owner is not None and item.owner != owner:
            raise NotFound(f"no rectification item {item_id}", code="rectification_unknown")
        item = rectify.close(session=session, item_id=item_id, account=body.account, by=actor.username, now=utcnow())
    return item.model_dump()
