"""Scores: the scheme's points for each indicator's figure, a subject's score and grade, and the cases behind
a figure. One grouped query per indicator, whatever the number of cases or subjects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from dispatch.evaluation import indicators as ind
from dispatch.evaluation.periods import Period
from dispatch.evaluation.scheme import AREA_LEVELS, OBJECTS, Indicator, Scheme, in_force
from dispatch.models import EvaluationScheme, Ticket
from grid.errors import InvalidInput
from grid.models import CODE_LENGTH, Area, AreaLevel, Department, User

OBJECT_NAMES = ("department", *AREA_LEVELS, "worker", "operator", "shift_lead", "dispatcher")


@dataclass
class Figure:
    key: str
    kind: str  # rate | count | ratio
    lower_is_better: bool
    rows: int = 0
    hits: int = 0
    cells: int | None = None  # ratio: the area's cells
    weight: float = 0.0
    points: float | None = None  # None: not scored (a rate with nothing to count)

    @property
    def value(self) -> float | None:
        if self.kind == "rate":
            return self.hits / self.rows if self.rows else None
        if self.kind == "ratio":
            return self.rows / self.cells if self.cells else None
        return float(self.rows)

    def as_dict(self) -> dict[str, Any]:
        v = self.value
        return {"key": self.key, "kind": self.kind, "lower_is_better": self.lower_is_better,
                "value": round(v, 6) if v is not None else None,
                "numerator": self.hits if self.kind == "rate" else self.rows,
                "denominator": self.rows if self.kind == "rate" else self.cells,
                "weight": self.weight, "points": round(self.points, 4) if self.points is not None else None}


@dataclass
class Result:
    subject: str
    name: str
    figures: list[Figure] = field(default_factory=list)
    name_en: str = ""
    score: float | None = None
    grade: str | None = None

    def figure(self, key: str) -> Figure | None:
        return next((f for f in self.figures if f.key == key), None)


def object_kind(obj: str) -> str:
    if obj not in OBJECT_NAMES:
        raise InvalidInput(f"no object {obj!r} to evaluate; objects are: {', '.join(OBJECT_NAMES)}",
                           code="evaluation_object_unknown", field="object", value=obj[:32])
    return "area" if obj in AREA_LEVELS else obj


def window(obj: str, period: Period) -> ind.Window:
    return ind.Window(period.start, period.end, obj if obj in AREA_LEVELS else "street")


def _subjects(session: Session, obj: str) -> dict[str, str | tuple[str, str]]:
    """Everyone and everything of the kind, by subject key, with its name (scored even with nothing to count)."""
    if obj == "department":
        return {c: (n, e) for c, n, e in session.execute(select(Department.code, Department.name, Department.name_en)
                                                          .order_by(Department.code)).all()}
    if obj in AREA_LEVELS:
        return dict(session.execute(select(Area.code, Area.name).where(Area.level == AreaLevel(obj))
                                    .order_by(Area.code)).all())
    rows = session.execute(select(User.id, User.display_name, User.username).where(User.role == obj)
                           .order_by(User.id)).all()
    return {str(i): (d or u) for i, d, u in rows}


def _cells(session: Session, obj: str) -> dict[str, int]:
    n = CODE_LENGTH[AreaLevel(obj)]
    key = func.substr(Area.code, 1, n)
    return {k: c for k, c in session.execute(select(key, func.count()).where(Area.level == AreaLevel.cell)
                                             .group_by(key)).all()}


def _points(spec: Indicator, fig: Figure) -> float | None:
    fig.weight = spec.weight
    value = fig.value
    if fig.kind == "rate":
        if not spec.weight:
            return 0.0
        if value is None:
            return None
        return spec.weight * ((1 - value) if fig.lower_is_better else value)
    if not spec.bands:
        return 0.0
    if value is None:
        return None
    return next((b.points for b in spec.bands if b.holds(value)), spec.otherwise)


def _score(scheme: Scheme, result: Result, specs: list[Indicator]) -> None:
    """The bands' points plus the weighted rates' points; a rate with nothing to count (no denominator)
    leaves the weighting, the others stand for it in proportion. Nothing to count at all: no score."""
    banded = weighted = weight_all = weight_counted = 0.0
    for spec in specs:
        fig = result.figure(spec.key)
        pts = fig.points
        if fig.kind == "rate":
            weight_all += spec.weight
            if pts is not None and spec.weight:
                weighted += pts
                weight_counted += spec.weight
        elif pts is not None:
            banded += pts
    if weight_all and not weight_counted:
        return
    total = banded + (weighted / weight_counted * weight_all if weight_counted else 0.0)
    result.score = round(total, 2)
    result.grade = scheme.grade(result.score)


def evaluate(*, session: Session, obj: str, period: Period) -> tuple[EvaluationScheme, list[Result]]:
    """Every subject of the object scored for the period with the scheme in force on its first day, best first."""
    kind = object_kind(obj)
    version, scheme = in_force(session, period.first)
    part = scheme.part(obj)
    specs = part.indicators if part else []
    w = window(obj, period)
    names = _subjects(session, obj)
    results = {s: Result(s, n[0], name_en=n[1]) if isinstance(n, tuple) else Result(s, n) for s, n in names.items()}
    cells = _cells(session, obj) if kind == "area" else {}
    counts: dict[Any, dict] = {}  # one query per indicator function (cases and cases per cell share one)
    for spec in specs:
        lower = OBJECTS[kind][spec.key]
        function = ind.INDICATORS[kind][spec.key]
        if function not in counts:
            query = function(w).subquery("figure")
            counts[function] = {s: (n, h or 0) for s, n, h in session.execute(
                select(query.c.subject, func.count(), func.sum(query.c.hit)).group_by(query.c.subject)).all()}
        counted = counts[function]
        for subject in {*results, *counted}:
            if subject is None:
                continue
            result = results.setdefault(subject, Result(subject, subject))
            n, h = counted.get(subject, (0, 0))
            fig = Figure(spec.key, lower[0], lower[1], rows=int(n), hits=int(h),
                         cells=cells.get(subject) if lower[0] == "ratio" else None)
            fig.points = _points(spec, fig)
            result.figures.append(fig)
    for result in results.values():
        _score(scheme, result, specs)
    ordered = sorted(results.values(), key=lambda r: (r.score is None, -(r.score or 0), r.subject))
    return version, ordered


def cases(*, session: Session, obj: str, subject: str, indicator: str, period: Period,
          limit: int = 1000) -> dict[str, Any]:
    """The cases behind one figure: every counted row, ``hit`` when it counts in the numerator."""
    kind = object_kind(obj)
    if indicator not in ind.INDICATORS[kind]:
        raise InvalidInput(f"{obj} has no indicator {indicator!r}; it has: {', '.join(ind.INDICATORS[kind])}",
                           code="indicator_unknown", field="indicator", value=indicator[:32])
    query = ind.INDICATORS[kind][indicator](window(obj, period)).subquery("figure")
    mine = query.c.subject == subject
    total, hits = session.execute(select(func.count(), func.sum(query.c.hit)).where(mine)).one()
    rows = session.execute(
        select(Ticket.id, Ticket.case_number, Ticket.category_code, Ticket.status, query.c.hit)
        .select_from(query.join(Ticket, Ticket.id == query.c.ticket_id)).where(mine)
        .order_by(Ticket.id).limit(limit)).all()
    kind_of = OBJECTS[kind][indicator][0]
    return {"indicator": indicator, "kind": kind_of, "numerator": int(hits or 0) if kind_of == "rate" else int(total),
            "denominator": int(total) if kind_of == "rate" else None,
            "value": (int(hits or 0) / total if total else None) if kind_of == "rate" else float(total),
            "total": int(total),
            "items": [{"id": i, "case_number": n, "category_code": c, "status": str(s), "hit": bool(h)}
                      for i, n, c, s, h in rows]}
