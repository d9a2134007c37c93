"""Domain errors → HTTP, in one place. Every error body is {"error", "message", ...details}."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from dispatch.photos import PhotoTooLarge
from geo.errors import GeoError
from grid.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound

log = logging.getLogger("gridops")

STATUS = [(PhotoTooLarge, 413), (NotFound, 404), (Forbidden, 403), (Conflict, 409), (InvalidInput, 422)]


def _body(error: str, message: str, **details: object) -> dict:
    return {"error": error, "message": message, **details}


def _describe(err: dict) -> str:
    where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header"))
    return f"{where}: {err.get('msg')}" if where else str(err.get("msg"))


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        status = next((code for cls, code in STATUS if isinstance(exc, cls)), 422)
        return JSONResponse(_body(exc.code, exc.message, **exc.details), status_code=status)

    @app.exception_handler(GeoError)
    async def geo_error(_: Request, exc: GeoError) -> JSONResponse:
        return JSONResponse(_body(type(exc).__name__, str(exc)), status_code=422)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        message = "; ".join(_describe(e) for e in errors[:5])
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in errors]
        return JSONResponse(_body("invalid_input", message, details=details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        names = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}
        return JSONResponse(_body(names.get(exc.status_code, "http_error"), str(exc.detail)),
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))
