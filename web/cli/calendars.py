"""``gridops calendar …`` and ``gridops sla …``: working-time calendars, SLA policies, the escalation pass."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from web.cli.support import _day, _engine, _session, _transaction, console
from web.db import require_migrated

calendar_app = typer.Typer(help="Working-time calendars: holidays and make-up working days.", no_args_is_help=True)
sla_app = typer.Typer(help="SLA policies and the escalation pass.", no_args_is_help=True)


@calendar_app.command("seed")
def calendar_seed() -> None:
    """Create the standard and 24x7 calendars and seed holidays from the holidays package."""
    from grid.calendars import STANDARD, ensure_calendars, official_years, seed_official_days

    with _session() as session:
        ensure_calendars(session=session)
        added = seed_official_days(session=session, calendar_code=STANDARD)
        session.commit()
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
    from dispatch.worktime.changes import save_calendar

    with _transaction() as session:
        row = save_calendar(session=session, code=code, name=name, timezone=timezone, periods=periods,
                            weekdays=weekdays)
    console.print(f"calendar {row.code}: {row.periods}, weekdays {row.weekdays}, {row.timezone}")


@calendar_app.command("set-day")
def calendar_set_day(
    day: Annotated[str, typer.Argument(help="YYYY-MM-DD")],
    kind: Annotated[str, typer.Option(help="holiday (a weekday off) or workday (a weekend day worked)")],
    name: str = "",
    calendar: str = "standard",
) -> None:
    from dispatch.worktime.changes import set_calendar_day

    with _transaction() as session:
        set_calendar_day(session=session, calendar_code=calendar, day=_day(day), kind=kind, name=name)
    console.print(f"{day} is a {kind} in calendar {calendar}; running deadlines on it follow")


@calendar_app.command("remove-day")
def calendar_remove_day(day: str, calendar: str = "standard") -> None:
    from dispatch.worktime.changes import remove_calendar_day

    with _transaction() as session:
        remove_calendar_day(session=session, calendar_code=calendar, day=_day(day))
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
    from dispatch.policies import set_policy

    with _transaction() as session:
        row = set_policy(session=session, stage=stage, limit_hours=hours, basis=basis,
                         category=category.upper(), urgency=urgency)
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
