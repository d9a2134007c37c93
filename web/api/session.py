"""Signing in and out with a user name and password; who am I."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel

from grid.models import Role
from grid.people import Actor
from web.api.deps import ActorDep, SessionDep, StateDep, UnitDep
from web.auth import SESSION_COOKIE, authenticate, close_session, open_session, session_for_cookie

router = APIRouter(prefix="/api/v1", tags=["session"])

LANDING = {Role.worker: "/m/", Role.department: "/desk", Role.dispatcher: "/map", Role.shift_lead: "/map",
           Role.supervisor: "/map", Role.admin: "/map"}


class LoginIn(BaseModel):
    username: str
    password: str


class MeOut(BaseModel):
    username: str
    display_name: str
    role: str
    department_code: str | None
    cell_codes: list[str]
    landing: str
    timezone: str = "Asia/Shanghai"
    csrf_token: str | None = None


def _me(actor: Actor, display_name: str, csrf: str | None) -> MeOut:
    return MeOut(username=actor.username, display_name=display_name, role=actor.role,
                 department_code=actor.department_code, cell_codes=sorted(actor.cell_codes),
                 landing=LANDING.get(actor.role, "/map"), csrf_token=csrf)


@router.post("/login", response_model=MeOut)
def login(body: LoginIn, response: Response, session: SessionDep, state: StateDep, unit: UnitDep) -> MeOut:
    """Sign in: sets an HttpOnly, SameSite=Strict session cookie and returns the CSRF token the page
    must send back in X-CSRF-Token on every change, and the page this role lands on."""
    user = authenticate(session=session, username=body.username, password=body.password)
    if user is None:
        raise HTTPException(401, "wrong user name or password")
    with unit:
        token, web_session = open_session(session=session, user=user, hours=state.settings.session_hours)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", secure=state.settings.cookie_secure,
                        max_age=int(state.settings.session_hours * 3600), path="/")
    out = _me(Actor.of(session=session, user=user), user.display_name, web_session.csrf_token)
    out.timezone = state.settings.timezone
    return out


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, session: SessionDep, unit: UnitDep) -> None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        with unit:
            close_session(session=session, token=cookie)
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/me", response_model=MeOut)
def me(request: Request, session: SessionDep, actor: ActorDep, state: StateDep) -> MeOut:
    """The caller, its landing page, and (for a browser session) the CSRF token again after a reload."""
    cookie = request.cookies.get(SESSION_COOKIE)
    found = session_for_cookie(session=session, token=cookie) if cookie else None
    from grid.models import User

    user = session.get(User, actor.user_id)
    out = _me(actor, user.display_name if user else actor.username, found[0].csrf_token if found else None)
    out.timezone = state.settings.timezone
    return out
