"""Accounts over HTTP: users (admins), API tokens and browser sessions (their owners and admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from grid.errors import Forbidden, InvalidInput
from grid.models import Role, WorkerCell
from grid.people import Actor, cells_of
from web import accounts, userimport
from web.api import errors
from web.api.deps import ActorDep, SessionDep, SourceDep, StateDep, UnitDep
from web.auth import SESSION_COOKIE, hash_token, live_sessions
from web.models import ApiToken, WebSession

router = APIRouter(prefix="/api/v1", tags=["accounts"])

UserName = Annotated[str, Path(min_length=1, max_length=64)]
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
NOT_FOUND = errors.responses(not_found="no such user, token or session (or not yours)")


def _admin(actor: Actor) -> None:
    if actor.role != Role.admin:
        raise Forbidden(f"only an admin may do this; you are a {actor.role}")


class UserOut(BaseModel):
    username: str
    display_name: str
    role: str
    department_code: str | None
    is_leader: bool
    active: bool
    must_change_password: bool
    has_password: bool
    created_at: datetime
    password_changed_at: datetime | None
    cell_codes: list[str] = Field(description="the cells a grid worker walks (the console shows and edits them)")


def _user_out(u, cells: list[str] | None = None, *, session: Session | None = None) -> UserOut:  # noqa: ANN001
    if cells is None:
        cells = cells_of(session=session, user_id=u.id) if session is not None else []
    return UserOut(username=u.username, display_name=u.display_name, role=str(u.role),
                   department_code=u.department_code, is_leader=u.is_leader, active=u.active,
                   must_change_password=u.must_change_password, has_password=bool(u.password_hash),
                   created_at=u.created_at,
                   password_changed_at=u.password_changed_at, cell_codes=sorted(cells))


CellCode = Annotated[str, Field(pattern=r"^\d{15}$", description="a 15-digit cell code")]


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$",
                          description="letters, digits and _ . @ - (it is typed at sign-in)")
    role: Role
    display_name: str = Field(default="", max_length=64)
    department_code: str | None = Field(default=None, max_length=32)
    cell_codes: list[CellCode] = Field(default_factory=list, max_length=2000)
    is_leader: bool = False
    password: str | None = Field(default=None, max_length=256, description="to sign in to the pages; none: "
                                                                          "API tokens only")
    must_change_password: bool = True


class UserChangeIn(BaseModel):
    role: Role | None = None
    display_name: str | None = Field(default=None, max_length=64)
    department_code: str | None = Field(default=None, max_length=32, description="'' removes it")
    cell_codes: list[CellCode] | None = Field(default=None, max_length=2000, description="the full set from now on")
    is_leader: bool | None = None


class DeactivateIn(BaseModel):
    reason: str = Field(default="", max_length=500)


class PasswordResetIn(BaseModel):
    password: str = Field(max_length=256)
    must_change: bool = Field(default=True, description="the user must choose their own at the next sign-in")


class UnlockIn(BaseModel):
    address: str = Field(default="", max_length=64, description="also forget this client address's failures")


@router.get("/users", response_model=list[UserOut])
def users(session: SessionDep, actor: ActorDep,
          q: Annotated[str, Query(max_length=64, description="part of the user or display name")] = "",
          role: Role | None = None, active: bool | None = None,
          department: Annotated[str, Query(max_length=32, description="a department's code: its users")] = "",
          leader: Annotated[bool | None, Query(description="true: only departments' leaders")] = None,
          ) -> list[UserOut]:
    """Users (admin), by name, at most 200; filters by role, active, department and leadership."""
    _admin(actor)
    found = accounts.list_users(session, q=q, role=role, active=active, department=department or None,
                                leader=leader)
    cells: dict[int, list[str]] = {}
    if found:  # one query for every listed user's cells
        for user_id, code in session.exec(select(WorkerCell.user_id, WorkerCell.cell_code)
                                          .where(col(WorkerCell.user_id).in_([u.id for u in found]))):
            cells.setdefault(user_id, []).append(code)
    return [_user_out(u, cells.get(u.id, [])) for u in found]


@router.post("/users", status_code=201, response_model=UserOut,
             responses=errors.responses(conflict="the user name is taken"))
def create_user(body: UserIn, session: SessionDep, unit: UnitDep, actor: ActorDep, source: SourceDep) -> UserOut:
    """Create a user (admin): role, department, the cells a grid worker walks, and optionally a password
    (by default to be changed at the first sign-in). API tokens are made with POST /tokens."""
    _admin(actor)
    with unit:
        user = accounts.create_account(session, username=body.username, role=body.role, display_name=body.display_name,
                                       department_code=body.department_code or None, cell_codes=body.cell_codes,
                                       is_leader=body.is_leader, password=body.password,
                                       must_change=body.must_change_password, by=actor, source=source)
    return _user_out(user, session=session)


@router.patch("/users/{username}", response_model=UserOut, responses=NOT_FOUND)
def change_user(username: UserName, body: UserChangeIn, session: SessionDep, unit: UnitDep, actor: ActorDep,
                source: SourceDep) -> UserOut:
    """Change a user's role, display name, department, leadership or cells (admin); what is left out stays.
    Takes effect on the user's next request and live connection."""
    _admin(actor)
    with unit:
        user = accounts.update_account(
            session, username=username, by=actor, source=source, role=body.role, display_name=body.display_name,
            department_code=body.department_code or None, clear_department=body.department_code == "",
            cell_codes=body.cell_codes, is_leader=body.is_leader)
    return _user_out(user, session=session)


