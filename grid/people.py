"""Users of the service and the cells grid workers walk."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from grid import refcache
from grid.errors import Conflict, InvalidInput, UnknownArea, UnknownDepartment
from grid.models import RESERVED_ROLES, Area, AreaLevel, Department, Role, User, WorkerCell


def _unknown_role(role: object) -> InvalidInput:
    roles = ", ".join(r for r in Role if r not in RESERVED_ROLES)
    return InvalidInput(f"unknown role {role!r}; use one of {roles}", code="unknown_role", field="role",
                        value=str(role), roles=roles)


def _reserved_role() -> InvalidInput:
    return InvalidInput("the system and citizen roles are reserved (automatic acts; the public, who have no account)",
                        code="role_reserved", field="role")


def create_user(
    *,
    session: Session,
    username: str,
    role: Role | str,
    display_name: str = "",
    department_code: str | None = None,
    cell_codes: Sequence[str] = (),
) -> User:
    try:
        role = Role(role)
    except ValueError:
        raise _unknown_role(role) from None
    if role in RESERVED_ROLES:
        raise _reserved_role()
    username = username.strip()
    if not username or len(username) > 64:
        raise InvalidInput("a user name needs 1 to 64 characters", code="username_length", field="username")
    if session.exec(select(User).where(User.username == username)).first():
        raise Conflict(f"user {username!r} already exists", code="user_exists", username=username)
    if role == Role.department and not department_code:
        raise InvalidInput("a department user needs a department (--department CODE)", code="department_required",
                           field="department_code")
    if department_code and not session.exec(select(Department).where(Department.code == department_code)).first():
        raise UnknownDepartment(f"unknown department {department_code!r}", field="department_code",
                                department_code=department_code)
    if role == Role.worker and not cell_codes:
        raise InvalidInput("a grid worker needs the cells they walk (cell_codes; --cells CODE,CODE on the command "
                           "line)", code="cells_required", field="cell_codes")
    user = User(username=username, role=role, display_name=display_name or username, department_code=department_code)
    session.add(user)
    session.flush()
    assign_cells(session=session, user=user, cell_codes=cell_codes)
    return user


def assign_cells(*, session: Session, user: User, cell_codes: Sequence[str]) -> None:
    codes = sorted(set(cell_codes))
    if not codes:
        return
    known = set(
        session.exec(select(Area.code).where(col(Area.code).in_(codes), Area.level == AreaLevel.cell)).all()
    )
    missing = [c for c in codes if c not in known]
    if missing:
        raise UnknownArea("unknown cell code(s): " + ", ".join(missing[:20]), code="unknown_cells", codes=missing,
                          shown=", ".join(missing[:20]))
    have = set(session.exec(select(WorkerCell.cell_code).where(WorkerCell.user_id == user.id)).all())
    for code in codes:
        if code not in have:
            session.add(WorkerCell(user_id=user.id, cell_code=code))
    session.flush()


def set_cells(*, session: Session, user: User, cell_codes: Sequence[str]) -> None:
    """The user walks exactly these cells from now on."""
    codes = set(cell_codes)
    assign_cells(session=session, user=user, cell_codes=sorted(codes))
    for row in session.exec(select(WorkerCell).where(WorkerCell.user_id == user.id)).all():
        if row.cell_code not in codes:
            session.delete(row)
    session.flush()


def profile(*, session: Session, user: User) -> dict[str, object]:
    """What an admin may change about a user, as plain values (for the security log's before → after)."""
    return {"role": str(user.role), "display_name": user.display_name, "department_code": user.department_code,
            "is_leader": user.is_leader, "cells": sorted(cells_of(session=session, user_id=user.id))}


def update_user(
    *,
    session: Session,
    user: User,
    role: Role | str | None = None,
    display_name: str | None = None,
    department_code: str | None = None,
    clear_department: bool = False,
    cell_codes: Sequence[str] | None = None,
    is_leader: bool | None = None,
) -> User:
    """Change a user's role, name, department, leadership or cells (what is None stays)."""
    if role is not None:
        try:
            role = Role(role)
        except ValueError:
            raise _unknown_role(role) from None
        if role in RESERVED_ROLES:
            raise _reserved_role()
        user.role = role
    if display_name is not None:
        if not display_name.strip() or len(display_name) > 64:
            raise InvalidInput("a display name needs 1 to 64 characters", code="display_name_length",
                               field="display_name")
        user.display_name = display_name.strip()
    if clear_department:
        user.department_code = None
    elif department_code is not None:
        if not session.exec(select(Department).where(Department.code == department_code)).first():
            raise UnknownDepartment(f"unknown department {department_code!r}", field="department_code",
                                    department_code=department_code)
        user.department_code = department_code
    if is_leader is not None:
        user.is_leader = is_leader
    if user.role == Role.department and not user.department_code:
        raise InvalidInput("a department user needs a department", code="department_required",
                           field="department_code")
    if cell_codes is not None:
        set_cells(session=session, user=user, cell_codes=cell_codes)
    if user.role == Role.worker and not cells_of(session=session, user_id=user.id):
        raise InvalidInput("a grid worker needs the cells they walk", code="cells_required", field="cell_codes")
    session.add(user)
    session.flush()
    return user


def cells_of(*, session: Session, user_id: int) -> list[str]:
    return list(session.exec(select(WorkerCell.cell_code).where(WorkerCell.user_id == user_id)).all())


def workers_of_cell(*, session: Session, cell_code: str) -> list[int]:
    return list(session.exec(select(WorkerCell.user_id).where(WorkerCell.cell_code == cell_code)).all())


class Actor:
    """Who is acting: a user with role and scope, or the system (rules)."""

    __slots__ = ("user_id", "username", "role", "department_code", "cell_codes")

    def __init__(
        self,
        *,
        user_id: int | None,
        username: str,
        role: Role,
        department_code: str | None = None,
        cell_codes: frozenset[str] = frozenset(),
    ) -> None:
        self.user_id, self.username, self.role = user_id, username, Role(role)
        self.department_code, self.cell_codes = department_code, cell_codes

    @classmethod
    def of(cls, *, session: Session, user: User) -> Actor:
        cells = refcache.cached(session, ("cells", user.id), lambda s: frozenset(cells_of(session=s, user_id=user.id))
                                ) if user.role == Role.worker else frozenset()
        return cls(user_id=user.id, username=user.username, role=user.role,
                   department_code=user.department_code, cell_codes=cells)

    def __repr__(self) -> str:
        return f"Actor({self.username!r}, {self.role})"


SYSTEM = Actor(user_id=None, username="system", role=Role.system)
#: a member of the public acting through a tracking link (a report, a support, a rating)
CITIZEN = Actor(user_id=None, username="citizen", role=Role.citizen)
