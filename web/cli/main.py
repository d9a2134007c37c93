"""The ``gridops`` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table
from sqlmodel import Session

from web.cli.calendars import calendar_app, sla_app
from web.cli.support import _engine, _fail, _session, _transaction, console, err
from web.db import NotMigrated, require_migrated, upgrade
from web.settings import get_settings

app = typer.Typer(help="gridops: grid-governance case dispatch.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
grid_app = typer.Typer(help="The governance map: import areas.", no_args_is_help=True)
catalogue_app = typer.Typer(help="Departments and categories.", no_args_is_help=True)
rule_app = typer.Typer(help="Routing rules.", no_args_is_help=True)
user_app = typer.Typer(help="Users and API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
department_app = typer.Typer(help="Departments: calendars and webhooks.", no_args_is_help=True)
for sub, name in [(db_app, "db"), (grid_app, "grid"), (catalogue_app, "catalogue"), (rule_app, "rule"),
                  (user_app, "user"), (audit_app, "audit"), (calendar_app, "calendar"), (sla_app, "sla"),
                  (department_app, "department")]:
    app.add_typer(sub, name=name)

@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the newest schema."""
    engine = _engine()
    upgrade(engine)
    console.print(f"database at {engine.url.render_as_string(hide_password=True)} is up to date")


@grid_app.command("import")
def grid_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="GeoJSON, zipped Shapefile or GeoPackage")],
    level: Annotated[str, typer.Option(help="district, street, community or cell")] = "cell",
    code_field: Annotated[str, typer.Option(help="attribute holding the area code")] = "code",
    name_field: Annotated[str, typer.Option(help="attribute holding the name")] = "name",
    crs: Annotated[str | None, typer.Option(help="the file's CRS when it declares none (e.g. EPSG:4549)")] = None,
    layer: Annotated[str | None, typer.Option(help="layer of a GeoPackage")] = None,
) -> None:
    """Import one level of the hierarchy in one transaction. Re-importing the same file changes nothing."""
    from geo.errors import GeoError
    from geo.loaders import read_grid_file
    from grid.errors import DomainError
    from grid.hierarchy import import_areas
    from grid.models import AreaLevel

    try:
        lvl = AreaLevel(level)
    except ValueError:
        _fail(f"unknown level {level!r}; use district, street, community or cell")
    try:
        loaded = read_grid_file(file, code_field=code_field, name_field=name_field, crs=crs, layer=layer)
    except GeoError as exc:
        _fail(str(exc))
    for code in loaded.repaired:
        err.print(f"[yellow]repaired invalid geometry of {code}[/yellow]")
    for a, b, area in loaded.overlaps:
        err.print(f"[yellow]{a} and {b} overlap by {area:,.1f} m²[/yellow]")
    with _session() as session, Progress(console=err) as progress:
        task = progress.add_task(f"importing {len(loaded.features)} {lvl}s", total=len(loaded.features))
        try:
            stats = import_areas(session=session, level=lvl, features=loaded.features,
                                 progress=lambda n: progress.advance(task, n))
            session.commit()
        except DomainError as exc:
            session.rollback()
            _fail(exc.message)
    console.print(f"{stats.added} added, {stats.updated} updated, {stats.unchanged} unchanged"
                  + (f"; {len(stats.derived)} parent areas derived from their children" if stats.derived else ""))


@catalogue_app.command("load")
def catalogue_load() -> None:
    """Load (or refresh) the default departments and category catalogue."""
    from grid.calendars import ensure_calendars
    from grid.catalogue import load_default_catalogue

    with _session() as session:
        ensure_calendars(session=session)
        departments, categories = load_default_catalogue(session=session)
        session.commit()
    console.print(f"{departments} departments and {categories} categories loaded (and the standard calendars)")


@rule_app.command("add")
def rule_add(
    department: Annotated[str, typer.Argument(help="department code")],
    category: Annotated[str, typer.Option(help="minor (E0101) or major (E01) class; empty for any")] = "",
    area: Annotated[str, typer.Option(help="area code at any level; empty for everywhere")] = "",
    urgency: Annotated[str, typer.Option(help="normal, urgent, critical; empty for any")] = "",
    note: str = "",
) -> None:
    """Add or replace a routing rule: (category, area, urgency) → department."""
    from grid.routing import add_rule, describe

    with _transaction() as session:
        rule = add_rule(session=session, department_code=department, category=category, area_code=area,
                        urgency=urgency, note=note)
        console.print(describe(rule))


