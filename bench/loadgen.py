"""HTTP load on loopback and the CPU it costs, for benches that compare a server with a reference.

- ``RawClient``: HTTP/1.1 keep-alive connections with the least client work per request (a few tens of µs,
  where httpx's AsyncClient spends 2–3 CPU-ms: on a 2-core machine that is more than a bare endpoint costs,
  and the load generator would take the cores the fastest server needs). ``HttpxClient`` for comparison.
- ``closed_loop``: a fixed number of requests in flight, until a count or a time is reached: saturation.
- ``open_loop``: requests started at a fixed rate whatever the answers do; each latency runs from the
  request's scheduled start, so a server that falls behind is charged for the queue it builds.
- ``Cpu``: CPU seconds of sets of processes read from /proc (a process tree, the database's backends,
  this process, the whole machine), before and after a phase."""

from __future__ import annotations

import asyncio
import json
import math
import os
import resource
import statistics
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

TICK = os.sysconf("SC_CLK_TCK")

Request = tuple[str, dict, dict]  # path, headers, JSON body


# --- CPU --------------------------------------------------------------------------------------------

def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            raw = f.read()
    except OSError:  # gone
        return None
    return raw[raw.rindex(")") + 2:].split()  # after "pid (comm) ": state, ppid, …


def cpu_of(pids: Iterable[int]) -> dict[int, float]:
    """User + system CPU seconds of each living process."""
    out = {}
    for pid in pids:
        fields = _stat(pid)
        if fields:
            out[pid] = (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    return out


def tree(root: int) -> list[int]:
    """The process and all its descendants (uvicorn's supervisor and its workers)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (fields := _stat(int(name))):
            children.setdefault(int(fields[1]), []).append(int(name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def machine() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / TICK, sum(values[:8]) / TICK


def own() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Cpu:
    """CPU seconds used between ``start`` and ``stop`` by processes that ``pids()`` names at either
    moment (one that appears in between counts whole; one that ends in between is lost)."""

    def __init__(self, pids: Callable[[], Iterable[int]]) -> None:
        self.pids = pids
        self.before: dict[int, float] = {}

    def start(self) -> None:
        self.before = cpu_of(self.pids())

    def stop(self) -> float:
        after = cpu_of(self.pids())
        return sum(max(0.0, v - self.before.get(pid, 0.0)) for pid, v in after.items())

    def shares(self) -> list[float]:
        """CPU seconds per process since ``start``, largest first (how the load spread over workers)."""
        after = cpu_of(self.pids())
        return sorted((v - self.before.get(pid, 0.0) for pid, v in after.items()), reverse=True)


# --- clients -----------------------------------------------------------------------------------------

class Client(Protocol):
    async def post(self, path: str, headers: dict, body: dict) -> tuple[int, bytes]: ...


class RawClient:
    """At most ``size`` keep-alive connections to one loopback server; a request waits for a free one, and
    a connection is closed after ``reuse`` requests (0: never), as clients come and go: each new connection
    goes to whichever server process accepts it first, which spreads the load over uvicorn's workers.
    Enough HTTP/1.1 for a JSON API answering with Content-Length."""

    def __init__(self, base: str, size: int, *, reuse: int = 0, timeout: float = 60.0) -> None:
        url = urlsplit(base)
        self.host, self.port, self.reuse, self.timeout = url.hostname, url.port, reuse, timeout
        self.idle: asyncio.Queue = asyncio.Queue()
        self.connects = 0
        for _ in range(size):
            self.idle.put_nowait(None)  # a connection not opened yet

    async def __aenter__(self) -> RawClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        while not self.idle.empty():
            if conn := self.idle.get_nowait():
                conn[1].close()

    async def post(self, path: str, headers: dict, body: dict) -> tuple[int, bytes]:
        conn = await self.idle.get()
        try:
            async with asyncio.timeout(self.timeout):
                if conn is None:
                    conn = [*await asyncio.open_connection(self.host, self.port), 0]
                    self.connects += 1
                status, data, keep = await self._exchange(conn, path, headers, body)
            conn[2] += 1
            if not keep or conn[2] == self.reuse:
                conn[1].close()
                conn = None
            return status, data
        except BaseException:
            if conn is not None:
                conn[1].close()
                conn = None
            raise
        finally:
            self.idle.put_nowait(conn)

    async def _exchange(self, conn: list, path: str, headers: dict, body: dict) -> tuple[int, bytes, bool]:
        reader, writer, _ = conn
        payload = json.dumps(body).encode()
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(payload)}\r\n{head}\r\n".encode() + payload)
        lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status, length, keep = int(lines[0].split()[1]), 0, True
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection":
                keep = value.strip().lower() != "close"
            elif name == "transfer-encoding":
                raise ValueError("chunked answers are not supported")
        return status, await reader.readexactly(length), keep


class HttpxClient:
    def __init__(self, base: str, size: int, *, reuse: int = 0, timeout: float = 60.0) -> None:  # reuse: ignored
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        self.client = httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout, trust_env=False)

    async def __aenter__(self) -> HttpxClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def post(self, path: str, headers: dict, body: dict) -> tuple[int, bytes]:
        resp = await self.client.post(path, headers=headers, json=body)
        return resp.status_code, resp.content


def run(main: Coroutine[Any, Any, Any]) -> Any:  # noqa: ANN401
    """asyncio.run, on uvloop when it is installed (as uvicorn uses it): less client CPU per request."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


# --- load -------------------------------------------------------------------------------------------

@dataclass
class Result:
    ok: int = 0
    failed: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: Counter = field(default_factory=Counter)

    @property
    def throughput(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        """Nearest rank: the smallest latency that ``q`` % of the requests did not exceed."""
        data = sorted(self.latencies)
        if not data:
            return float("nan")
        return data[max(0, math.ceil(q / 100 * len(data)) - 1)]

    @property
    def median(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")


async def _send(client: Client, request: Request, started: float, result: Result) -> None:
    try:
        status, data = await client.post(*request)
    except (httpx.HTTPError, OSError, EOFError, TimeoutError, ValueError, asyncio.IncompleteReadError) as exc:
        result.failed += 1
        result.errors[type(exc).__name__] += 1
        return
    if status in (200, 201):
        result.ok += 1
        result.latencies.append(time.perf_counter() - started)
    else:
        result.failed += 1
        result.errors[f"{status} {data[:160].decode(errors='replace')}"] += 1


async def closed_loop(client: Client, make: Callable[[], Request], *, concurrency: int,
                      requests: int, seconds: float) -> Result:
    """``concurrency`` requests in flight until ``requests`` were started or ``seconds`` passed; the
    time runs to the last answer."""
    result = Result()
    started = time.perf_counter()
    deadline = started + seconds
    left = requests

    async def lane() -> None:
        nonlocal left
        while left > 0 and time.perf_counter() < deadline:
            left -= 1
            await _send(client, make(), time.perf_counter(), result)

    await asyncio.gather(*(lane() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result


async def open_loop(client: Client, make: Callable[[], Request], *, rate: float, seconds: float,
                    requests: int) -> Result:
    """One request every 1/``rate`` s for ``seconds`` (at most ``requests``), whether or not earlier
    ones were answered; then wait for the stragglers (the client's timeout bounds the wait)."""
    result = Result()
    count = max(1, min(requests, int(rate * seconds)))
    started = time.perf_counter()
    tasks = []
    for i in range(count):
        at = started + i / rate
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_send(client, make(), at, result)))
    await asyncio.gather(*tasks)
    result.seconds = time.perf_counter() - started
    return result
