"""Live events to browsers over websockets.

Every change writes a row to the ``live_event`` outbox in its own transaction (dispatch.live). The hub
in each app process reads new rows after a wake-up — a local nudge after a commit in this process, a
Redis message from another process (``GRIDOPS_REDIS_URL``), or a one-second poll as the safety net —
and sends each connected client what its role and scope may see. A client reconnects with
``?since=<last event id>`` and is sent everything it missed from the outbox first.

A socket lives only as long as its credential: whenever the reference version changes (a sign-out, a revoked
token, a deactivated user, a changed role or cells: web.auth, grid.refcache), and at least once a minute
for expiry, the hub asks again who each client's session or token stands for; a client whose credential no
longer stands for anyone is closed with 4401, and a client whose user changed is served as the user is now."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, or_
from sqlmodel import Session, col, select
from starlette.websockets import WebSocket

from dispatch.models import LiveEvent
from grid import refcache
from grid.models import Role
from grid.people import Actor
from web.auth import NO_TOUCH

log = logging.getLogger("gridops.live")
CHANNEL = "gridops:live"
BUFFER = 5000
GAP_SECONDS = 30.0  # an id skipped this long belongs to a transaction that rolled back
MAX_GAPS = 1000
REPLAY_LIMIT = 2000
RECHECK_SECONDS = 60.0  # clients' credentials are checked again at least this often (expiry), and on changes



def visible(actor: Actor, event: LiveEvent) -> bool:
    if event.user_id is not None:
        return event.user_id == actor.user_id
    if actor.role == Role.department:
        return bool(actor.department_code) and event.department_code == actor.department_code
    if actor.role == Role.worker:
        return event.cell_code in actor.cell_codes or (event.reporter_id is not None
                                                       and event.reporter_id == actor.user_id)
    return True


def as_message(event: LiveEvent) -> str:
    return json.dumps({"id": event.id, "kind": event.kind, "ticket_id": event.ticket_id,
                       "at": event.created_at.isoformat(), "payload": json.loads(event.payload)},
                      ensure_ascii=False)


@dataclass(eq=False)
class Client:
    socket: WebSocket
    actor: Actor
    floor: int  # events at or below were dealt with
    sent: set[int] = field(default_factory=set)
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(maxsize=10_000))
    #: who the client's credential stands for now; raises when it stands for no one any more
    recheck: Callable[[Session], Actor] | None = None


class LiveHub:
    def __init__(self, engine: Engine, *, redis_url: str | None = None, poll_seconds: float = 1.0,
                 replay_limit: int = REPLAY_LIMIT) -> None:
        self.engine, self.redis_url, self.poll_seconds = engine, redis_url, poll_seconds
        self.replay_limit = replay_limit
        self.clients: set[Client] = set()
        self.recent: deque[LiveEvent] = deque(maxlen=BUFFER)
        self.seen: set[int] = set()
        self.last_id = 0
        # ids below last_id not read yet: a transaction may commit a lower id after a higher one
        self.gaps: dict[int, float] = {}  # id → when it was first missed (monotonic)
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task] = []
        self._redis = None
        self._checked_version: int | None = None
        self._checked_at = 0.0

    # --- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.last_id = await asyncio.to_thread(self._max_id)
        self._tasks.append(asyncio.create_task(self._pump()))
        if self.redis_url:
            import redis.asyncio as aioredis

            self._redis = aioredis.from_url(self.redis_url)
            self._tasks.append(asyncio.create_task(self._listen()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._redis is not None:
            await self._redis.aclose()

    def notify(self) -> None:
        """Something was committed: wake this process's hub and, through Redis, the others'.
        Safe to call from any thread."""
        if self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._wake.set)
        if self._redis is not None:
            asyncio.run_coroutine_threadsafe(self._publish(), self._loop)

    async def _publish(self) -> None:
        try:
            await self._redis.publish(CHANNEL, "1")
        except Exception as exc:  # Redis down: the poll still delivers, a second later
            log.warning("could not publish to Redis: %s", exc)

    async def _listen(self) -> None:
        while True:
            try:
                pubsub = self._redis.pubsub()
                await pubsub.subscribe(CHANNEL)
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("Redis subscription lost (%s); retrying", exc)
                await asyncio.sleep(2)

    # --- reading the outbox ------------------------------------------------------------------------
    def _max_id(self) -> int:
        with Session(self.engine) as session:
            return session.exec(select(func.max(LiveEvent.id))).one() or 0

    def _read_since(self, after: int, limit: int = 5000, also: Iterable[int] = ()) -> list[LiveEvent]:
        with Session(self.engine, expire_on_commit=False) as session:
            return self._events(session, after, limit, also)

    @staticmethod
    def _events(session: Session, after: int, limit: int = 5000, also: Iterable[int] = ()) -> list[LiveEvent]:
        """Events after ``after``, and the ones among ``also`` (earlier ids not seen yet)."""
        ids = list(also)
        where = or_(LiveEvent.id > after, col(LiveEvent.id).in_(ids)) if ids else LiveEvent.id > after
        rows = session.exec(select(LiveEvent).where(where).order_by(LiveEvent.id).limit(limit)).all()
        session.expunge_all()
        return list(rows)

    def _poll(self, after: int, also: tuple[int, ...], clients: list[Client]) -> tuple[list, list]:
        """One transaction a tick: the new events, and the clients' credentials checked again when due."""
        with Session(self.engine, expire_on_commit=False) as session:
            return self._events(session, after, 5000, also), self._recheck(session, clients)

    async def _pump(self) -> None:
        while True:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancel that arrives with a
            # wake-up, and stop() would then wait for ever
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()
            self._wake.clear()
            if not self.clients:  # nobody to tell: a client that connects is given what it missed
                continue
            try:
                rows, verdicts = await asyncio.to_thread(self._poll, self.last_id, tuple(self.gaps), list(self.clients))
            except Exception as exc:
                log.warning("reading live events failed: %s", exc)
                continue
            await self._apply(verdicts)
            self._take(rows, time.monotonic())

    def _take(self, rows: list[LiveEvent], now: float) -> None:
        """Keep what is new, note the ids skipped below the newest (they may still commit), forget the
        ones skipped too long ago, and offer the new events to the clients."""
        fresh = [r for r in rows if r.id not in self.seen]
        top = self.last_id
        for row in fresh:
            self.recent.append(row)
            self.seen.add(row.id)
            self.gaps.pop(row.id, None)
            top = max(top, row.id)
        if top > self.last_id:
            got = {r.id for r in fresh}
            for missing in range(self.last_id + 1, min(top, self.last_id + MAX_GAPS)):
                if missing not in got:
                    self.gaps.setdefault(missing, now)
            self.last_id = top
        self.gaps = {i: t for i, t in self.gaps.items() if now - t < GAP_SECONDS}
        if len(self.gaps) > MAX_GAPS:
            self.gaps = dict(sorted(self.gaps.items())[-MAX_GAPS:])
        if len(self.seen) > 2 * BUFFER:
            self.seen = {r.id for r in self.recent}
        if fresh:
            for client in list(self.clients):
                self._offer(client, fresh)

    def _recheck(self, session: Session, clients: list[Client]) -> list[tuple[Client, Actor | None, str]]:
        """(client, who it stands for now or None, why not) for every client, when the reference version
        changed since the last check or a minute passed; else nothing."""
        seen, now = refcache.version(session), time.monotonic()
        if seen == self._checked_version and now - self._checked_at < RECHECK_SECONDS:
            return []
        self._checked_version, self._checked_at = seen, now
        session.info[NO_TOUCH] = True
        verdicts: list[tuple[Client, Actor | None, str]] = []
        for client in clients:
            if client.recheck is None:
                continue
            try:
                verdicts.append((client, client.recheck(session), ""))
            except Exception as exc:  # (an HTTPException: signed out, revoked, deactivated, expired)
                verdicts.append((client, None, str(getattr(exc, "detail", exc))))
        return verdicts

    async def _apply(self, verdicts: list[tuple[Client, Actor | None, str]]) -> None:
        for client, actor, why in verdicts:
            if actor is not None:
                client.actor = actor
                continue
            self.clients.discard(client)
            with contextlib.suppress(Exception):
                await client.socket.close(code=4401, reason=(why or "signed out")[:120])

    def _offer(self, client: Client, events: list[LiveEvent]) -> None:
        for event in events:
            if event.id > client.floor and event.id not in client.sent and visible(client.actor, event):
                client.sent.add(event.id)
                try:
                    client.queue.put_nowait(as_message(event))
                except asyncio.QueueFull:  # a stuck client: drop it; it resumes with ?since= on reconnect
                    self.clients.discard(client)
                    return
        if len(client.sent) > 2 * BUFFER:
            top = max(client.sent)
            client.floor = max(client.floor, top - BUFFER)
            client.sent = {i for i in client.sent if i > client.floor}

    # --- a connection ------------------------------------------------------------------------------
    async def serve(self, socket: WebSocket, actor: Actor, since: int | None,
                    recheck: Callable[[Session], Actor] | None = None) -> None:
        if not self.clients:  # the hub does not read while nobody listens: catch up to now first
            self.last_id = max(self.last_id, await asyncio.to_thread(self._max_id))
            self.gaps.clear()
        client = Client(socket=socket, actor=actor, floor=self.last_id if since is None else since, recheck=recheck)
        self.clients.add(client)
        try:
            if since is not None:
                missed = await asyncio.to_thread(self._read_since, since, self.replay_limit + 1)
                if len(missed) > self.replay_limit:
                    # more was missed than a replay holds: the page must load its data again rather than
                    # silently lack some of it; from here on it gets what is new
                    client.floor = max(self.last_id, missed[-1].id)
                    reason = f"more than {self.replay_limit} events since {since}"
                    await socket.send_text(json.dumps({"kind": "resync", "last_id": client.floor, "reason": reason}))
                else:
                    self._offer(client, missed)
            self._offer(client, list(self.recent))
            await socket.send_text(json.dumps({"kind": "hello", "last_id": self.last_id,
                                               "user": actor.username, "role": str(actor.role)}))
            sender = asyncio.create_task(self._send(client))
            try:
                while True:  # the client only needs to stay connected; anything it sends is ignored
                    await socket.receive_text()
            finally:
                sender.cancel()
        finally:
            self.clients.discard(client)

    @staticmethod
    async def _send(client: Client) -> None:
        while True:
            await client.socket.send_text(await client.queue.get())