@user_app.command("create")
def user_create(
    name: Annotated[str, typer.Argument(help="user name")],
    role: Annotated[str, typer.Option(help="worker, dispatcher, shift_lead, department, supervisor or admin")],
    department: Annotated[str | None, typer.Option(help="department code (department users)")] = None,
    cells: Annotated[str | None, typer.Option(help="comma-separated cell codes (grid workers)")] = None,
    display_name: str = "",
    leader: Annotated[bool, typer.Option(help="the department's leader (gets red-light escalations)")] = False,
    password: Annotated[bool, typer.Option("--password", help="ask for a password to sign in to the pages")] = False,
) -> None:
    """Create a user and print an API token (shown only once)."""
    secret = typer.prompt("password", hide_input=True, confirmation_prompt=True) if password else None
    from grid.people import create_user
    from web.auth import hash_password, issue_token

    with _transaction() as session:
        user = create_user(session=session, username=name, role=role, display_name=display_name,
                           department_code=department,
                           cell_codes=[c.strip() for c in (cells or "").split(",") if c.strip()])
        user.is_leader = leader
        if secret:
            user.password_hash = hash_password(secret)
        token = issue_token(session=session, user=user, name="cli")
    console.print(f"user {name} ({role}) created. API token (keep it, it is shown once):")
    print(token)


@user_app.command("password")
def user_password(name: str) -> None:
    """Set a user's password (asked twice, never echoed)."""
    from sqlmodel import select as sm_select

    from grid.models import User
    from web.auth import hash_password

    secret = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    with _transaction() as session:
        user = session.exec(sm_select(User).where(User.username == name)).first()
        if user is None:
            _fail(f"no user {name!r}")
        user.password_hash = hash_password(secret)
        session.add(user)
    console.print(f"password set for {name}")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute every case's hash chain; exit 1 if any event was edited or deleted."""
    from dispatch.audit import verify

    with _session() as session:
        cases, events, problems = verify(session=session)
    if problems:
        table = Table("case", "event", "problem", title="audit trail: tampering detected", style="red")
        for p in problems[:200]:
            table.add_row(p.case_number, str(p.seq or "-"), p.problem)
        console.print(table)
        err.print(f"[red]FAILED[/red]: {len(problems)} case(s) with a broken trail out of {cases}")
        raise typer.Exit(1)
    console.print(f"OK: {cases} cases, {events} events, every hash chain intact")


@department_app.command("webhook")
def department_webhook(
    code: str,
    url: Annotated[str, typer.Argument(help="http(s) URL; empty to remove")],
    secret: Annotated[str | None, typer.Option(help="HMAC secret (a new random one if omitted)")] = None,
) -> None:
    """Send the department's SLA notifications to a URL, signed with HMAC-SHA256."""
    import secrets as secrets_mod

    from sqlmodel import select as sm_select

    from grid.models import Department

    if url and not url.startswith(("http://", "https://")):
        _fail("the webhook URL must start with http:// or https://")
    with _session() as session:
        dept = session.exec(sm_select(Department).where(Department.code == code)).first()
        if dept is None:
            _fail(f"unknown department {code!r}")
        dept.webhook_url = url or None
        dept.webhook_secret = (secret or secrets_mod.token_hex(16)) if url else None
        session.add(dept)
        session.commit()
        shown = dept.webhook_secret
    console.print(f"{code}: webhook {'set' if url else 'removed'}" + (f"; secret {shown}" if url else ""))


@department_app.command("calendar")
def department_calendar(code: str, calendar: Annotated[str, typer.Argument(help="e.g. 24x7; empty: standard")]) -> None:
    """Count the department's time limits on its own calendar (e.g. a 24x7 emergency crew)."""
    from grid.calendars import set_department_calendar

    with _transaction() as session:
        set_department_calendar(session=session, department_code=code, calendar_code=calendar or None)
    console.print(f"{code} now counts working time on calendar {calendar or 'standard'}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
) -> None:
    """Serve the API (the database must be migrated: gridops db upgrade)."""
    import uvicorn

    settings = get_settings()
    try:
        require_migrated(_engine())
    except NotMigrated as exc:
        _fail(str(exc))
    host, port = host or settings.host, port or settings.port
    console.print(f"gridops serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run("web.asgi:app", host=host, port=port, workers=workers, log_level="info")


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    tickets: Annotated[int, typer.Option(help="demo cases to create")] = 300,
    reset: Annotated[bool, typer.Option(help="rebuild the demo city even if one is there")] = False,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="build the city and exit")] = False,
) -> None:
    """Build a demo city (migrating the database first) and serve it."""
    from web.cli.demo import build_demo

    engine = _engine()
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        tokens = build_demo(session=session, tickets=tickets, reset=reset, progress=console.print)
    from web.cli.demo import DEMO_PASSWORD

    table = Table("user", "role", "API token", title=f"demo users (password for the pages: {DEMO_PASSWORD})")
    for username, role, token in tokens:
        table.add_row(username, role, token)
    console.print(table)
    if no_serve:
        return
    import uvicorn

    console.print(f"\n[bold green]gridops demo is running: http://{host}:{port}/[/bold green]  "
                  f"(sign in as worker, dispatcher, shift_lead, sanitation … with password {DEMO_PASSWORD}; "
                  f"API docs at /docs)\n")
    uvicorn.run("web.asgi:app", host=host, port=port, log_level="info")


if __name__ == "__main__":
    app()
