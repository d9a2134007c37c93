"""``gridops user …`` and ``gridops token …``: accounts, passwords and API tokens. Every change is on the
security log with the channel ``cli`` and the operating-system user who ran the command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from web.cli.support import _transaction, console, err
from web.settings import get_settings

user_app = typer.Typer(help="Users: create, list, passwords, deactivate, reactivate, unlock.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)


def _source():  # noqa: ANN202
    from web.seclog import Source

    return Source.cli()


def _limits():  # noqa: ANN202
    from web.auth import Limits

    return Limits.of(get_settings())


def _when(value) -> str:  # noqa: ANN001
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else "-"


@user_app.command("create")
def user_create(
    name: Annotated[str, typer.Argument(help="user name")],
    role: Annotated[str, typer.Option(help="worker, dispatcher, shift_lead, department, supervisor or admin")],
    department: Annotated[str | None, typer.Option(help="department code (department users)")] = None,
    cells: Annotated[str | None, typer.Option(help="comma-separated cell codes (grid workers)")] = None,
    display_name: str = "",
    leader: Annotated[bool, typer.Option(help="the department's leader (gets red-light escalations)")] = False,
    password: Annotated[bool, typer.Option("--password", help="ask for a password to sign in to the pages")] = False,
    must_change: Annotated[bool, typer.Option(help="with --password: the user chooses their own at first "
                                                   "sign-in")] = True,
) -> None:
    """Create a user and print an API token (shown only once)."""
    from web.accounts import create_account, create_token

    secret = typer.prompt("password", hide_input=True, confirmation_prompt=True) if password else None
    cell_codes = [c.strip() for c in (cells or "").split(",") if c.strip()]
    with _transaction() as session:
        source = _source()
        user = create_account(session, username=name, role=role, display_name=display_name,
                              department_code=department, cell_codes=cell_codes, is_leader=leader, password=secret,
                              must_change=must_change, by=None, source=source)
        token, _ = create_token(session, user=user, name="cli", days=None, limits=_limits(), by=None, source=source)
    console.print(f"user {name} ({role}) created. API token (keep it, it is shown once):")
    print(token)


@user_app.command("update")
def user_update(
    name: str,
    role: Annotated[str | None, typer.Option(help="a new role")] = None,
    display_name: Annotated[str | None, typer.Option(help="a new display name")] = None,
    department: Annotated[str | None, typer.Option(help="a department code; '' to remove it")] = None,
    cells: Annotated[str | None, typer.Option(help="comma-separated cell codes: the full set from now on")] = None,
    leader: Annotated[bool | None, typer.Option("--leader/--not-leader", help="the department's leader")] = None,
) -> None:
    """Change a user's role, display name, department, leadership or cells (what is left out stays)."""
    from web.accounts import update_account

    with _transaction() as session:
        update_account(session, username=name, by=None, source=_source(), role=role, display_name=display_name,
                       department_code=department or None, clear_department=department == "",
                       cell_codes=None if cells is None else [c.strip() for c in cells.split(",") if c.strip()],
                       is_leader=leader)
    console.print(f"{name} updated")


@user_app.command("password")
def user_password(
    name: str,
    must_change: Annotated[bool, typer.Option(help="the user must choose their own at the next sign-in")] = False,
) -> None:
    """Set a user's password (asked twice, never echoed). Every session and API token of the user ends."""
    from web.accounts import reset_password

    secret = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    with _transaction() as session:
        reset_password(session, username=name, password=secret, must_change=must_change, by=None, source=_source())
    console.print(f"password set for {name}; their sessions and tokens have ended")


@user_app.command("require-password-change")
def user_require_password_change(name: str) -> None:
    """The user must choose a new password at the next request before doing anything else."""
    from web.accounts import require_password_change

    with _transaction() as session:
        require_password_change(session, username=name, by=None, source=_source())
    console.print(f"{name} must change their password before going on")


@user_app.command("deactivate")
def user_deactivate(
    name: str, reason: Annotated[str, typer.Option(help="why, for the security log")] = "",
) -> None:
    """Deactivate a user at once: refused on the next request, sessions ended, live connections closed."""
    from web.accounts import deactivate

    with _transaction() as session:
        deactivate(session, username=name, by=None, source=_source(), reason=reason)
    console.print(f"{name} is deactivated")


@user_app.command("reactivate")
def user_reactivate(name: str) -> None:
    """Let a deactivated user sign in again (their old tokens work again unless revoked or expired)."""
    from web.accounts import reactivate

    with _transaction() as session:
        reactivate(session, username=name, by=None, source=_source())
    console.print(f"{name} is active")


