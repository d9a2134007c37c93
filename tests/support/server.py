"""Real server processes on loopback for process-level tests."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], bool], timeout: float, every: float = 0.2) -> bool:
    """Poll a condition until it holds or the timeout passes (waiting on a condition, not sleeping)."""
    done = threading.Event()
    waited = 0.0
    while waited < timeout:
        if predicate():
            return True
        done.wait(every)
        waited += every
    return predicate()


def observe(seconds: float) -> None:
    """Let running servers go on working for a while, to see that nothing more happens."""
    threading.Event().wait(seconds)


class Server:
    def __init__(self, database_url: str, media_dir: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # the tests' servers serve many tests from one address: the public limits per address are raised
        # (their refusal is tested in tests/web/test_public.py)
        self.env = {**os.environ, "GRIDOPS_DATABASE_URL": database_url, "GRIDOPS_MEDIA_DIR": str(media_dir),
                    "GRIDOPS_PUBLIC_REPORTS_PER_HOUR": "10000", "GRIDOPS_PUBLIC_REQUESTS_PER_MINUTE": "100000", **env}
        self.proc: subprocess.Popen | None = None
        self.log = media_dir.parent / f"server-{self.port}.log"

    def start(self) -> Server:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "web.asgi:app", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "warning"],
            cwd=ROOT, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
        )
        if not wait_until(self._healthy, timeout=30):
            self.stop()
            raise RuntimeError(f"server did not start: {self.log.read_text()[-2000:]}")
        return self

    def _healthy(self) -> bool:
        if self.proc and self.proc.poll() is not None:
            raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no goodbye."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def run_async(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion in a thread of its own. Playwright's sync API keeps an event loop
    running on the main thread for the whole browser session, so asyncio.run() cannot be called there."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(main())
        except BaseException as exc:  # handed back to the caller below
            result["error"] = exc

    thread = threading.Thread(target=target, name="run-async")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]
