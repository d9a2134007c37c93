"""The evaluation scheme (考评方案) as data: per object its indicators, weights, bands and the thresholds that
open a rectification, and the grade limits. Stored as versions in ``evaluation_scheme``; the first version
is the default below (``default_scheme.json``, after DOMAIN.md "Evaluation")."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from dispatch.models import EvaluationScheme
from grid.errors import Conflict, InvalidInput, NotFound

DEFAULT_FILE = Path(__file__).with_name("default_scheme.json")

#: Every object evaluated, and the indicators the engine counts for it (dispatch.evaluation.indicators).
#: ``kind``: rate (hits / rows), count (rows) or ratio (rows per cell); ``lower``: lower is better.
OBJECTS: dict[str, dict[str, tuple[str, bool]]] = {
    "department": {"cases": ("count", True), "closure_rate": ("rate", False), "on_time_rate": ("rate", False),
                   "rework_rate": ("rate", True), "returns": ("count", True), "extensions": ("count", True),
                   "suspensions": ("count", True), "satisfaction_rate": ("rate", False)},
    "area": {"cases": ("count", True), "closure_rate": ("rate", False), "on_time_close_rate": ("rate", False),
             "cases_per_cell": ("ratio", True), "public_found_rate": ("rate", True)},
    "worker": {"reports": ("count", False), "valid_report_rate": ("rate", False),
               "verify_on_time_rate": ("rate", False), "check_on_time_rate": ("rate", False),
               "missed_rate": ("rate", True)},
    "operator": {"intake": ("count", False), "valid_intake_rate": ("rate", False), "callback_rate": ("rate", False)},
    "shift_lead": {"register_on_time_rate": ("rate", False), "accurate_register_rate": ("rate", False),
                   "close_on_time_rate": ("rate", False)},
    "dispatcher": {"dispatches": ("count", False), "dispatch_on_time_rate": ("rate", False),
                   "accurate_dispatch_rate": ("rate", False)},
}
#: the area levels are scored with the ``area`` part of the scheme
AREA_LEVELS = ("district", "street", "community", "cell")
GRADES = ("A", "B", "C", "D", "E")


class Band(BaseModel):
    """Points for a count: the first band whose ``max`` (≤) or ``min`` (≥) holds."""

    model_config = ConfigDict(extra="forbid")
    max: float | None = Field(default=None, ge=0)
    min: float | None = Field(default=None, ge=0)
    points: float = Field(ge=0, le=100)

    @model_validator(mode="after")
    def _one_limit(self) -> Band:
        if (self.max is None) == (self.min is None):
            raise ValueError("a band has either max or min")
        return self

    def holds(self, value: float) -> bool:
        return value <= self.max if self.max is not None else value >= self.min


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(max_length=32)
    weight: float = Field(default=0, ge=0, le=100, description="points for a rate: weight × rate (or × (1 − rate) "
                                                                   "when lower is better)")
    bands: list[Band] = Field(default_factory=list, max_length=20, description="points for a count or ratio")
    otherwise: float = Field(default=0, ge=0, le=100, description="points when no band holds")
    rectify_below: float | None = Field(default=None, ge=0, description="a value under this opens a rectification")
    rectify_above: float | None = Field(default=None, ge=0, description="a value over this opens a rectification")

    def max_points(self) -> float:
        return self.weight + max([b.points for b in self.bands] + [self.otherwise if self.bands else 0])


class ObjectScheme(BaseModel):
    model_config = ConfigDict(extra="forbid")
    indicators: list[Indicator] = Field(min_length=1, max_length=20)


class Scheme(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grades: dict[Literal["A", "B", "C", "D"], float] = Field(
        description="the lowest score of each grade; below D is E")
    rectify_grades: list[Literal["A", "B", "C", "D", "E"]] = Field(default_factory=lambda: ["D", "E"])
    rectify_days: int = Field(default=15, ge=1, le=366, description="days after the period's end to fix and account")
    objects: dict[Literal["department", "area", "worker", "operator", "shift_lead", "dispatcher"], ObjectScheme]

    @model_validator(mode="after")
    def _sound(self) -> Scheme:
        limits = [self.grades.get(g) for g in GRADES[:4]]
        if None in limits or any(a <= b for a, b in zip(limits, limits[1:], strict=False)):
            raise ValueError("grades A > B > C > D must each have a lower limit, in that order")
        for name, part in self.objects.items():
            known = OBJECTS[name]
            seen = set()
            for ind in part.indicators:
                if ind.key not in known:
                    raise ValueError(f"{name} has no indicator {ind.key!r}; it has: {', '.join(known)}")
                if ind.key in seen:
                    raise ValueError(f"{name}.{ind.key} appears twice")
                seen.add(ind.key)
                kind = known[ind.key][0]
                if kind == "rate" and ind.bands:
                    raise ValueError(f"{name}.{ind.key} is a rate: give it a weight, not bands")
                if kind != "rate" and ind.weight:
                    raise ValueError(f"{name}.{ind.key} is a {kind}: give it bands, not a weight")
            total = sum(i.max_points() for i in part.indicators)
            if abs(total - 100) > 1e-6:
                raise ValueError(f"{name}'s indicators give at most {total:g} points; they must give 100")
        return self

    def part(self, obj: str) -> ObjectScheme | None:
        return self.objects.get("area" if obj in AREA_LEVELS else obj)  # type: ignore[call-overload]

    def grade(self, score: float) -> str:
        for g in GRADES[:4]:
            if score >= self.grades[g]:  # type: ignore[index]
                return g
        return "E"


def default_body() -> dict:
    return json.loads(DEFAULT_FILE.read_text(encoding="utf-8"))


def parse(body: dict) -> Scheme:
    """A scheme from its JSON, or a 422 naming the first problem."""
    try:
        return Scheme.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        msg = first["msg"].removeprefix("Value error, ")
        raise InvalidInput(f"{where + ': ' if where else ''}{msg}", code="scheme_invalid", field=where or "body",
                           problem=msg) from None


def canonical(scheme: Scheme) -> str:
    return json.dumps(scheme.model_dump(exclude_defaults=False), ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))


def versions(session: Session) -> list[EvaluationScheme]:
    return list(session.exec(select(EvaluationScheme).order_by(col(EvaluationScheme.version).desc())))


def _default_version() -> EvaluationScheme:
    return EvaluationScheme(version=1, valid_from=date(2000, 1, 1), body=canonical(parse(default_body())),
                            note="default (DOMAIN.md)", created_by="system")


def ensure_default(session: Session) -> None:
    """The default as version 1, valid from the beginning, when no version exists yet (a new database)."""
    if session.exec(select(EvaluationScheme.version).limit(1)).first() is None:
        session.add(_default_version())
        session.flush()


def in_force(session: Session, day: date) -> tuple[EvaluationScheme, Scheme]:
    """The version in force on ``day``: the latest whose ``valid_from`` is on or before it."""
    row = session.exec(select(EvaluationScheme).where(EvaluationScheme.valid_from <= day)
                       .order_by(col(EvaluationScheme.valid_from).desc(), col(EvaluationScheme.version).desc())
                       ).first()
    if row is None:
        if session.exec(select(EvaluationScheme.version).limit(1)).first() is None:  # not saved yet
            default = _default_version()
            return default, Scheme.model_validate_json(default.body)
        raise NotFound(f"no evaluation scheme is in force on {day}", code="no_scheme", day=day.isoformat())
    return row, Scheme.model_validate_json(row.body)


def save(*, session: Session, body: dict, valid_from: date, today: date, note: str, by: str) -> EvaluationScheme:
    """A new version, in force from ``valid_from`` (today or later: a period already begun keeps the scheme
    it was scored with)."""
    if valid_from < today:
        raise InvalidInput(f"a new scheme applies from today ({today}) or later, not {valid_from}: periods already "
                           "begun keep their scheme", code="scheme_retroactive", field="valid_from",
                           today=today.isoformat())
    scheme = parse(body)
    ensure_default(session)
    last = session.exec(select(func.max(EvaluationScheme.version))).one()
    row = EvaluationScheme(version=last + 1, valid_from=valid_from, body=canonical(scheme), note=note, created_by=by)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # another admin saved version last + 1 at the same moment
        raise Conflict(f"another version {last + 1} was saved at the same moment; reload and try again",
                       code="scheme_saved_meanwhile") from None
    return row
