"""The supervisor's board (/board): counters, trend, top categories and cases per cell for a period."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from dispatch import board as figures
from dispatch.evaluation import periods
from grid.clock import utcnow
from grid.errors import Forbidden
from grid.models import Role
from web.api import errors
from web.api.deps import ActorDep, SessionDep, StateDep
from web.db import reading

router = APIRouter(prefix="/api/v1", tags=["evaluation"])
MAY_SEE = {Role.supervisor, Role.admin}

PeriodQ = Annotated[str | None, Query(max_length=32, pattern=r"^[0-9QW.-]{4,32}$", description=(
    "the period: 2026-11 (month), 2026-Q4, 2026-W47, 2026, 2026-11-29 (day) or 2026-11-01..2026-11-15; "
    "default: the current month (local)"))]


class PeriodOut(BaseModel):
    label: str
    from_: date = Field(alias="from", description="first local day")
    to: date = Field(description="last local day (included)")
    start: datetime = Field(description="the period's start, UTC (included)")
    end: datetime = Field(description="the period's end, UTC (excluded)")
    complete: bool = Field(description="the period is over: its figures no longer change")


class CountsOut(BaseModel):
    reported: int = Field(description="report acts (cases reported)")
    registered: int = Field(description="register acts (立案)")
    closed: int = Field(description="close acts (结案; a case closed again after a reopen counts again)")
    overdue: int = Field(description="distinct cases with an act that met its stage late")


class TodayOut(CountsOut):
    date: date
    open: int = Field(description="cases not in a final state, now")
    overdue_now: int = Field(description="open cases whose light is red now (sla_red_at <= now)")


class DayOut(BaseModel):
    date: date
    reported: int
    closed: int
    overdue: int


class CategoryOut(BaseModel):
    code: str
    name: str
    name_en: str
    count: int = Field(description="cases registered in the period")


class CellOut(BaseModel):
    code: str
    count: int = Field(description="cases registered in the period")


class BoardOut(BaseModel):
    period: PeriodOut
    today: TodayOut
    totals: CountsOut
    trend: list[DayOut] = Field(description="every local day of the period, days without acts as zeros")
    top_categories: list[CategoryOut] = Field(description=f"the {figures.TOP} minor classes most registered")
    cells: list[CellOut] = Field(description="cells with cases registered in the period (the others left out)")


@router.get("/board", response_model=BoardOut, response_model_by_alias=True,
            responses=errors.responses(forbidden="only supervisors and admins", invalid_input="not a period"))
def board(session: SessionDep, actor: ActorDep, state: StateDep, period: PeriodQ = None) -> BoardOut:
    """A period's figures for the supervisor's board: today's and the period's counters, the trend per local
    day, the top minor classes and the cases per cell, counted from the record over the whole city."""
    if actor.role not in MAY_SEE:
        raise Forbidden(f"the board is for supervisors and admins; you are a {actor.role}")
    tz = ZoneInfo(state.settings.timezone)
    now = utcnow()
    span = periods.parse(period, tz) if period else periods.current_month(now, tz)
    today = periods.parse(now.astimezone(tz).date().isoformat(), tz)
    found = figures.board(session=reading(session), actor=actor, span=span, today=today, now=now, tz=tz)
    return BoardOut.model_validate({"period": span.as_dict(now), **found})