@user_app.command("unlock")
def user_unlock(
    name: str, address: Annotated[str, typer.Option(help="also forget this client address's failures")] = "",
) -> None:
    """Forget a user name's failed sign-ins. The failures are counted in Redis (GRIDOPS_REDIS_URL); without it
    they live in the server process's memory, where only the API (POST /api/v1/users/NAME/unlock) reaches."""
    from web.accounts import unlock
    from web.throttle import LoginThrottle

    settings = get_settings()
    if not settings.redis_url:
        err.print("[yellow]GRIDOPS_REDIS_URL is not set: failed sign-ins are counted in the server's memory; "
                  "unlock with the API (POST /api/v1/users/NAME/unlock) or wait for the lock to pass[/yellow]")
    throttle = LoginThrottle(redis_url=settings.redis_url, lock_failures=settings.login_lock_failures,
                             lock_minutes=settings.login_lock_minutes, address_failures=settings.login_address_failures)
    with _transaction() as session:
        unlock(session, throttle, username=name, address=address, by=None, source=_source())
    console.print(f"{name} may sign in again")


@user_app.command("import")
def user_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV (UTF-8 or GB18030) or XLSX")],
    apply: Annotated[bool, typer.Option("--apply", help="create the valid rows (without it: a preview)")] = False,
    passwords: Annotated[bool, typer.Option(help="give each user created a one-time password")] = True,
) -> None:
    """Users in bulk from a spreadsheet: columns username, display_name, role, department, cells, is_leader
    (or 用户名, 姓名, 角色, 部门, 网格, 负责人). Prints each row's verdict; with --apply the valid rows are created
    and their one-time passwords printed (once)."""
    from web import userimport

    with _transaction() as session:
        rows = userimport.read_rows(file.read_bytes(), file.name)
        results = userimport.import_users(session, rows, apply=apply, by=None, source=_source(), passwords=passwords)
        table = Table("row", "user", "role", "department", "cells", "result")
        for r in results:
            verdict = "; ".join(r.errors) if r.errors else (
                f"created{', password ' + r.password if r.password else ''}" if r.created else "ok")
            table.add_row(str(r.row), r.username, r.role, r.department_code or "", str(len(r.cell_codes)), verdict)
        console.print(table)
    bad = sum(1 for r in results if r.errors)
    done = sum(1 for r in results if r.created)
    console.print(f"{done} created, {bad} with errors" if apply else
                  f"preview: {len(results) - bad} would be created, {bad} with errors "
                  "(nothing changed; --apply to create)")


@user_app.command("list")
def user_list(
    q: Annotated[str, typer.Option(help="part of the user or display name")] = "",
    inactive: Annotated[bool, typer.Option(help="only deactivated users")] = False,
) -> None:
    """Users with their role, department, state and when their password last changed."""
    from web.accounts import list_users
    from web.cli.support import _session

    with _session() as session:
        rows = list_users(session, q=q, active=False if inactive else None, limit=1000)
    table = Table("user", "name", "role", "department", "state", "password changed")
    for u in rows:
        state = "active" if u.active else "[red]deactivated[/red]"
        if u.must_change_password:
            state += " (must change password)"
        table.add_row(u.username, u.display_name, str(u.role), u.department_code or "-", state,
                      _when(u.password_changed_at))
    console.print(table)


@token_app.command("create")
def token_create(
    user: str,
    name: Annotated[str, typer.Option(help="what the token is for")],
    days: Annotated[float | None, typer.Option(help="how long it lives (at most GRIDOPS_TOKEN_DAYS)")] = None,
) -> None:
    """Make an API token for a user and print it (shown only once)."""
    from web.accounts import create_token, find_user

    with _transaction() as session:
        token, row = create_token(session, user=find_user(session, user), name=name, days=days, limits=_limits(),
                                  by=None, source=_source())
        expires = _when(row.expires_at)
    console.print(f"token {row.id} for {user}, expires {expires} (keep it, it is shown once):")
    print(token)


@token_app.command("list")
def token_list(
    user: Annotated[str | None, typer.Argument(help="a user name; all users when left out")] = None,
    revoked: Annotated[bool, typer.Option(help="also revoked tokens")] = False,
) -> None:
    """API tokens (never the tokens themselves): name, owner, made, expires, last used."""
    from web.accounts import find_user, tokens
    from web.cli.support import _session

    with _session() as session:
        user_id = find_user(session, user).id if user else None
        rows = tokens(session, user_id=user_id, include_revoked=revoked)
    table = Table("id", "user", "name", "created", "expires", "last used", "state")
    for row, owner in rows:
        table.add_row(str(row.id), owner, row.name, _when(row.created_at), _when(row.expires_at),
                      _when(row.last_used_at), f"revoked {_when(row.revoked_at)}" if row.revoked else "active")
    console.print(table)


@token_app.command("revoke")
def token_revoke(token_id: int) -> None:
    """Revoke a token: refused from the next request on, in every process."""
    from web.accounts import revoke_token

    with _transaction() as session:
        row = revoke_token(session, token_id=token_id, by=None, source=_source())
    console.print(f"token {row.id} ({row.name}) is revoked")
