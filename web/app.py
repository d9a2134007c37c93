"""The FastAPI application: composition of settings, database, state and routers."""

from __future__ import annotations

import contextlib
from contextlib import asynccontextmanager
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import anyio
from fastapi import FastAPI, HTTPException, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy import text
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from grid.errors import DomainError
from grid.people import Actor
from web.api import accounts as accounts_router
from web.api import addresses as addresses_router
from web.api import board as board_router
from web.api import catalogue as catalogue_router
from web.api import departments as departments_router
from web.api import errors
from web.api import evaluation as evaluation_router
from web.api import exports as exports_router
from web.api import grid as grid_router
from web.api import gridadmin as gridadmin_router
from web.api import lifecycle as lifecycle_router
from web.api import map as map_router
from web.api import opendata as opendata_router
from web.api import overview as overview_router
from web.api import pages as pages_router
from web.api import public as public_router
from web.api import routing as routing_router
from web.api import security as security_router
from web.api import session as session_router
from web.api import sla as sla_router
from web.api import tickets as tickets_router
from web.api.deps import resolve_actor
from web.api.guard import BodyGuard
from web.api.headers import DocsGate, SecurityHeaders
from web.api.lifetime import Lifetime
from web.api.schemas import HealthOut
from web.api.staticfiles import PrecompressedStaticFiles
from web.auth import SESSION_COOKIE, write_touches
from web.background.live import LiveHub
from web.background.scheduler import SlaScheduler
from web.db import make_engine, require_migrated
from web.settings import Settings, get_settings
from web.state import AppState


class RefuseNul:
    """PostgreSQL text cannot hold NUL: a URL with one is refused (422) before any route reads it. Plain
    ASGI: starlette's BaseHTTPMiddleware costs every request a task and a stream."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and (
                b"%00" in scope.get("raw_path", b"") or b"%00" in scope.get("query_string", b"")
                or "\x00" in scope.get("path", "")):
            if scope["type"] == "http":
                response = JSONResponse({"error": "invalid_input", "message": "the URL contains a NUL character"},
                                        status_code=422)
                await response(scope, receive, send)
            else:
                await send({"type": "websocket.close", "code": 1008, "reason": "the URL contains a NUL character"})
            return
        await self.app(scope, receive, send)


def create_app(settings: Settings | None = None, *, check_migrations: bool = True) -> FastAPI:
    settings = settings or get_settings()
    engine = make_engine(settings.database_url, statement_timeout=settings.request_timeout_seconds)
    if check_migrations:
        require_migrated(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # noqa: ANN202
        state: AppState = app.state.gridops
        state.filing = anyio.CapacityLimiter(settings.report_threads)  # bound to this event loop
        state.hub = LiveHub(engine, redis_url=settings.redis_url, poll_seconds=settings.live_poll_seconds)
        await state.hub.start()
        if settings.scheduler_enabled:
            state.scheduler = SlaScheduler(engine, sweep_seconds=settings.sla_sweep_seconds,
                                           webhook_timeout=settings.webhook_timeout_seconds,
                                           webhook_max_attempts=settings.webhook_max_attempts,
                                           on_fired=state.hub.notify, media_dir=settings.media_dir,
                                           timezone=ZoneInfo(settings.timezone))
            state.scheduler.start()
        yield
        if state.scheduler is not None:
            state.scheduler.shutdown()
        await state.hub.stop()
        engine.dispose()

    app = FastAPIOffline(  # Swagger UI served from the package: no CDN on a government intranet
        title="gridops",
        version="0.1.0",
        description="Grid-governance case dispatch: report → register → dispatch → handle → check → close.",
        lifespan=lifespan,
    )
    app.state.gridops = AppState.build(settings, engine)
    errors.install(app)

    app.add_middleware(BodyGuard, multipart_limit=settings.max_upload_bytes,
                       multipart_advice=f"at most {settings.max_photos} photos of "
                                        f"{settings.max_photo_bytes / 1e6:.1f} MB each are accepted")
    app.add_middleware(RefuseNul)
    if not settings.public_docs:

        def signed_in(token: str | None, cookie: str | None) -> bool:
            with Session(engine) as session:
                try:
                    resolve_actor(session, token=token, cookie=cookie, method="GET", csrf=None)
                except HTTPException:
                    return False
            return True

        app.add_middleware(DocsGate, who=signed_in)
    app.add_middleware(Lifetime, seconds=settings.request_timeout_seconds)  # a time limit; clients that leave
    app.add_middleware(SecurityHeaders, tiles_url=settings.map_tiles_url, hsts=settings.cookie_secure)
    if settings.forwarded_allow_ips.strip():  # outermost: every layer and route sees the real client's address
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    app.include_router(tickets_router.router)
    app.include_router(exports_router.router)
    app.include_router(lifecycle_router.router)
    app.include_router(routing_router.router)  # before grid's: /routing-rules/try
    app.include_router(grid_router.router)
    app.include_router(catalogue_router.router)
    app.include_router(departments_router.router)
    app.include_router(gridadmin_router.router)
    app.include_router(addresses_router.router)
    app.include_router(map_router.router)
    app.include_router(overview_router.router)
    app.include_router(sla_router.router)
    app.include_router(session_router.router)
    app.include_router(accounts_router.router)
    app.include_router(security_router.router)
    app.include_router(public_router.router)
    app.include_router(opendata_router.router)
    app.include_router(evaluation_router.router)
    app.include_router(board_router.router)
    app.include_router(pages_router.router)
    pages_router.STATIC.mkdir(parents=True, exist_ok=True)
    app.mount("/static", PrecompressedStaticFiles(directory=pages_router.STATIC), name="static")

    @app.websocket("/ws")
    async def live(websocket: WebSocket, since: int | None = None, token: str | None = None) -> None:
        """Live events for the caller (session cookie, ?token= or a Bearer header). Reconnect with
        ?since=<last event id> to be sent what was missed."""
        state: AppState = app.state.gridops
        header = websocket.headers.get("authorization", "")
        bearer = header[7:].strip() if header.lower().startswith("bearer ") else None
        cookie = websocket.cookies.get(SESSION_COOKIE)
        origin = websocket.headers.get("origin")
        if cookie and not (token or bearer) and origin and urlsplit(origin).netloc != websocket.headers.get("host"):
            await websocket.accept()  # then a close code the page can read (a refused handshake is only 403)
            await websocket.close(code=4403, reason="cross-site websocket refused")
            return

        def recheck(session: Session) -> Actor:
            """Who the socket's credential stands for now (HTTPException when it no longer stands for anyone:
            the hub asks again whenever accounts change, and closes the socket then)."""
            return resolve_actor(session, token=token or bearer, cookie=cookie, method="GET", csrf=None,
                                 path="/ws", limits=state.limits)

        def who() -> Actor:
            session = Session(engine)
            try:
                return recheck(session)
            finally:
                session.close()  # (first: on SQLite its transaction holds the write lock)
                write_touches(engine, session)

        try:
            actor = await run_in_threadpool(who)
        except (HTTPException, DomainError) as exc:
            await websocket.accept()
            code = 4401 if getattr(exc, "status_code", 403) == 401 else 4403
            await websocket.close(code=code, reason=str(getattr(exc, "detail", exc))[:120])
            return
        await websocket.accept()
        with contextlib.suppress(WebSocketDisconnect):
            await state.hub.serve(websocket, actor, since, recheck=recheck)

    @app.get("/healthz", tags=["ops"], response_model=HealthOut)
    def healthz() -> HealthOut:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return HealthOut(status="ok", database=engine.dialect.name)

    return app
