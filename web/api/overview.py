"""The control room's overview of its own shift: what each dispatcher and shift lead did today."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from dispatch.overview import shift_day
from grid.clock import utcnow
from grid.errors import Forbidden
from grid.models import Role
from web.api import errors
from web.api.deps import ActorDep, SessionDep, StateDep

router = APIRouter(prefix="/api/v1/stats", tags=["control room"])
MAY_SEE = {Role.dispatcher, Role.shift_lead, Role.supervisor, Role.admin}


class PersonDayOut(BaseModel):
    username: str
    display_name: str
    role: str
    total: int
    acts: dict[str, int] = Field(description="act → how many (dispatch, register, urge, approve_extension, …)")
    first_at: datetime | None
    last_at: datetime | None


class ShiftOut(BaseModel):
    day: date
    people: list[PersonDayOut] = Field(description="dispatchers and shift leads who acted that day, busiest first")


@router.get("/shift", response_model=ShiftOut, responses=errors.responses(forbidden="only the control room"))
def shift(session: SessionDep, actor: ActorDep, state: StateDep,
          day: Annotated[date | None, Query(description="a local date (YYYY-MM-DD); default: today")] = None,
          ) -> ShiftOut:
    """What each dispatcher and shift lead did on a day: their acts counted by kind, first and last act."""
    if actor.role not in MAY_SEE:
        raise Forbidden(f"the shift's overview is for the control room; you are a {actor.role}")
    zone = ZoneInfo(state.settings.timezone)
    day = day or utcnow().astimezone(zone).date()
    people = shift_day(session=session, day=day, timezone=zone)
    return ShiftOut(day=day, people=[PersonDayOut(username=p.username, display_name=p.display_name, role=p.role,
                                                  total=p.total, acts=p.acts, first_at=p.first_at,
                                                  last_at=p.last_at) for p in people])
