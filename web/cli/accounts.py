"""``gridops user …`` and ``gridops token …``: accounts, passwords and API tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from web.cli.support import _fail, _transaction, console

user_app = typer.Typer(help="Users: create, passwords, deactivate, unlock.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)


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


