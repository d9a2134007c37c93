"""A request between its arrival and its answer (issue 11, HTTP hardening): how long it may take, and a client
that leaves before it is answered. Plain ASGI, like the other middlewares: starlette's BaseHTTPMiddleware
costs every request a task and a stream.

**Time limit** (``GRIDOPS_REQUEST_TIMEOUT_SECONDS``, 30 s; 0 for none). An ordinary request must start its
answer within that much of the server's time. The time its body takes to arrive is the client's and is not
counted (a phone on a bad line may take minutes over six photos); an answer that has started is never cut (a
photo or an export streams for as long as it takes); websockets are not timed. Per request this costs one
timer on the event loop, no task, no thread and no statement.

Past the limit the client is answered 503 (``{"error": "timeout"}``) with ``Retry-After``. 503 rather than
504: 504 says that a gateway's upstream did not answer in time, which is a proxy's word (nginx in front of
the app says it when the app is too slow for it), while here the application itself is too busy or stuck,
which is 503's meaning, and 503 is where HTTP defines ``Retry-After``.

A route working in a thread cannot be interrupted, so its work goes on after the 503, but it saves nothing:
from then on the request's sessions refuse to begin a transaction or to commit (``RequestExpired``: the unit
of work rolls back and removes the photo files it wrote, as for any failure). A request whose commit began
before the limit passed gets its own answer instead, however late. So a 503 always means that nothing was
saved and that trying again is safe. On PostgreSQL the database also stops any statement running longer than
the limit (``statement_timeout``, set per connection in ``web.db.make_engine``): the work of a request that
was answered, or a commit that waits too long on a lock, which is then rolled back and answered the same 503.

**A client that leaves** while its request is read (a phone losing its signal in the middle of an upload)
is not a server error: what starlette or anyio raise when the body stops short is ended here with an
info line, instead of reaching uvicorn as "Exception in ASGI application" and a 500. Nothing was filed: the
route had not finished reading what it was sent."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from contextvars import ContextVar
from typing import Any

import anyio
from sqlalchemy import event
from sqlalchemy.orm import Session
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("gridops.http")

RETRY_AFTER_S = 10  # long enough for a passing overload to clear, short for a person waiting
EARLY_S = 0.001  # a timer may ring this much early (uvloop's are in milliseconds)

# who answers a timed request: its route, the time limit, or the route whose commit has begun
RUNNING, COMMITTING, ANSWERED, ENDED = range(4)
_claim = threading.Lock()  # the event loop (the limit) and a worker thread (a commit) race for the answer


class RequestExpired(Exception):
    """The request was answered 503 when its time limit passed: what it still does may not be saved."""


def timeout_body(seconds: float) -> dict[str, str]:
    """The 503's body; ``seconds`` 0: the database stopped the work with no limit set (an operator did)."""
    what = f"the server did not answer within {seconds:g} s and" if seconds else "the database"
    return {"error": "timeout",
            "message": f"{what} stopped working on this request; nothing was saved. Try again in a moment; if it "
                       "keeps happening, tell the administrators"}


class _Request:
    """One request's clock and what is known of its client. The clock runs from the request's arrival until
    its answer starts (``live``), paused while the application waits for the body's next bytes."""

    __slots__ = ("answering", "at", "body_done", "gate", "handle", "left", "live", "loop", "paused_at", "received",
                 "receive_", "scope", "send", "started", "state")

    def __init__(self, gate: Lifetime, scope: Scope, receive: Receive, send: Send) -> None:
        self.gate, self.scope, self.send, self.receive_ = gate, scope, send, receive
        self.state = RUNNING
        self.received = 0  # bytes of the body
        self.left = self.body_done = self.started = False
        self.paused_at: float | None = None
        self.answering: asyncio.Task | None = None
        self.handle: asyncio.TimerHandle | None = None
        self.live = bool(gate.seconds)
        if self.live:
            self.loop = asyncio.get_running_loop()
            self.at = self.loop.time() + gate.seconds
            self.handle = self.loop.call_at(self.at, self._ring)

    async def receive(self) -> Message:
        if not self.live or self.body_done:
            message = await self.receive_()
        else:  # the client's time: the clock waits with the application
            self.paused_at = self.loop.time()
            try:
                message = await self.receive_()
            finally:
                self.at += self.loop.time() - self.paused_at
                self.paused_at = None
                if self.live and self.handle is None:  # it rang meanwhile
                    self.handle = self.loop.call_at(self.at, self._ring)
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.body_done = not message.get("more_body", False)
        elif message["type"] == "http.disconnect":
            self.left = True
        return message

    async def watched_send(self, message: Message) -> None:
        if self.state == ANSWERED:  # the client has had its 503: the route's late answer goes nowhere
            return
        if message["type"] == "http.response.start":
            self.started = True
            if self.live:
                self._stop()  # answered in time: the body streams for as long as it takes
        await self.send(message)

    def _stop(self) -> None:
        self.live = False
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None

    def _ring(self) -> None:
        self.handle = None
        if not self.live or self.paused_at is not None:  # waiting for the client: set again when bytes arrive
            return
        if self.loop.time() < self.at - EARLY_S:  # the clock was paused meanwhile
            self.handle = self.loop.call_at(self.at, self._ring)
            return
        with _claim:
            if self.state != RUNNING:  # its commit has begun: it answers itself
                return
            self.state = ANSWERED
        self.live = False
        self.answering = self.loop.create_task(self._answer())

    async def _answer(self) -> None:
        log.warning("%s %s: no answer within %g s; answered 503 (what it still does is not saved)",
                    self.scope["method"], self.scope["path"], self.gate.seconds)
        await self.send_timeout()

    async def send_timeout(self) -> None:
        body = json.dumps(timeout_body(self.gate.seconds)).encode()
        try:
            await self.send({"type": "http.response.start", "status": 503, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(RETRY_AFTER_S).encode())]})
            await self.send({"type": "http.response.body", "body": body})
        except Exception:  # the client left meanwhile: it was not waiting any more
            log.info("%s %s: the 503 could not be sent", self.scope["method"], self.scope["path"], exc_info=True)

    def end(self) -> None:
        self._stop()
        self.state = ENDED  # its threads are done; a task that inherited the request's context may commit


