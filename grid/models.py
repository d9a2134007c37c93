"""Tables of the governance map: areas (district → street → community → cell), departments,
people and their cells, the category catalogue and routing rules."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field

from grid import refcache
from grid.clock import utcnow
from grid.dbtypes import Row, UTCDateTime, enum_type


class AreaLevel(StrEnum):
    district = "district"
    street = "street"
    community = "community"
    cell = "cell"


#: Length of the code at each level: 6 + 3 + 3 + 3 digits.
CODE_LENGTH = {AreaLevel.district: 6, AreaLevel.street: 9, AreaLevel.community: 12, AreaLevel.cell: 15}
LEVEL_BY_LENGTH = {n: level for level, n in CODE_LENGTH.items()}
LEVEL_DEPTH = {AreaLevel.district: 1, AreaLevel.street: 2, AreaLevel.community: 3, AreaLevel.cell: 4}


class Role(StrEnum):
    worker = "worker"
    dispatcher = "dispatcher"
    shift_lead = "shift_lead"
    department = "department"
    supervisor = "supervisor"
    admin = "admin"
    operator = "operator"  # 12345 hotline 受理员: takes calls, calls citizens back
    system = "system"  # acts taken by rules (auto-register, auto-dispatch); never a user's role
    citizen = "citizen"  # a member of the public through a tracking link; never a user's role


#: roles no user may have: the system's own acts, and citizens (who have no account)
RESERVED_ROLES = frozenset({Role.system, Role.citizen})


class CategoryKind(StrEnum):
    component = "component"  # 部件
    event = "event"  # 事件


class Urgency(StrEnum):
    normal = "normal"
    urgent = "urgent"
    critical = "critical"


class TimeBasis(StrEnum):
    working = "working"  # 工作时
    natural = "natural"  # 自然时


class Area(Row, table=True):
    """One node of the hierarchy. The code carries the ancestry: a cell `310101001002007` lies in
    community `310101001002`, street `310101001` and district `310101`."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=15)
    level: AreaLevel = Field(index=True, sa_type=enum_type(AreaLevel, 16))
    name: str
    parent_code: str | None = Field(default=None, index=True, max_length=15)
    geometry: str = Field(sa_column=Column(Text, nullable=False))  # GeoJSON, WGS-84
    min_lng: float
    min_lat: float
    max_lng: float
    max_lat: float
    area_m2: float = 0.0
    derived: bool = False  # geometry computed as the union of children (level not imported from a file)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Calendar(Row, table=True):
    """A working-time calendar: periods of the day, working weekdays, and its days (holidays and
    make-up working days) in CalendarDay. ``always_on`` makes it 24×7 (natural time)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=32)
    name: str
    timezone: str = "Asia/Shanghai"
    periods: str = "08:00-12:00,14:00-18:00"
    weekdays: str = "1,2,3,4,5"  # ISO: Monday = 1
    always_on: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)  # bumped when a day changes


class DayKind(StrEnum):
    holiday = "holiday"  # a weekday off
    workday = "workday"  # a weekend day worked (调休)


class CalendarDay(Row, table=True):
    __tablename__ = "calendar_day"
    __table_args__ = (UniqueConstraint("calendar_code", "day", name="uq_calendar_day"),)

    id: int | None = Field(default=None, primary_key=True)
    calendar_code: str = Field(foreign_key="calendar.code", index=True, max_length=32)
    day: date
    kind: DayKind = Field(sa_type=enum_type(DayKind, 16))
    name: str = ""
    source: str = "admin"  # admin, or the package it was seeded from


class Department(Row, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=32)
    name: str
    name_en: str = ""
    phone: str = ""
    calendar_code: str | None = Field(default=None, foreign_key="calendar.code", max_length=32)  # None: standard
    webhook_url: str | None = None  # notifications are also POSTed here, signed with webhook_secret
    webhook_secret: str | None = None


class User(Row, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=64)
    display_name: str = ""
    role: Role = Field(sa_type=enum_type(Role, 16))
    department_code: str | None = Field(default=None, foreign_key="department.code", max_length=32)
    is_leader: bool = False  # a department's leader gets the red-light escalations
    password_hash: str | None = None  # argon2; None: API tokens only
    active: bool = True  # deactivated users are kept (the audit trail names them) and refused at once
    must_change_password: bool = False  # set by an admin: the next sign-in may only change the password
    password_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WorkerCell(Row, table=True):
    """A grid worker is responsible for a cell (several workers may share one)."""

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    cell_code: str = Field(foreign_key="area.code", primary_key=True, max_length=15)


class Category(Row, table=True):
    """A minor class of the catalogue; ``code`` is kind letter + major + minor, e.g. ``E0102``."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=5)
    kind: CategoryKind = Field(sa_type=enum_type(CategoryKind, 16))
    major: str = Field(max_length=2)
    minor: str = Field(max_length=2)
    major_name: str
    major_name_en: str
    name: str
    name_en: str
    default_department_code: str | None = Field(default=None, foreign_key="department.code")
    limit_hours_normal: float
    limit_hours_urgent: float
    limit_hours_critical: float
    time_basis: TimeBasis = Field(default=TimeBasis.working, sa_type=enum_type(TimeBasis, 16))
    after_photo_required: bool = True  # resolving a case of this class needs a photo of the result
    active: bool = True
    # plain words for citizens (垃圾没人清 for 暴露垃圾); empty: the class's own name
    public_name: str = Field(default="", max_length=40)
    public_name_en: str = Field(default="", max_length=80)

    @property
    def major_code(self) -> str:
        """Kind letter + major, e.g. ``E01``: what a routing rule names to match a whole major class."""
        return self.code[:3]


class RoutingRule(Row, table=True):
    """(category or major class, area at any level, optional urgency) → department.

    ``category`` holds a minor code (``E0102``), a major code (``E01``) or "" for any category;
    ``area_code`` any level's code or "" for everywhere; ``urgency`` a level or "" for any. Empty
    strings rather than NULLs so that the unique constraint also holds for the wildcards.
    Uniqueness over the three keys makes the most-specific match unique (see grid.routing)."""

    __table_args__ = (UniqueConstraint("category", "area_code", "urgency", name="uq_routing_rule_keys"),)

    id: int | None = Field(default=None, primary_key=True)
    category: str = Field(default="", max_length=5)
    area_code: str = Field(default="", max_length=15)
    urgency: str = Field(default="", max_length=16)
    department_code: str = Field(foreign_key="department.code")
    note: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Address(Row, table=True):
    """One entry of the address gazetteer: a door number on a road, a building or a point of interest, with
    its position (WGS-84) and the cell it lies in. Reverse geocoding finds the nearest; search finds by name."""

    __table_args__ = (Index("ix_address_lng_lat", "lng", "lat"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # address (road + number), building, poi
    name: str = Field(max_length=120)  # as shown: 中山南路 123 号 / 金陵大厦 / 老西门地铁站
    road: str = Field(default="", max_length=60)
    number: str = Field(default="", max_length=20)
    lng: float
    lat: float
    cell_code: str | None = Field(default=None, index=True, max_length=15)
    source: str = Field(default="", max_length=40)  # the file or generator it came from


# reference data: a change to any of these tables bumps the reference version (grid.refcache)
# (users too: a deactivated user or a changed role takes effect on the next request, see web.auth)
refcache.watch(Calendar, CalendarDay, Department, WorkerCell, Category, RoutingRule, User, Area)