@router.post("/users/{username}/deactivate", response_model=UserOut,
             responses={**NOT_FOUND, **errors.responses(conflict="one's own account: ask another admin")})
def deactivate(username: UserName, body: DeactivateIn, session: SessionDep, unit: UnitDep, actor: ActorDep,
               source: SourceDep) -> UserOut:
    """Deactivate a user (admin): refused from the next request on, their sessions end and their live
    connections close. Users are never deleted."""
    _admin(actor)
    with unit:
        user = accounts.deactivate(session, username=username, by=actor, source=source, reason=body.reason)
    return _user_out(user, session=session)


@router.post("/users/{username}/reactivate", response_model=UserOut, responses=NOT_FOUND)
def reactivate(username: UserName, session: SessionDep, unit: UnitDep, actor: ActorDep,
               source: SourceDep) -> UserOut:
    _admin(actor)
    with unit:
        user = accounts.reactivate(session, username=username, by=actor, source=source)
    return _user_out(user, session=session)


@router.post("/users/{username}/password", response_model=UserOut, responses=NOT_FOUND)
def reset_password(username: UserName, body: PasswordResetIn, session: SessionDep, unit: UnitDep, actor: ActorDep,
                   source: SourceDep) -> UserOut:
    """Set a user's password (admin); by default they must choose their own at the next sign-in. Every
    session and API token of the user ends."""
    _admin(actor)
    with unit:
        user = accounts.reset_password(session, username=username, password=body.password,
                                       must_change=body.must_change, by=actor, source=source)
    return _user_out(user, session=session)


@router.post("/users/{username}/require-password-change", response_model=UserOut,
             responses={**NOT_FOUND, **errors.responses(conflict="the user has no password (API tokens only)")})
def require_password_change(username: UserName, session: SessionDep, unit: UnitDep, actor: ActorDep,
                            source: SourceDep) -> UserOut:
    """The user must choose a new password before doing anything else (admin)."""
    _admin(actor)
    with unit:
        user = accounts.require_password_change(session, username=username, by=actor, source=source)
    return _user_out(user, session=session)


