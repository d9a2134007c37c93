"""Browser tests: Debian's Chromium, driven by Playwright (no downloaded browser), against a real server
on loopback with a small city. With GRIDOPS_TEST_SHOTS=1, screenshots land in test-artifacts/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlmodel import Session

from tests.support.city import after_photo, build_city
from tests.support.server import ROOT, Server
from web.auth import SESSION_COOKIE

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
        "--no-first-run", "--disable-component-update", "--disable-sync", "--use-gl=swiftshader",
        "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist", "--force-prefers-reduced-motion"]
ARTIFACTS = ROOT / "test-artifacts"
SHOTS = os.environ.get("GRIDOPS_TEST_SHOTS") == "1"
PASSWORD = "browser-test-pass"


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Browser tests run once, on PostgreSQL (what production runs): what they add to the API tests is the
    pages, which do not change with the database. The API, service and process tests run on both."""
    if "browser" in metafunc.fixturenames:
        metafunc.definition.add_marker(pytest.mark.parametrize("database_url", ["postgresql"], indirect=True))


@pytest.fixture(scope="module")
def chromium():  # noqa: ANN201
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
def browser(chromium):  # noqa: ANN001, ANN201
    """The module's Chromium; whatever a test left open (a failed test skips its context.close()) is
    closed after it, so no page of one test talks to the server during the next."""
    yield chromium
    for context in chromium.contexts:
        context.close()


@pytest.fixture
def web_city(engine):  # noqa: ANN001, ANN201
    """The test city, every user with a password."""
    with Session(engine) as session:
        return build_city(session, password=PASSWORD)


@pytest.fixture(scope="session")
def module_server(database_url, tmp_path_factory) -> Iterator[Server]:  # noqa: ANN001
    """One real server per database for every test of a worker that needs a server but not one of its own
    (the browser modules; the websocket and idempotency tests on PostgreSQL): starting one costs 5 s of CPU,
    15–25 s on a busy machine. Each test resets the database under it (engine, web_city); PostgreSQL's ids
    only grow, so the server never sees one twice."""
    server = Server(database_url, tmp_path_factory.mktemp("server") / "media").start()
    yield server
    server.stop()


@pytest.fixture
def server(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[Server]:
    """A running server on the test's database: the shared one on PostgreSQL; on SQLite one of the test's own
    (SQLite hands out the ids of deleted rows again, and a server that outlived the reset would take the new
    live events for ones it has already sent)."""
    if database_url.startswith("postgresql"):
        yield request.getfixturevalue("module_server")
        return
    own = Server(database_url, tmp_path / "media").start()
    yield own
    own.stop()


@pytest.fixture
def live_server(module_server, web_city) -> Server:  # noqa: ANN001
    """The module's server, on a database holding just the test city."""
    return module_server


def shot(page, name: str) -> None:  # noqa: ANN001
    """A screenshot of the page as the test sees it, when asked for (GRIDOPS_TEST_SHOTS=1: they cost a tenth of
    the browser tests' time; the README's screenshots are docs/screenshots.py's)."""
    if not SHOTS:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def sign_in(browser, server: Server, username: str, lang: str | None = None, form: bool = False,  # noqa: ANN001
            **context_options):  # noqa: ANN003, ANN201
    """A new browser context signed in as the user; returns (context, page) on the user's landing page. With
    ``lang``, the pages start in that language (as after a click on the language switch). The session cookie
    comes from the API's sign-in (the login page costs a page load; ``form=True`` goes through it, as
    tests/e2e/test_pages_login.py does)."""
    context = browser.new_context(**context_options)
    if lang:
        context.add_init_script(f"localStorage.setItem('gridops.lang', {lang!r})")
    page = context.new_page()
    if form:
        page.goto(f"{server.url}/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        # the form signs in with a fetch and then navigates: the login page's own load states are already
        # reached, so wait for the landing page itself (on a busy machine the fetch can take a while)
        page.wait_for_url(lambda url: urlsplit(url).path != "/login")
    else:
        to_landing(context, page, server, username)
    page.wait_for_load_state("networkidle")
    return context, page


def to_landing(context, page, server: Server, username: str) -> None:  # noqa: ANN001
    """The user's session from the API's sign-in in the context, and the page on the user's landing page."""
    r = httpx.post(f"{server.url}/api/v1/login", json={"username": username, "password": PASSWORD}, timeout=10)
    assert r.status_code == 200, r.text
    context.add_cookies([{"name": SESSION_COOKIE, "value": r.cookies[SESSION_COOKIE], "url": server.url,
                          "httpOnly": True, "sameSite": "Strict"}])
    page.goto(server.url + r.json()["landing"])


def first_answer_late(page, held_id: int, first: str, second: str, shown: str) -> None:  # noqa: ANN001
    """Click ``first`` (the answer for case ``held_id`` held back), then ``second``; once ``shown`` (the second's
    case) is drawn, let the first answer in, late, as on a slow network."""
    slow, held = f"**/api/v1/tickets/{held_id}", []
    page.route(slow, lambda route: route.continue_() if held else held.append(route))  # the first one held
    page.click(first)
    page.click(second)
    page.wait_for_selector(shown)
    with page.expect_response(slow) as late:
        held[0].continue_()
    late.value.finished()
    page.wait_for_timeout(300)  # the late answer is in the page


def api(server: Server, token: str, method: str, path: str, **kw) -> dict:  # noqa: ANN003
    """A call to the server's API as the token's user; any refusal fails the test with its answer."""
    r = httpx.request(method, f"{server.url}/api/v1{path}", headers={"Authorization": f"Bearer {token}"},
                      timeout=10, **kw)
    assert r.status_code < 400, r.text
    return r.json()


def close_through_the_api(server, city, tid: int) -> None:  # noqa: ANN001
    """The staff's path from a public report to closing: verify on site, register, dispatch, accept, resolve
    with an after-photo, check on site, close."""
    tokens = city.tokens
    api(server, tokens["worker_a"], "POST", f"/tickets/{tid}/actions/verify", json={})
    api(server, tokens["shift_lead"], "POST", f"/tickets/{tid}/actions/register", json={})
    api(server, tokens["dispatcher"], "POST", f"/tickets/{tid}/actions/dispatch",
        json={"payload": {"department_code": "SANITATION"}})
    api(server, tokens["sanitation"], "POST", f"/tickets/{tid}/actions/accept", json={})
    api(server, tokens["sanitation"], "POST", f"/tickets/{tid}/actions/resolve", data={"reason": "已清运完毕"},
        files=[("photos", ("after.jpg", after_photo(), "image/jpeg"))])
    api(server, tokens["worker_a"], "POST", f"/tickets/{tid}/actions/check_pass", json={})
    api(server, tokens["shift_lead"], "POST", f"/tickets/{tid}/actions/close",
        json={"payload": {"close_type": "normal"}})
