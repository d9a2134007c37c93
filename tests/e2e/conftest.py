"""Browser tests: Debian's Chromium, driven by Playwright (no downloaded browser), against a real server
on loopback with a small city. Screenshots land in test-artifacts/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from grid.models import User
from tests.support.city import build_city
from tests.support.server import ROOT, Server
from web.auth import hash_password

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
        "--no-first-run", "--disable-component-update", "--disable-sync", "--use-gl=swiftshader",
        "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "browser-test-pass"


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201
    """Per module: the sync API keeps an event loop on the main thread while it runs, which other tests
    should not inherit."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    if not (ROOT / "web" / "static" / "dist" / "map.js").exists():
        pytest.skip("the pages are not built (make frontend)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def web_city(engine):  # noqa: ANN001, ANN201
    """The test city, every user with a password."""
    with Session(engine) as session:
        city = build_city(session)
        secret = hash_password(PASSWORD)
        for user in session.exec(select(User)):
            user.password_hash = secret
            session.add(user)
        session.commit()
    return city


@pytest.fixture
def live_server(engine, database_url, web_city, tmp_path) -> Iterator[Server]:  # noqa: ANN001
    server = Server(database_url, tmp_path / "media").start()
    yield server
    server.stop()


def shot(page, name: str) -> None:  # noqa: ANN001
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def sign_in(browser, server: Server, username: str, **context_options):  # noqa: ANN001, ANN003, ANN201
    """A new browser context signed in as the user; returns (context, page) on the user's landing page."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.goto(f"{server.url}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page
