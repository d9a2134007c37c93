"""The public page's first load stays under 300 KB compressed (issue 14), on /c/ and on a tracking link: the
scripts, styles, fonts and preloads its HTML names, the static imports of its entry scripts and what its
styles import, as the server sends them to a browser that takes gzip. The map (MapLibre) is loaded only when
a citizen asks for it (a dynamic import), so it is not counted. The page's script also parses as ES2017, so
that an old phone's browser runs it (bench/public_page.py measures the same load in Chromium on slow 3G)."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import app_for
from web.api.pages import HERE, STATIC

BUDGET = 300_000
FRONTEND = HERE / "frontend"
# import x from "y" / import {a} from "y" / import "y" / export * from "y": not import("y") (loaded on demand)
STATIC_IMPORT = re.compile(r"""(?:^|[;}\s])(?:import|export)\s*(?:[\w$*{}\s,]+?\s*from\s*)?["']([^"']+)["']""")
CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?["']?([^"')\s]+)|url\(\s*["']?([^"')]+?\.(?:woff2?|ttf|otf))""")


class Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        rel = (a.get("rel") or "").split()
        if tag == "script" and a.get("src"):
            self.found.append(a["src"])
        elif tag == "link" and a.get("href") and {"stylesheet", "modulepreload", "preload", "icon"} & set(rel):
            self.found.append(a["href"])


@pytest.fixture
def built() -> None:
    if not (STATIC / "dist" / "citizen.js.gz").exists():
        pytest.skip("the pages are not built (make frontend)")


def first_load(client, path: str) -> dict[str, int]:  # noqa: ANN001
    """Every file the page at ``path`` loads before it can be used, with the bytes the server sends for it."""
    page = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200, path
    sent = {path: int(page.headers.get("content-length") or len(page.content))}
    parser = Assets()
    parser.feed(page.text)
    todo = [urljoin(path, src) for src in parser.found]
    while todo:
        url = todo.pop()
        if url in sent:
            continue
        answer = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert answer.status_code == 200, url
        sent[url] = int(answer.headers["content-length"])  # the gzipped size (httpx hands back the text)
        if url.endswith((".js", ".mjs")):
            todo += [urljoin(url, m) for m in STATIC_IMPORT.findall(answer.text)]
        elif url.endswith(".css"):
            todo += [urljoin(url, a or b) for a, b in CSS_IMPORT.findall(answer.text)]
    return sent


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # no database question in it
def test_the_public_page_loads_under_300_kb_compressed(settings, built):  # noqa: ANN001
    with TestClient(app_for(settings)) as client:
        loads = {path: first_load(client, path) for path in ("/c/", "/c/t/" + "A" * 32)}
    for path, sent in loads.items():
        assert "/static/dist/citizen.js" in sent and "/static/dist/citizen.css" in sent
        assert not [u for u in sent if "maplibre" in u]  # the map comes on demand
        assert sum(sent.values()) < BUDGET, (path, sent)


def test_the_import_finder_follows_what_a_bundle_imports():
    code = 'import{a as b}from"./chunk-X.js";import"./side.js";export*from"./more.js";const m=import("/map.mjs");'
    assert STATIC_IMPORT.findall(code) == ["./chunk-X.js", "./side.js", "./more.js"]


@pytest.mark.skipif(not shutil.which("node"), reason="no node")
def test_the_public_page_parses_on_an_old_phone(built):  # noqa: ANN001
    """ES2017 for the page (plus the map's dynamic import), ES5 for the script that tells a browser older still
    that it cannot run the page; web/frontend/check-syntax.mjs (acorn), as the build runs it."""
    if not (FRONTEND / "node_modules" / "acorn").exists():
        pytest.skip("acorn is not installed (make frontend)")
    files = [f"{STATIC / 'dist' / name}:{version}" for name, version in (("citizen.js", 2017),
                                                                         ("citizen-oldphone.js", 5))]
    done = subprocess.run(["node", "check-syntax.mjs", *files], cwd=FRONTEND, capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr[-500:]
