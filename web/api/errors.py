"""Domain errors → HTTP, in one place. Every error body is {"error", "message", ...details}, and the OpenAPI
document says so: ``ErrorOut`` is the body of every 4xx it declares. What the shared machinery answers on any
route is declared here for every operation it applies to (``declare_errors``); what a route answers itself
(403 for a role, 404, 409) its router declares with ``responses=errors.responses(...)``."""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from dispatch.photos import PhotoTooLarge
from geo.errors import GeoError
from grid.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from web.public_limits import RateLimited

log = logging.getLogger("gridops")

STATUS = [(PhotoTooLarge, 413), (NotFound, 404), (Forbidden, 403), (Conflict, 409), (InvalidInput, 422),
          (RateLimited, 429)]


class ErrorOut(BaseModel):
    """The body of every error answer. Some carry more: ``field`` (the value at fault), ``details`` (each
    invalid value), ``status`` and ``allowed_actions`` (an act the case's state does not allow) ..."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})
    error: str = Field(description="a stable code the pages translate, its parameters beside it as fields: "
                                   "illegal_transition (status, action, role, allowed_actions), version_conflict "
                                   "(version, expected, status), outside_managed_area (nearest_cell, distance_m), "
                                   "photo_too_large (limit_bytes), unknown_category (value), text_required and "
                                   "text_too_long (field, length, limit), invalid_coordinates, unauthorized, "
                                   "forbidden, not_found, invalid_input (field), too_large, ...")
    message: str = Field(description="what is wrong and what to do about it, for a person, in English")


DESCRIPTIONS = {
    400: "the request could not be read",
    401: "not signed in: no credentials, or a token or session that is unknown, expired or revoked",
    403: "signed in, but not allowed to do this (a browser session also: a change without its X-CSRF-Token, or "
         "any request but /me and /me/password while the user must choose a new password)",
    404: "no such thing, or not one the caller may see",
    409: "the state of what it changes does not allow it now",
    413: "the body is larger than its limit",
    422: "a value is not usable: the message names it",
    429: "too many attempts: wait for Retry-After seconds",
}


def responses(*statuses: int, **descriptions: str) -> dict[int | str, dict]:
    """``responses=`` for a route: its own error statuses with the error body, each described generically
    or in the route's words (``not_found="no such case"``: 404)."""
    names = {"bad_request": 400, "forbidden": 403, "not_found": 404, "conflict": 409, "too_large": 413,
             "invalid_input": 422}
    described = {names[name]: text for name, text in descriptions.items()}
    return {status: {"model": ErrorOut, "description": described.get(status, DESCRIPTIONS[status])}
            for status in (*statuses, *described)}


UNSAFE = {"post", "put", "patch", "delete"}
ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}


def declare_errors(document: dict) -> dict:
    """Declare in an OpenAPI document what every route may answer besides its own: 401 and 403 where a caller
    is needed (``web.api.deps``: no or unknown credentials; a browser session's missing CSRF token or pending
    password change), 413 and 422 on a change (``web.api.guard.BodyGuard`` reads every body first), 422 where
    a route takes parameters, 400 where it reads a multipart form; and the error body for each. FastAPI's own
    422 model (``{"detail": [...]}``) is not what ``validation_error`` answers: it is replaced. Idempotent: the
    document is changed in place."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorOut", ErrorOut.model_json_schema())
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method not in UNSAFE | {"get", "head", "options"}:
                continue
            answers = operation.setdefault("responses", {})
            statuses = set()
            if operation.get("security"):
                statuses |= {401, 403}
            if method in UNSAFE:
                statuses |= {413, 422}
            if operation.get("parameters") or operation.get("requestBody"):
                statuses.add(422)
            if "multipart/form-data" in operation.get("requestBody", {}).get("content", {}):
                statuses.add(400)  # a body that is not multipart at all (Starlette: "Invalid multipart data")
            for status in statuses:
                answers.setdefault(str(status), {"description": DESCRIPTIONS[status]})
            for status, answer in answers.items():
                if status.startswith("4"):
                    answer["content"] = {"application/json": {"schema": ERROR_REF}}
                    if answer.get("description") == "Validation Error":  # FastAPI's
                        answer["description"] = DESCRIPTIONS[422]
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return document


def _body(error: str, message: str, **details: object) -> dict:
    return {"error": error, "message": message, **details}


def _describe(err: dict) -> str:
    where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header"))
    return f"{where}: {err.get('msg')}" if where else str(err.get("msg"))


# What a person who opened a wrong address in the browser sees (a mistyped or cut-off link, a case number that is
# not a number): a page in both languages with the ways in, not the API's JSON. Programs keep the JSON.
NOT_A_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>找不到这个页面 · Page not found · gridops</title><link rel="icon" href="/icon.svg" type="image/svg+xml">
<style>body{font:18px/1.6 system-ui,sans-serif;margin:0;padding:24px;color:#111;background:#f4f6f8}
main{max-width:34em;margin:10vh auto;background:#fff;border:1px solid #c9d1d9;border-radius:12px;padding:24px}
h1{font-size:1.4em;margin:0 0 .5em}a{display:inline-block;min-height:44px;line-height:44px;margin-right:1.5em;
color:#0b57d0}</style></head>
<body><main><h1>找不到这个页面</h1><p>请检查地址是否完整。如果是从短信或微信复制的链接，请完整复制后再打开。</p>
<p lang="en">Page not found. Please check that the address is complete.</p>
<p><a href="/">工作人员登录 · Staff sign-in</a><a href="/c/">市民随手报 · Report a problem</a></p></main></body></html>
"""
API_PREFIXES = ("/api/", "/public/", "/open/v1/", "/static/")


def _browser_page(request: Request) -> bool:
    """A browser opening an address (not a program, not the pages' own fetches)."""
    return (request.method == "GET" and not request.url.path.startswith(API_PREFIXES)
            and request.headers.get("accept", "").startswith("text/html"))


def install(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict:
        return declare_errors(generate())

    app.openapi = openapi  # FastAPI's way to extend its document (it keeps the document between calls)

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        status = next((code for cls, code in STATUS if isinstance(exc, cls)), 422)
        headers = {"Retry-After": str(exc.details["retry_after_s"])} if isinstance(exc, RateLimited) else None
        return JSONResponse(_body(exc.code, exc.message, **exc.details), status_code=status, headers=headers)

    @app.exception_handler(GeoError)
    async def geo_error(_: Request, exc: GeoError) -> JSONResponse:
        # InvalidCoordinates → invalid_coordinates, UnsupportedCRS → unsupported_crs
        code = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", type(exc).__name__).lower()
        return JSONResponse(_body(code, str(exc)), status_code=422)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if _browser_page(request):  # a page's address with a malformed part (/cases/abc/sheet): no such page
            return HTMLResponse(NOT_A_PAGE, status_code=404)
        errors = exc.errors()
        message = "; ".join(_describe(e) for e in errors[:5])
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in errors]
        return JSONResponse(_body("invalid_input", message, details=details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and _browser_page(request):
            return HTMLResponse(NOT_A_PAGE, status_code=404)
        names = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}
        return JSONResponse(_body(names.get(exc.status_code, "http_error"), str(exc.detail)),
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))
