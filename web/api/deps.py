"""FastAPI dependencies: the request's database session, its caller, and the app state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from dispatch.photos import MediaStore
from grid.errors import Forbidden
from grid.people import Actor
from web.auth import (
    CSRF_HEADER,
    SESSION_COOKIE,
    Limits,
    actor_for_token,
    csrf_ok,
    has_touches,
    signed_for_cookie,
    write_touches,
)
from web.seclog import Source
from web.state import AppState
from web.unit import Unit

# The dependencies that touch no database are ``async``: FastAPI runs a sync dependency in the thread pool
# (a generator one twice, to enter and to leave), a hand-over of a few hundred µs each. What may talk to the
# database at the end (a rollback, a connection given back) is sent to the thread pool then, and only then.

async def get_state(request: Request) -> AppState:
    return request.app.state.gridops


async def get_session(state: Annotated[AppState, Depends(get_state)]) -> AsyncIterator[Session]:
    session = Session(state.engine, expire_on_commit=False)
    try:
        yield session
    finally:
        if session.in_transaction():  # a ROLLBACK to send and a connection to give back: not on the event loop
            await run_in_threadpool(session.close)
        else:
            session.close()
        if has_touches(session):  # when the caller's session or token was last seen (once a minute at most)
            await run_in_threadpool(write_touches, state.engine, session)


async def get_unit(state: Annotated[AppState, Depends(get_state)],
                   session: Annotated[Session, Depends(get_session)]) -> AsyncIterator[Unit]:
    """The request's unit of work: ``with unit:`` commits; then the SLA scheduler and the live hub wake."""
    unit = Unit(session, media=MediaStore(state.settings.media_dir),
                after_commit=[lambda: state.committed(session)])
    try:
        yield unit
    finally:
        if unit.pending:
            await run_in_threadpool(unit.close)


bearer = HTTPBearer(auto_error=False, description="an API token from `gridops user create`")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class PasswordChangeRequired(Forbidden):
    code = "password_change_required"


#: what a user whom an admin told to change their password may do before they have
WHILE_PASSWORD_CHANGE = frozenset({"/api/v1/me", "/api/v1/me/password", "/api/v1/logout"})


def resolve_actor(session: Session, *, token: str | None, cookie: str | None, method: str,
                  csrf: str | None, path: str = "", limits: Limits | None = None) -> Actor:
    """A Bearer token, or a session cookie (with the CSRF token echoed on state-changing requests)."""
    if token:
        actor = actor_for_token(session=session, token=token, limits=limits)
        if actor is None:
            raise HTTPException(401, "the token is unknown, expired or revoked; ask an admin for a new one",
                                headers={"WWW-Authenticate": "Bearer"})
        return actor
    if cookie:
        signed = signed_for_cookie(session=session, token=cookie, limits=limits)
        if signed is None:
            raise HTTPException(401, "your session has ended; sign in again")
        if method not in SAFE_METHODS and not csrf_ok(signed.csrf_token, csrf):
            raise HTTPException(403, f"missing or wrong {CSRF_HEADER} header; reload the page")
        if signed.must_change_password and path not in WHILE_PASSWORD_CHANGE:
            raise PasswordChangeRequired("an administrator asked you to choose a new password before going on: "
                                         "change it at /login")
        return signed.actor
    raise HTTPException(401, "sign in first (or send Authorization: Bearer <token>)",
                        headers={"WWW-Authenticate": "Bearer"})


@dataclass(frozen=True)
class Caller:
    """Who a request says it is, not checked yet. ``actor`` checks it (401/403 when it cannot); a route
    that works in the thread pool anyway calls it there (``CallerDep``), saving a hand-over to the pool."""

    token: str | None
    cookie: str | None
    method: str
    csrf: str | None
    path: str = ""
    limits: Limits | None = None

    def actor(self, session: Session) -> Actor:
        return resolve_actor(session, token=self.token, cookie=self.cookie, method=self.method, csrf=self.csrf,
                             path=self.path, limits=self.limits)


async def get_caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    token = credentials.credentials.strip() if credentials else None
    return Caller(token=token or None, cookie=request.cookies.get(SESSION_COOKIE), method=request.method,
                  csrf=request.headers.get(CSRF_HEADER), path=request.url.path,
                  limits=request.app.state.gridops.limits)


def get_actor(session: Annotated[Session, Depends(get_session)],
              caller: Annotated[Caller, Depends(get_caller)]) -> Actor:
    return caller.actor(session)


StateDep = Annotated[AppState, Depends(get_state)]
SessionDep = Annotated[Session, Depends(get_session)]
ActorDep = Annotated[Actor, Depends(get_actor)]
CallerDep = Annotated[Caller, Depends(get_caller)]
UnitDep = Annotated[Unit, Depends(get_unit)]


async def get_source(request: Request) -> Source:
    """Where a request comes from, for the security log: ``api`` with a Bearer token, else ``web``, and the
    client's address (behind a proxy, GRIDOPS_FORWARDED_ALLOW_IPS makes it the real client's)."""
    channel = "api" if request.headers.get("authorization", "").lower().startswith("bearer ") else "web"
    return Source(channel, request.client.host if request.client else "")


SourceDep = Annotated[Source, Depends(get_source)]
