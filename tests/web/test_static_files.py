"""The pages' files are sent gzipped (made once at build time) to browsers that take gzip, as themselves to
the others, with their own content type either way."""

from __future__ import annotations

import pytest

from web.api.pages import STATIC

SCRIPT = STATIC / "dist" / "citizen.js"


@pytest.fixture
def built() -> None:
    if not SCRIPT.with_name("citizen.js.gz").exists():
        pytest.skip("the pages are not built (make frontend)")


def test_a_browser_that_takes_gzip_gets_the_gzipped_file(api, built):  # noqa: ANN001
    raw = api.client.get("/static/dist/citizen.js", headers={"Accept-Encoding": "gzip"})
    assert raw.status_code == 200 and raw.headers["content-encoding"] == "gzip"
    assert raw.headers["content-type"].startswith("text/javascript") and raw.headers["vary"] == "Accept-Encoding"
    assert raw.content == SCRIPT.read_bytes()  # (httpx undoes the gzip)
    assert int(raw.headers["content-length"]) == SCRIPT.with_name("citizen.js.gz").stat().st_size < len(raw.content) / 2
    style = api.client.get("/static/vendor/maplibre/maplibre-gl.css", headers={"Accept-Encoding": "gzip, br"})
    assert style.headers["content-encoding"] == "gzip" and style.headers["content-type"].startswith("text/css")
    again = api.client.get("/static/dist/citizen.js", headers={"Accept-Encoding": "gzip",
                                                               "If-None-Match": raw.headers["etag"]})
    assert again.status_code == 304


def test_a_browser_that_does_not_gets_the_file_itself(api, built):  # noqa: ANN001
    plain = api.client.get("/static/dist/citizen.js", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert plain.content == SCRIPT.read_bytes() and plain.headers["content-type"].startswith("text/javascript")
    assert api.client.get("/static/dist/no-such.js", headers={"Accept-Encoding": "gzip"}).status_code == 404


def test_every_page_names_the_icon_and_a_browser_asking_for_favicon_ico_gets_it(api, built):  # noqa: ANN001
    """Before, every page's tab had no icon and every visit left a 404 for /favicon.ico in the log."""
    for path in ("/login", "/m/", "/map", "/desk", "/admin", "/c/", "/hotline", "/open", "/board", "/cases/1/sheet"):
        assert '<link rel="icon" href="/icon.svg"' in api.client.get(path).text, path
    icon = api.client.get("/favicon.ico", follow_redirects=True)
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert icon.text.lstrip().startswith("<svg") and str(icon.url).endswith("/icon.svg")
    manifest = api.client.get("/m/manifest.webmanifest").json()  # the report page on a phone's home screen
    assert [i["src"] for i in manifest["icons"]] == ["/icon.svg"]


def test_search_engines_index_the_public_pages_but_never_a_tracking_link(api, built):  # noqa: ANN001
    from urllib.robotparser import RobotFileParser

    robots = RobotFileParser()
    robots.parse(api.client.get("/robots.txt").text.splitlines())
    assert robots.can_fetch("*", "/c/") and robots.can_fetch("*", "/open")
    for private in ("/c/t/" + "A" * 32, "/map", "/desk", "/api/v1/tickets", "/login"):
        assert not robots.can_fetch("*", private), private
    assert api.client.get("/c/t/" + "A" * 32).headers["x-robots-tag"] == "noindex, nofollow"
    assert "x-robots-tag" not in api.client.get("/c/").headers


def test_a_browser_opening_a_wrong_address_gets_a_page_and_programs_keep_the_json(api):  # noqa: ANN001
    """A cut-off link or a case sheet's address with a malformed number showed the API's English JSON."""
    html = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    for path in ("/cases/abc/sheet", "/no-such-page", "/desk/old-link"):
        page = api.client.get(path, headers=html)
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html"), path
        assert "找不到这个页面" in page.text and 'href="/c/"' in page.text and '"error"' not in page.text
    for path in ("/cases/abc/sheet", "/api/v1/no-such", "/public/v1/track/" + "A" * 32):  # programs: JSON as before
        assert api.client.get(path).headers["content-type"] == "application/json", path
    assert api.client.get("/api/v1/no-such", headers=html).json()["error"] == "not_found"  # the API stays JSON
    assert api.client.get("/cases/abc/sheet").json()["error"] == "invalid_input"


def test_a_damaged_tracking_link_or_another_address_under_c_gets_the_public_page(api, built):  # noqa: ANN001
    """A tracking link pasted from WeChat or a text message with "。", ")" or a space stuck on its end, one cut off,
    or any other address under /c/ answered the API's English JSON ({"error":"invalid_input","message":"token:
    String should match pattern …"}). The public page comes instead: it cleans its address and asks the API, or
    says 没有找到这个诉求; what the address holds is never written into the answer."""
    token = "A" * 32
    citizen = '<script type="module" src="/static/dist/citizen.js"></script>'
    for path in (f"/c/t/{token}%E3%80%82", f"/c/t/{token})", f"/c/t/{token}%20", f"/c/t/{token}%EF%BC%89%20",
                 "/c/t/abc", "/c/t/", f"/c/t/{token}/more"):
        page = api.client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), path
        assert citizen in page.text and page.headers["x-robots-tag"] == "noindex, nofollow", path
    for path in ("/c/no-such", "/c/tabc", "/c/x/y"):
        page = api.client.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 404 and citizen in page.text, path
        assert page.headers["x-robots-tag"] == "noindex, nofollow", path
    for path in ("/c/t/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/c/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"):
        text = api.client.get(path).text
        assert "alert(1)" not in text and "<img src=x" not in text, path
    strict = api.client.get(f"/public/v1/track/{token}%E3%80%82")  # the API takes only a well-formed token
    assert strict.status_code == 422 and strict.json()["error"] == "invalid_input"
