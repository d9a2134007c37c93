"""SLA policies: the time limit of each timed stage (by category, major class and urgency), its basis
(working or natural hours) and the escalation ladder; the defaults where no policy row says otherwise (in
hours, or in working days of the stage's calendar)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from dispatch.lifecycle import STAGES
from dispatch.models import SlaPolicy
from grid import refcache
from grid.errors import InvalidInput, UnknownCategory
from grid.models import Category, TimeBasis, Urgency

#: (limit hours, basis) of the centre's stages when no policy row says otherwise.
DEFAULT_LIMITS: dict[str, tuple[float, str]] = {
    "verify": (0.5, "working"), "register": (1.0, "working"), "dispatch": (1.0, "working"),
    "accept": (1.0, "working"), "check": (0.5, "working"), "close": (1.0, "working"),
    # a bad rating's review (复核): one working day (of 8 hours)
    "review": (8.0, "working"),
}
#: The stages whose default limit is a number of working days, counted on the calendar the stage runs on (the
#: department's for the rectification): whole working days of that calendar whatever its hours, holidays skipped
#: and make-up days counted — 15 days are 120 working hours on an 8-hour calendar, 105 on a 7-hour one. The
#: rework after a reopen (整改): 15 working days. A policy row for the stage (in hours) replaces it.
DEFAULT_WORKING_DAYS: dict[str, float] = {"rectify": 15.0}
DEFAULT_LADDER: dict[str, Any] = {
    "yellow_ratio": 0.8,
    "yellow": ["owner"],
    "red": ["owner_leader", "dispatchers"],
    "overdue_every_hours": 4,
    "overdue": ["supervisors"],
    "max_overdue_steps": 12,
}

@dataclass(frozen=True)
class Limit:
    """A stage's limit: ``seconds`` of its basis, or (``days`` set) that many working days of the calendar the
    timer runs on, which ``dispatch.sla`` turns into seconds with the calendar's length of a working day."""

    seconds: float
    basis: str
    ladder: dict[str, Any]
    source: str
    days: float | None = None


def policy_for(*, session: Session, stage: str, category: Category, urgency: str) -> Limit:
    categories = (category.code, category.major_code, "")
    rows = [p for p in refcache.cached(session, "sla_policies", lambda s: refcache.rows(s, SlaPolicy))
            if p.stage == stage and p.category in categories and p.urgency in (urgency, "")]
    if rows:
        best = max(rows, key=lambda r: (len(r.category), bool(r.urgency)))
        ladder = {**DEFAULT_LADDER, **json.loads(best.ladder)} if best.ladder else DEFAULT_LADDER
        return Limit(best.limit_hours * 3600, best.basis, ladder, f"policy #{best.id}")
    if stage == "handle":
        hours = getattr(category, f"limit_hours_{urgency}", category.limit_hours_normal)
        return Limit(hours * 3600, str(category.time_basis), DEFAULT_LADDER, f"category {category.code}")
    if stage in DEFAULT_WORKING_DAYS:
        days = DEFAULT_WORKING_DAYS[stage]
        return Limit(days * 8 * 3600, "working", DEFAULT_LADDER, "default", days=days)
    hours, basis = DEFAULT_LIMITS[stage]
    return Limit(hours * 3600, basis, DEFAULT_LADDER, "default")


LADDER_GROUPS = ("owner", "owner_leader", "department", "department_leader", "cell_workers", "dispatchers",
                 "shift_leads", "supervisors")


def check_ladder(ladder: Any) -> None:
    """Refuse a ladder the escalation pass could not follow, with what to write instead."""
    if not isinstance(ladder, dict):
        raise InvalidInput("ladder must be an object, e.g. {\"yellow\": [\"owner\"], \"overdue_every_hours\": 4}",
                           field="ladder")
    unknown = sorted(set(ladder) - set(DEFAULT_LADDER))
    if unknown:
        raise InvalidInput(f"unknown ladder keys {', '.join(unknown)}; keys are {', '.join(DEFAULT_LADDER)}",
                           field="ladder")
    ratio = ladder.get("yellow_ratio", DEFAULT_LADDER["yellow_ratio"])
    if isinstance(ratio, bool) or not (isinstance(ratio, int | float) and 0 < ratio < 1):
        raise InvalidInput("yellow_ratio must be between 0 and 1", field="ladder")
    for key in ("yellow", "red", "overdue"):
        groups = ladder.get(key, DEFAULT_LADDER[key])
        if not isinstance(groups, list) or any(g not in LADDER_GROUPS for g in groups):
            raise InvalidInput(f"ladder {key!r} must be a list of groups from {', '.join(LADDER_GROUPS)}",
                               field="ladder")
    every = ladder.get("overdue_every_hours", DEFAULT_LADDER["overdue_every_hours"])
    if isinstance(every, bool) or not isinstance(every, int | float) or not 0 <= every <= 24 * 366:
        raise InvalidInput("overdue_every_hours must be a number of working hours (0: no repeats)", field="ladder")
    steps = ladder.get("max_overdue_steps", DEFAULT_LADDER["max_overdue_steps"])
    if isinstance(steps, bool) or not isinstance(steps, int) or not 0 <= steps <= 1000:
        raise InvalidInput("max_overdue_steps must be a whole number from 0 to 1000", field="ladder")


def find_policy(session: Session, *, stage: str, category: str = "", urgency: str = "") -> SlaPolicy | None:
    """The policy row with these keys (what ``set_policy`` would replace), or None."""
    category = (category or "").strip().upper()
    return session.exec(select(SlaPolicy).where(SlaPolicy.stage == stage, SlaPolicy.category == category,
                                                SlaPolicy.urgency == urgency)).first()


def set_policy(*, session: Session, stage: str, limit_hours: float, basis: str = "working", category: str = "",
               urgency: str = "", ladder: dict[str, Any] | None = None, note: str = "") -> SlaPolicy:
    if stage not in STAGES:
        raise InvalidInput(f"unknown stage {stage!r}; stages are {', '.join(STAGES)}", field="stage")
    if basis not in TimeBasis.__members__:
        raise InvalidInput("basis must be working or natural", field="basis")
    if not 0 < limit_hours <= 24 * 366:
        raise InvalidInput("limit_hours must be more than 0 and at most a year", field="limit_hours")
    if urgency and urgency not in Urgency.__members__:
        raise InvalidInput(f"unknown urgency {urgency!r}; use one of {', '.join(Urgency)}", field="urgency")
    category = (category or "").strip().upper()
    if category and (len(category) not in (3, 5) or not session.exec(
            select(Category).where(col(Category.code).startswith(category))).first()):
        raise UnknownCategory(f"unknown category {category!r}: give a minor class (E0101) or a major class (E01)")
    if ladder is not None:
        check_ladder(ladder)
    row = find_policy(session, stage=stage, category=category, urgency=urgency) or SlaPolicy(
        stage=stage, category=category, urgency=urgency, limit_hours=limit_hours)
    row.limit_hours, row.basis, row.note = limit_hours, basis, note
    row.ladder = json.dumps(ladder) if ladder is not None else None
    session.add(row)
    session.flush()
    return row


