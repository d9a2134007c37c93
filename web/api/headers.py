"""Security headers on every response (issue 11, HTTP hardening).

The pages load their scripts from /static only (no inline script: a Content-Security-Policy forbids it);
MapLibre runs its workers from blob: URLs; the live feed is a websocket to the same host; an optional tile
server (GRIDOPS_MAP_TILES_URL) is allowed for images and fetches. The API docs page (Swagger UI) starts
itself with an inline script, so /docs alone allows that. HSTS is sent when cookies are HTTPS-only."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.auth import SESSION_COOKIE

DOC_PAGES = ("/docs", "/docs/oauth2-redirect", "/redoc")
DOC_PATHS = (*DOC_PAGES, "/openapi.json")


def content_security_policy(*, tiles_url: str | None, docs: bool) -> str:
    tiles = ""
    if tiles_url:
        parts = urlsplit(tiles_url.replace("{", "").replace("}", ""))
        tiles = f" {parts.scheme}://{parts.netloc}"
    script = "'self' 'unsafe-inline'" if docs else "'self'"
    return "; ".join([
        "default-src 'self'", f"script-src {script}", "style-src 'self' 'unsafe-inline'",
        f"img-src 'self' data: blob:{tiles}", f"connect-src 'self'{tiles}", "worker-src 'self' blob:",
        "font-src 'self' data:", "object-src 'none'", "base-uri 'self'", "form-action 'self'",
        "frame-ancestors 'none'",
    ])


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, tiles_url: str | None = None, hsts: bool = False) -> None:
        self.app = app
        common = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"}
        if hsts:
            common["Strict-Transport-Security"] = "max-age=31536000"
        self.pages = {**common, "Content-Security-Policy": content_security_policy(tiles_url=tiles_url, docs=False)}
        self.docs = {**common, "Content-Security-Policy": content_security_policy(tiles_url=tiles_url, docs=True)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.docs if scope["path"] in DOC_PAGES else self.pages

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


class DocsGate:
    """The API's documentation for signed-in users only (a Bearer token or the session cookie) unless
    GRIDOPS_PUBLIC_DOCS opens it: a page asks the browser to sign in first, the schema answers 401."""

    def __init__(self, app: ASGIApp, *, who: Callable[[str | None, str | None], bool]) -> None:
        self.app, self.who = app, who

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in DOC_PATHS:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
        if await run_in_threadpool(self.who, token, request.cookies.get(SESSION_COOKIE)):
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/openapi.json":
            response: Response = JSONResponse({"error": "unauthorized", "message": "sign in first (or send "
                                               "Authorization: Bearer <token>) to read the API's schema"},
                                              status_code=401)
        else:
            response = RedirectResponse("/login", status_code=303)
        await response(scope, receive, send)
