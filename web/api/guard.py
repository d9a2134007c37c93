"""Request bodies checked once, before any route reads them (issue 11).

Size: every body has a limit that holds while it streams in, also when it comes chunked without a
Content-Length: JSON and other small bodies ``limit`` (1 MB), multipart uploads ``multipart_limit`` (the
photos a report may carry). Past it the answer is 413 at once; nothing more is read.

Values: Python's JSON parser accepts what no route can use: a lone UTF-16 surrogate (``"\\ud800"``) becomes a
string the database cannot store and the JSON encoder cannot write, a number like ``1e400`` becomes
infinity, a 400-digit integer overflows every float conversion. Each answered 500 somewhere deep. Every
JSON body is read whole (it is small) and refused with 422 naming the field before the application sees
it; so is a body that is not text (FastAPI answered it with a bare 400); a body that is text but not JSON
is left to the route's own error (a 422 too). Multipart fields go through the same rules in
``web.api.uploads`` (``refuse_unusable``)."""

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
    except UnicodeDecodeError:  # FastAPI would answer a bare 400 "There was an error parsing the body"
        return "", "the body is not text in UTF-8 (or UTF-16/32); send JSON in UTF-8"
    except ValueError as exc:
        if str(exc) in ("NaN", "Infinity", "-Infinity"):
            return "", f"{exc} is not a JSON number; send a finite number"
        return None  # not JSON: the route says so in its own words
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


def _kind(scope: Scope) -> tuple[str, int | None]:
    """("json" | "multipart" | "other", the Content-Length if given). No content type: JSON (FastAPI reads
    such a body as JSON)."""
    kind, length = "json", None
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media = value.split(b";")[0].strip().lower()
            kind = ("json" if media == b"application/json" or media.endswith(b"+json")
                    else "multipart" if media == b"multipart/form-data" else "other")
        elif name == b"content-length" and value.strip().isdigit():
            length = int(value)
    return kind, length


class BodyTooLarge(Exception):
    pass


class BodyGuard:
    """ASGI middleware: see the module's docstring."""

    def __init__(self, app: ASGIApp, *, limit: int = JSON_LIMIT, multipart_limit: int = JSON_LIMIT,
                 multipart_advice: str = "send fewer or smaller photos") -> None:
        self.app, self.limit, self.multipart_limit = app, limit, multipart_limit
        self.multipart_advice = multipart_advice

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        what = "an upload" if limit == self.multipart_limit else "a JSON body"
        advice = self.multipart_advice if limit == self.multipart_limit else \
            "send photos and files as multipart/form-data"
        await JSONResponse({"error": "too_large", "message": f"{what} may be at most {limit / 1e6:.0f} MB; {advice}"},
                           status_code=413)(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        kind, length = _kind(scope)
        limit = self.multipart_limit if kind == "multipart" else self.limit
        if length is not None and length > limit:
            await self._too_large(scope, receive, send, limit)
            return
        if kind == "json":
            await self._json(scope, receive, send)
        else:
            await self._counted(scope, receive, send, limit)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Stream the body to the application, counting; past the limit, stop it and answer 413."""
        size = 0
        started = False

        async def counted() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    raise BodyTooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await self._too_large(scope, receive, send, limit)

    async def _json(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._too_large(scope, receive, send, self.limit)
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
