"""Signing in and out with a user name and password; who am I; changing one's own password."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from grid.clock import utcnow
from grid.models import Role, User
from grid.people import Actor
from web.api.deps import ActorDep, CallerDep, SessionDep, SourceDep, StateDep, UnitDep
from web.auth import (
    SESSION_COOKIE,
    authenticate,
    close_session,
    end_sessions,
    open_session,
    revoke_tokens,
    signed_for_cookie,
)
from web.passwords import check_password, check_policy, hash_password
from web.seclog import SecurityKind, record

router = APIRouter(prefix="/api/v1", tags=["session"])

LANDING = {Role.worker: "/m/", Role.department: "/desk", Role.dispatcher: "/map", Role.shift_lead: "/map",
           Role.supervisor: "/map", Role.admin: "/admin", Role.operator: "/hotline"}
REFUSED = {401: {"description": "wrong user name or password"},
           429: {"description": "too many failed sign-ins: wait for Retry-After seconds"}}


class LoginIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class MeOut(BaseModel):
    username: str
    display_name: str
    role: str
    department_code: str | None
    cell_codes: list[str]
    landing: str
    timezone: str = "Asia/Shanghai"
    csrf_token: str | None = None
    must_change_password: bool = False


class PasswordIn(BaseModel):
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


def _me(actor: Actor, display_name: str, csrf: str | None, timezone: str, must_change: bool = False) -> MeOut:
    return MeOut(username=actor.username, display_name=display_name, role=actor.role,
                 department_code=actor.department_code, cell_codes=sorted(actor.cell_codes),
                 landing=LANDING.get(actor.role, "/map"), csrf_token=csrf, timezone=timezone,
                 must_change_password=must_change)


def _wait_words(seconds: int) -> str:
    return f"{seconds} seconds" if seconds < 120 else f"{(seconds + 59) // 60} minutes"


@router.post("/login", response_model=MeOut, responses=REFUSED)
def login(body: LoginIn, request: Request, response: Response, session: SessionDep, state: StateDep,
          unit: UnitDep, source: SourceDep) -> MeOut:
    """Sign in: sets an HttpOnly, SameSite=Strict session cookie and returns the CSRF token the page
    must send back in X-CSRF-Token on every change, and the page this role lands on. Failed sign-ins are
    throttled per user name and per address (429 with Retry-After); the answer never says whether the user
    exists. ``must_change_password``: the page must have the user choose a new password before anything else."""
    name, throttle = body.username.strip(), state.throttle
    wait = throttle.wait(name, source.client)
    if wait:
        raise HTTPException(429, f"too many failed sign-ins for this user name or from this address; try again in "
                                 f"{_wait_words(wait)}", headers={"Retry-After": str(wait)})
    user = authenticate(session=session, username=name, password=body.password)
    if user is None:
        locked = throttle.failed(name, source.client)
        with unit:
            record(session, kind=SecurityKind.sign_in_failed, source=source, actor_name=name[:64],
                   subject=f"user:{name[:64]}", detail={"locked": locked} if locked else {})
        raise HTTPException(401, "wrong user name or password")
    throttle.succeeded(name)
    actor = Actor.of(session=session, user=user)
    with unit:
        token, web_session = open_session(session=session, user=user, hours=state.settings.session_hours,
                                          client=source.client, user_agent=request.headers.get("user-agent", ""))
        record(session, kind=SecurityKind.sign_in, source=source, actor=actor, subject=f"user:{user.username}",
               detail={"session": web_session.id})
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", secure=state.settings.cookie_secure,
                        max_age=int(state.settings.session_hours * 3600), path="/")
    return _me(actor, user.display_name, web_session.csrf_token, state.settings.timezone, user.must_change_password)


@router.post("/logout", status_code=204, responses={403: {"description": "missing or wrong X-CSRF-Token"}})
def logout(request: Request, response: Response, session: SessionDep, unit: UnitDep, caller: CallerDep,
           source: SourceDep) -> None:
    """End this browser's session (and its live connections). Needs the X-CSRF-Token like every change; a
    session that already ended is simply forgotten."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        try:
            actor = caller.actor(session)
        except HTTPException as exc:
            if exc.status_code != 401:
                raise
            actor = None  # already ended: nothing to record
        if actor is not None:
            with unit:
                ended = close_session(session=session, token=cookie)
                record(session, kind=SecurityKind.sign_out, source=source, actor=actor,
                       subject=f"user:{actor.username}", detail={"session": ended.id if ended else None})
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/me", response_model=MeOut)
def me(request: Request, session: SessionDep, actor: ActorDep, state: StateDep) -> MeOut:
    """The caller, its landing page, and (for a browser session) the CSRF token again after a reload."""
    cookie = request.cookies.get(SESSION_COOKIE)
    signed = signed_for_cookie(session=session, token=cookie, limits=state.limits) if cookie else None
    user = session.get(User, actor.user_id)
    return _me(actor, user.display_name if user else actor.username, signed.csrf_token if signed else None,
               state.settings.timezone, bool(signed and signed.must_change_password))


@router.post("/me/password", response_model=MeOut, responses={**REFUSED, 422: {"description": "the new password "
                                                                                 "does not meet the policy"}})
def change_password(body: PasswordIn, request: Request, session: SessionDep, state: StateDep, unit: UnitDep,
                    actor: ActorDep, source: SourceDep) -> MeOut:
    """Change one's own password (the current one is asked again). Every other session and every API token
    of the user ends; this browser stays signed in."""
    wait = state.throttle.wait(actor.username, source.client)
    if wait:
        raise HTTPException(429, f"too many failed attempts; try again in {_wait_words(wait)}",
                            headers={"Retry-After": str(wait)})
    user = session.get(User, actor.user_id)
    if user is None or not check_password(user, body.current_password):
        state.throttle.failed(actor.username, source.client)
        raise HTTPException(401, "the current password is wrong")
    check_policy(body.new_password, username=user.username)
    if check_password(user, body.new_password):
        raise HTTPException(422, "the new password must differ from the current one")
    cookie = request.cookies.get(SESSION_COOKIE)
    signed = signed_for_cookie(session=session, token=cookie, limits=state.limits) if cookie else None
    with unit:
        user.password_hash = hash_password(body.new_password)
        user.must_change_password = False
        user.password_changed_at = utcnow()
        session.add(user)
        ended = end_sessions(session=session, user_id=user.id, keep=signed.session_id if signed else None)
        revoked = revoke_tokens(session=session, user_id=user.id)
        record(session, kind=SecurityKind.password_change, source=source, actor=actor, subject=f"user:{user.username}",
               detail={"sessions_ended": len(ended), "tokens_revoked": len(revoked)})
    return _me(actor, user.display_name, signed.csrf_token if signed else None, state.settings.timezone)
