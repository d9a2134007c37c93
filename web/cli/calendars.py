"""``gridops calendar …`` and ``gridops sla …``: working-time calendars, SLA policies, the escalation pass."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from web.cli.support import _day, _engine, _transaction, console
from web.db import require_migrated

if TYPE_CHECKING:
    from sqlmodel import Session

calendar_app = typer.Typer(help="Working-time calendars: holidays and make-up working days.", no_args_is_help=True)
sla_app = typer.Typer(help="SLA policies and the escalation pass.", no_args_is_help=True)


def seed_calendars(session: Session) -> int:
    """Create the standard and 24x7 calendars if missing and give every working calendar the official days
    it lacks (a calendar seeded before the package knew a year, or before weekend holidays were seeded), each
    calendar created or given days on the security log. Returns the days added."""
    from sqlalchemy import func
    from sqlmodel import select

    from dispatch.worktime.changes import seed_official_days
    from grid.calendars import ensure_calendars
    from grid.models import Calendar, CalendarDay
    from web import seclog

    def calendars() -> tuple[dict, dict]:
        rows = {c.code: seclog.state(c, seclog.CALENDAR_FIELDS) for c in session.exec(select(Calendar))}
        days = dict(session.exec(select(CalendarDay.calendar_code, func.count())
                                 .group_by(CalendarDay.calendar_code)).all())
        return rows, days

    before, days_before = calendars()
    ensure_calendars(session=session)
    for code in session.exec(select(Calendar.code).where(Calendar.always_on == False)  # noqa: E712
                             .order_by(Calendar.code)).all():
        seed_official_days(session=session, calendar_code=code)
    after, days_after = calendars()
    source, total = seclog.Source.cli(), 0
    for code, values in sorted(after.items()):
        added = days_after.get(code, 0) - days_before.get(code, 0)
        total += added
        if code not in before or added:
            detail = {**(seclog.delta(before.get(code), values) or {}),
                      **({"official_days_added": added} if added else {})}
            seclog.record(session, kind=seclog.SecurityKind.calendar_change, source=source,
                          subject=f"calendar:{code}", detail=detail)
    return total


@calendar_app.command("seed")
def calendar_seed() -> None:
    """Create the standard and 24x7 calendars and give every working calendar the official holidays and
    make-up working days it lacks, from the holidays package (days an admin set stay as they are)."""
    from grid.calendars import official_years

    with _transaction() as session:
        added = seed_calendars(session)
    years = official_years()
    console.print(f"{added} days added; the package knows {years.start}–{years.stop - 1}. "
                  "Add later years with: gridops calendar set-day DATE --kind holiday|workday")


DEFAULT_PERIODS = "08:00-12:00,14:00-18:00"


@calendar_app.command("save")
def calendar_save(
    code: Annotated[str, typer.Argument(help="e.g. emergency-day")],
    name: str = "",
    periods: Annotated[str, typer.Option(help="working periods, e.g. 07:00-12:00,13:00-19:00")] = DEFAULT_PERIODS,
    weekdays: Annotated[str, typer.Option(help="ISO weekdays worked: 1 = Monday … 7 = Sunday")] = "1,2,3,4,5",
    timezone: str = "Asia/Shanghai",
) -> None:
    """Create or change a working calendar (new ones start with the official holidays)."""
    from dispatch.worktime.changes import calendar_code, save_calendar
    from grid.calendars import find_calendar
    from web import seclog

    with _transaction() as session:
        code = calendar_code(code)
        before = seclog.state(find_calendar(session, code), seclog.CALENDAR_FIELDS)
        row = save_calendar(session=session, code=code, name=name, timezone=timezone, periods=periods,
                            weekdays=weekdays)
        seclog.record_change(session, kind=seclog.SecurityKind.calendar_change, source=seclog.Source.cli(),
                             actor=None, subject=f"calendar:{row.code}", before=before,
                             after=seclog.state(row, seclog.CALENDAR_FIELDS))
    console.print(f"calendar {row.code}: {row.periods}, weekdays {row.weekdays}, {row.timezone}")


@calendar_app.command("set-day")
def calendar_set_day(
    day: Annotated[str, typer.Argument(help="YYYY-MM-DD")],
    kind: Annotated[str, typer.Option(help="holiday (a weekday off) or workday (a weekend day worked)")],
    name: str = "",
    calendar: str = "standard",
) -> None:
    from dispatch.worktime.changes import set_calendar_day
    from grid.calendars import find_day
    from web import seclog

    when = _day(day)
    with _transaction() as session:
        before = seclog.state(find_day(session, calendar, when), seclog.CALENDAR_DAY_FIELDS)
        row = set_calendar_day(session=session, calendar_code=calendar, day=when, kind=kind, name=name)
        seclog.record_change(session, kind=seclog.SecurityKind.calendar_change, source=seclog.Source.cli(),
                             actor=None, subject=f"calendar:{calendar}", day=when.isoformat(), before=before,
                             after=seclog.state(row, seclog.CALENDAR_DAY_FIELDS))
    console.print(f"{day} is a {kind} in calendar {calendar}; running deadlines on it follow")


@calendar_app.command("remove-day")
def calendar_remove_day(day: str, calendar: str = "standard") -> None:
    from dispatch.worktime.changes import remove_calendar_day
    from grid.calendars import find_day
    from web import seclog

    when = _day(day)
    with _transaction() as session:
        before = seclog.state(find_day(session, calendar, when), seclog.CALENDAR_DAY_FIELDS)
        remove_calendar_day(session=session, calendar_code=calendar, day=when)
        seclog.record_change(session, kind=seclog.SecurityKind.calendar_change, source=seclog.Source.cli(),
                             actor=None, subject=f"calendar:{calendar}", day=when.isoformat(), before=before,
                             after=None)
    console.print(f"{day} is an ordinary day again in calendar {calendar}; running deadlines on it follow")


@calendar_app.command("show")
def calendar_show(year: int, calendar: str = "standard") -> None:
    from grid.calendars import days

    with _transaction() as session:
        rows = days(session=session, calendar_code=calendar, year=year)
    table = Table("day", "weekday", "kind", "name", "source", title=f"{calendar} {year}")
    for d in rows:
        table.add_row(d.day.isoformat(), d.day.strftime("%a"), str(d.kind), d.name, d.source)
    console.print(table)


@sla_app.command("policy")
def sla_policy(
    stage: Annotated[str, typer.Option(help="verify, register, dispatch, accept, handle, check or close")],
    hours: Annotated[float, typer.Option(help="the limit in hours")],
    basis: Annotated[str, typer.Option(help="working or natural")] = "working",
    category: Annotated[str, typer.Option(help="minor (E0101) or major (E01); empty for any")] = "",
    urgency: Annotated[str, typer.Option(help="normal, urgent, critical; empty for any")] = "",
) -> None:
    """Set an SLA policy. Running timers keep the limits they started with."""
    from dispatch.policies import find_policy, set_policy
    from web import seclog

    with _transaction() as session:
        before = seclog.policy_state(find_policy(session, stage=stage, category=category, urgency=urgency))
        row = set_policy(session=session, stage=stage, limit_hours=hours, basis=basis,
                         category=category.upper(), urgency=urgency)
        seclog.record_change(session, kind=seclog.SecurityKind.sla_policy_change, source=seclog.Source.cli(),
                             actor=None, subject=seclog.policy_subject(row), before=before,
                             after=seclog.policy_state(row))
    console.print(f"policy #{row.id}: {stage} {category or 'any'} {urgency or 'any'} → {hours:g} {basis} hours")


@sla_app.command("run")
def sla_run() -> None:
    """Run one escalation pass now and send the webhooks that are due (the server does this by itself)."""
    from web.background.scheduler import SlaScheduler

    engine = _engine()
    require_migrated(engine)
    scheduler = SlaScheduler(engine)
    fired = scheduler.run_once()
    delivered = scheduler.deliver_once()
    console.print(f"{fired} escalation(s) fired, {delivered} webhook(s) delivered")
