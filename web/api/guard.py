"""JSON bodies checked once, before any route reads them.

Python's JSON parser accepts what no route can use: a lone UTF-16 surrogate (``"\\ud800"``) becomes a
string the database cannot store and the JSON encoder cannot write, a number like ``1e400`` becomes
infinity, a 400-digit integer overflows every float conversion. Each answered 500 somewhere deep
(issue 11). Here every JSON body is read (at most ``limit`` bytes, also when it comes chunked without a
Content-Length: the limit holds while it streams in) and refused with 422 naming the field, or 413,
before the application sees it; a body that is not JSON at all is left to the route's own error."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from grid.errors import InvalidInput

SURROGATE = re.compile("[\ud800-\udfff]")
LARGEST_INT = 2**63 - 1
JSON_LIMIT = 1_000_000


def _not_a_number(name: str) -> float:
    raise ValueError(name)


def problem(body: bytes) -> tuple[str, str] | None:
    """(field, message) for the first value no route can take, or None."""
    try:
        data = json.loads(body, parse_constant=_not_a_number)
    except ValueError as exc:
        if str(exc) in ("NaN", "Infinity", "-Infinity"):
            return "", f"{exc} is not a JSON number; send a finite number"
        return None  # not JSON (or not UTF-8): the route says so in its own words
    return _walk(data, [])


def _walk(value: Any, path: list[str]) -> tuple[str, str] | None:
    where = ".".join(path)
    if isinstance(value, str):
        if "\x00" in value:  # PostgreSQL text cannot hold it
            return where, f"{where or 'the body'} contains a NUL character"
        if SURROGATE.search(value):
            return where, f"{where or 'the body'}: contains a lone UTF-16 surrogate (an escape such as \\ud800 " \
                          "without its pair), which is not text; send valid Unicode"
    elif isinstance(value, bool):
        return None
    elif isinstance(value, int):
        if abs(value) > LARGEST_INT:
            return where, f"{where or 'the body'}: the number has {len(str(abs(value)))} digits; it is too large"
    elif isinstance(value, float):
        if not math.isfinite(value):
            return where, f"{where or 'the body'}: the number is too large to be stored"
    elif isinstance(value, dict):
        for key, item in value.items():
            found = _walk(key, [*path, "(key)"]) or _walk(item, [*path, key])
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if found := _walk(item, [*path, str(i)]):
                return found
    return None


def refuse_unusable(data: Any) -> None:
    """The same rules for values that came another way (a multipart form's fields and its JSON payload)."""
    found = _walk(data, [])
    if found:
        raise InvalidInput(found[1], field=found[0])


def _is_json(scope: Scope) -> bool:
    """JSON, or no content type at all (FastAPI reads such a body as JSON)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            kind = value.split(b";")[0].strip().lower()
            return kind == b"application/json" or kind.endswith(b"+json")
    return True


class JsonGuard:
    """ASGI middleware: see the module's docstring."""

    def __init__(self, app: ASGIApp, *, limit: int = JSON_LIMIT) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS") or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await JSONResponse({"error": "too_large", "message": f"a JSON body may be at most "
                                    f"{self.limit / 1e6:.0f} MB; send photos and files as multipart/form-data"},
                                   status_code=413)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        found = problem(body) if body else None
        if found:
            field, message_text = found
            await JSONResponse({"error": "invalid_input", "message": message_text, "field": field},
                               status_code=422)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