@router.post("/users/{username}/unlock", status_code=204, responses=NOT_FOUND)
def unlock(username: UserName, body: UnlockIn, session: SessionDep, unit: UnitDep, actor: ActorDep,
           source: SourceDep, state: StateDep) -> None:
    """Forget a user name's failed sign-ins (admin), and an address's when given: they may sign in at once."""
    _admin(actor)
    with unit:
        accounts.unlock(session, state.throttle, username=username, address=body.address, by=actor, source=source)


# --- users in bulk ----------------------------------------------------------------------------------------

MAX_SHEET_BYTES = 5_000_000


class ProblemOut(BaseModel):
    code: str = Field(description="stable name of the problem, as an error's code (the pages translate it)")
    message: str = Field(description="the problem in English")
    params: dict[str, Any] = Field(description="the code's parameters, as an error's")


class ImportRowOut(BaseModel):
    row: int = Field(description="the row in the file (the header is row 1)")
    username: str
    display_name: str
    role: str
    department_code: str | None
    cell_codes: list[str]
    is_leader: bool
    errors: list[str] = Field(description="what is wrong with the row; empty: it is (or would be) created")
    problems: list[ProblemOut] = Field(description="the same, each with its code and parameters")
    created: bool
    password: str | None = Field(description="the one-time password of a user created: shown this once")


class UserImportOut(BaseModel):
    applied: bool = Field(description="false: a preview, nothing was created")
    valid: int
    invalid: int
    created: int
    rows: list[ImportRowOut]


@router.post("/users/import", response_model=UserImportOut,
             responses=errors.responses(invalid_input="the file cannot be read, or has too many rows"))
def import_users(session: SessionDep, unit: UnitDep, actor: ActorDep, source: SourceDep,
                 file: Annotated[UploadFile, File(description="CSV (UTF-8 or GB18030) or XLSX; first row: the "
                                                              "column names")],
                 apply: Annotated[bool, Query(description="create the valid rows; false: only a preview")] = False,
                 passwords: Annotated[bool, Query(description="give each user created a one-time password")] = True,
                 ) -> UserImportOut:
    """Users in bulk from a spreadsheet (admin): columns username, display_name, role, department, cells (codes
    and ranges such as 310101001001001-012), is_leader, in English or Chinese (用户名, 姓名, 角色, 部门, 网格,
    负责人). Without ``apply``, a preview: every row checked as creating it would check it, nothing created.
    With ``apply``, the valid rows are created (each its own entry on the security log) and the bad ones
    left out, each with what is wrong."""
    _admin(actor)
    data = file.file.read(MAX_SHEET_BYTES + 1)
    if len(data) > MAX_SHEET_BYTES:
        raise InvalidInput(f"the file is over {MAX_SHEET_BYTES // 1_000_000} MB; split it")
    rows = userimport.read_rows(data, file.filename or "")
    with unit:
        results = userimport.import_users(session, rows, apply=apply, by=actor, source=source, passwords=passwords)
    valid = sum(1 for r in results if not r.errors)
    return UserImportOut(applied=apply, valid=valid, invalid=len(results) - valid,
                         created=sum(1 for r in results if r.created),
                         rows=[ImportRowOut(**vars(r), errors=r.errors) for r in results])


# --- tokens ------------------------------------------------------------------------------------------------

class TokenOut(BaseModel):
    id: int
    username: str
    name: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked: bool
    revoked_at: datetime | None


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=80, description="what the token is for, e.g. the program using it")
    days: float | None = Field(default=None, gt=0, le=3650, description="how long it lives (at most the setting "
                                                                          "GRIDOPS_TOKEN_DAYS)")
    username: str | None = Field(default=None, max_length=64, description="admins: make it for this user")


class TokenCreated(TokenOut):
    token: str = Field(description="the token itself: shown this once, never again")


def _token_out(row: ApiToken, username: str) -> TokenOut:
    return TokenOut(id=row.id, username=username, name=row.name, created_at=row.created_at,
                    expires_at=row.expires_at, last_used_at=row.last_used_at, revoked=row.revoked,
                    revoked_at=row.revoked_at)