_current: ContextVar[_Request | None] = ContextVar("gridops_request", default=None)


@event.listens_for(Session, "after_begin")
def _no_new_work_after_the_answer(_session: Session, _transaction: Any, _connection: Any) -> None:
    """Work that had not reached the database when the 503 went out (waiting for a thread) does not start."""
    request = _current.get()
    if request is not None and request.state == ANSWERED:
        raise RequestExpired("the request's time limit passed before it began a transaction")


@event.listens_for(Session, "before_commit")
def _commit_only_if_unanswered(_session: Session) -> None:
    """A commit and the time limit cannot both answer a request: the first to claim it does."""
    request = _current.get()
    if request is None:
        return
    with _claim:
        if request.state == ANSWERED:
            raise RequestExpired("the request's time limit passed before it committed; nothing was saved")
        if request.state == RUNNING:
            request.state = COMMITTING


def _all(exc: BaseException, kinds: type | tuple[type, ...]) -> bool:
    """The exception is one of ``kinds``, or a group of nothing else."""
    if isinstance(exc, BaseExceptionGroup):
        return all(_all(e, kinds) for e in exc.exceptions)
    return isinstance(exc, kinds)


# what the application raises when the client has gone: starlette's own word for it (also for a socket error
# while answering), or anyio's streams' errors once the server has said that the client disconnected
CLIENT_GONE = (ClientDisconnect, anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError)


class Lifetime:
    """ASGI middleware: see the module's docstring. ``seconds`` 0: no time limit."""

    def __init__(self, app: ASGIApp, *, seconds: float = 0) -> None:
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = _Request(self, scope, receive, send)
        token = _current.set(request) if request.live else None
        try:
            await self.app(scope, request.receive, request.watched_send)
        except Exception as exc:
            if request.state == ANSWERED:
                self._late(request, exc)
            elif _all(exc, ClientDisconnect) or (request.left and _all(exc, CLIENT_GONE)):
                log.info("%s %s: the client left while the request was read (%d bytes of its body had arrived); "
                         "nothing was done", scope["method"], scope["path"], request.received)
            elif statement_cancelled(exc) and not request.started:
                # PostgreSQL stopped a statement at the limit while the request's commit was under way, the one
                # time the limit leaves the answer to the route: rolled back, so the same answer
                log.warning("%s %s: the database stopped a statement at the time limit; answered 503",
                            scope["method"], scope["path"])
                await request.send_timeout()
            else:
                raise
        else:
            if request.state == ANSWERED:
                log.info("%s %s: finished after its time limit; its answer was dropped", scope["method"],
                         scope["path"])
        finally:
            request.end()
            if token is not None:
                _current.reset(token)
            if request.answering is not None:
                await request.answering  # the 503 is sent whole before the request ends

    @staticmethod
    def _late(request: _Request, exc: Exception) -> None:
        """The route failed after its 503 went out: refused (nothing saved), or an error worth a look."""
        method, path = request.scope["method"], request.scope["path"]
        if _all(exc, (RequestExpired, *CLIENT_GONE)) or statement_cancelled(exc):
            log.info("%s %s: stopped after its time limit (%s); nothing was saved", method, path, exc)
        else:
            log.error("%s %s: failed after its time limit had been answered", method, path, exc_info=exc)


def statement_cancelled(exc: BaseException) -> bool:
    """PostgreSQL stopped the statement (statement_timeout, or an operator's pg_cancel_backend)."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == "57014"