@router.get("/tokens", response_model=list[TokenOut], responses=errors.responses(not_found="no such user"))
def list_tokens(session: SessionDep, actor: ActorDep,
                username: Annotated[str | None, Query(max_length=64, description="admins: this user's; "
                                                      "'*' for everyone's")] = None,
                include_revoked: bool = False) -> list[TokenOut]:
    """The caller's API tokens (never the tokens themselves), or, for admins, a user's or everyone's."""
    user_id = actor.user_id
    if username and username != actor.username:
        _admin(actor)
        user_id = None if username == "*" else accounts.find_user(session, username).id
    return [_token_out(row, name) for row, name in
            accounts.tokens(session, user_id=user_id, include_revoked=include_revoked)]


@router.post("/tokens", status_code=201, response_model=TokenCreated,
             responses={**NOT_FOUND, **errors.responses(conflict="the user is deactivated")})
def create_token(body: TokenIn, session: SessionDep, unit: UnitDep, actor: ActorDep, source: SourceDep,
                 state: StateDep) -> TokenCreated:
    """A new API token for the caller (or, for admins, another user); the answer is the only time it is seen."""
    user = accounts.find_user(session, body.username or actor.username)
    accounts.may_manage(actor, user)
    with unit:
        token, row = accounts.create_token(session, user=user, name=body.name, days=body.days, limits=state.limits,
                                           by=actor, source=source)
    return TokenCreated(token=token, **_token_out(row, user.username).model_dump())


@router.delete("/tokens/{token_id}", status_code=204, responses=NOT_FOUND)
def revoke_token(token_id: RowId, session: SessionDep, unit: UnitDep, actor: ActorDep, source: SourceDep) -> None:
    """Revoke a token (its owner or an admin): refused from the next request on, in every process."""
    with unit:
        accounts.revoke_token(session, token_id=token_id, by=actor, source=source)


# --- sessions ----------------------------------------------------------------------------------------------

class SessionOut(BaseModel):
    id: int
    username: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    client: str
    user_agent: str
    current: bool = Field(description="the session of this very request")


@router.get("/sessions", response_model=list[SessionOut], responses=errors.responses(not_found="no such user"))
def list_sessions(request: Request, session: SessionDep, actor: ActorDep, state: StateDep,
                  username: Annotated[str | None, Query(max_length=64, description="admins: this user's; '*' for "
                                                        "everyone's")] = None) -> list[SessionOut]:
    """Signed-in browsers that have not ended: the caller's, or for admins a user's or everyone's."""
    user_id = actor.user_id
    if username and username != actor.username:
        _admin(actor)
        user_id = None if username == "*" else accounts.find_user(session, username).id
    cookie = request.cookies.get(SESSION_COOKIE)
    mine = hash_token(cookie) if cookie else None
    return [SessionOut(id=row.id, username=name, created_at=row.created_at, last_seen_at=row.last_seen_at,
                       expires_at=row.expires_at, client=row.client, user_agent=row.user_agent,
                       current=row.token_hash == mine)
            for row, name in live_sessions(session=session, user_id=user_id, limits=state.limits)]


@router.delete("/sessions/{session_id}", status_code=204, responses=NOT_FOUND)
def end_session(session_id: RowId, request: Request, response: Response, session: SessionDep, unit: UnitDep,
                actor: ActorDep, source: SourceDep) -> None:
    """End a session (its owner or an admin): that browser is signed out and its live connections close."""
    cookie = request.cookies.get(SESSION_COOKIE)
    row = session.get(WebSession, session_id)
    with unit:
        accounts.end_session(session, session_id=session_id, by=actor, source=source)
    if cookie and row is not None and row.token_hash == hash_token(cookie):
        response.delete_cookie(SESSION_COOKIE, path="/")
