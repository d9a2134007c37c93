"""An optional base map from an intranet tile server, drawn in GCJ-02 as most Chinese street maps are: the
pages fetch its tiles, draw cases and cells shifted onto it, and a point tapped on it is shifted back to
WGS-84 before it is located and reported. The shift is checked against prcoords, not the page's own
library."""

from __future__ import annotations

import io
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import prcoords
import pytest
from PIL import Image

from tests.e2e.conftest import api, sign_in
from tests.e2e.test_map import WALL, report
from tests.e2e.test_mobile import phone
from tests.support.city import COMMUNITY_A, cell_centre, cell_code
from tests.support.server import Server, wait_until


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 210, 190)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def tile_host():  # noqa: ANN201
    """A tile server on loopback answering every {z}/{x}/{y}.png with a plain tile, keeping the paths."""
    tile, seen = _png(), []

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Content-Length", str(len(tile)))
            self.end_headers()
            self.wfile.write(tile)

        def log_message(self, *args) -> None:  # noqa: ANN002
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}/{{z}}/{{x}}/{{y}}.png", seen
    httpd.shutdown()


@pytest.fixture
def tile_server(tile_host):  # noqa: ANN001, ANN201
    """The tile server's URL template and the paths asked of it during this test."""
    url, seen = tile_host
    seen.clear()
    return url, seen


@pytest.fixture(scope="module")
def gcj_host(database_url, tmp_path_factory, tile_host):  # noqa: ANN001, ANN201
    url, _ = tile_host
    server = Server(database_url, tmp_path_factory.mktemp("gcj") / "media", GRIDOPS_MAP_TILES_URL=url,
                    GRIDOPS_MAP_TILES_CRS="gcj02").start()
    yield server
    server.stop()


@pytest.fixture
def gcj_server(gcj_host, web_city, tile_server):  # noqa: ANN001, ANN201
    """The module's server with the GCJ-02 base map, on a database holding just the test city."""
    return gcj_host


def gcj(lng: float, lat: float) -> tuple[float, float]:
    shifted = prcoords.wgs_gcj(prcoords.Coords(lat, lng))
    return shifted.lon, shifted.lat


def test_cases_sit_on_a_gcj02_base_map(browser, gcj_server, web_city, tile_server):
    _, tiles_seen = tile_server
    case = report(gcj_server, web_city, "worker_a", COMMUNITY_A, 2, "E0101", "路边暴露垃圾")
    context, page = sign_in(browser, gcj_server, "dispatcher", viewport=WALL)
    page.wait_for_selector("#map[data-ready='1']", timeout=30_000)
    assert wait_until(lambda: len(tiles_seen) > 0, timeout=10), "the base map's tiles were never requested"
    assert all(re.fullmatch(r"/\d+/\d+/\d+\.png", p) for p in tiles_seen)
    page.evaluate("(c) => window.__gridopsMap.jumpTo({ center: c, zoom: 17 })", list(gcj(case["lng"], case["lat"])))
    page.wait_for_function("window.__gridopsMap.loaded() && window.__gridopsMap"
                           ".queryRenderedFeatures({ layers: ['case-points'] }).length === 1", timeout=10_000)
    drawn = page.evaluate("window.__gridopsMap.queryRenderedFeatures({ layers: ['case-points'] })[0]"
                          ".geometry.coordinates")
    expected = gcj(case["lng"], case["lat"])
    assert abs(expected[0] - case["lng"]) > 1e-3  # the shift is hundreds of metres here
    assert drawn == pytest.approx(list(expected), abs=1e-5)
    # the case's own position stays WGS-84 in the panel
    page.click(f".row[data-id='{case['id']}']")
    page.wait_for_selector(f"#panel :text('{case['lng']:.6f}, {case['lat']:.6f}')")
    context.close()


def test_a_point_tapped_on_a_gcj02_base_map_is_reported_in_wgs84(browser, gcj_server, web_city):
    lng, lat = cell_centre(COMMUNITY_A, 5)
    context, page = sign_in(browser, gcj_server, "worker_a", **phone(lng, lat))
    page.wait_for_selector("#map[data-ready='1']", timeout=30_000)
    page.wait_for_selector(f"#place[data-status=ok]:has-text('{cell_code(COMMUNITY_A, 5)}')")
    # the map is centred on the GPS fix, drawn shifted onto the base map
    centre = page.evaluate("(() => { const c = window.__gridopsWhereMap.getCenter(); return [c.lng, c.lat]; })()")
    assert centre == pytest.approx(list(gcj(lng, lat)), abs=1e-6)
    # a tap a little to the right of the pin picks a
    # point some 25 m east of the fix, in WGS-84 again (unshifted it would be ~500 m off, outside the grid)
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2 + 20, box["y"] + box["height"] / 2)
    page.wait_for_function("document.querySelector('#place').textContent.includes('地图')", timeout=5_000)
    page.wait_for_selector("#place[data-status=ok]")
    text = page.inner_text("#place")
    picked_lat, picked_lng = (float(v) for v in re.search(r"(\d+\.\d{6}), (\d+\.\d{6})", text).groups())
    assert picked_lng == pytest.approx(lng, abs=4e-4) and picked_lng > lng
    assert picked_lat == pytest.approx(lat, abs=1e-4)
    assert cell_code(COMMUNITY_A, 5) in text
    context.close()


def test_the_public_page_draws_on_the_base_map_and_picks_in_wgs84(browser, gcj_server, web_city, tile_server):
    """Issue 14: the citizen's pin map (no account) has the service's base map too (/public/v1/basemap); a tap
    where a cell's centre is drawn on the GCJ-02 tiles files the report at the cell's WGS-84 centre."""
    lng, lat = cell_centre(COMMUNITY_A, 5)
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{gcj_server.url}/c/")
    page.wait_for_selector("body[data-ready='1']")
    page.click("#pick-map")
    page.wait_for_selector("#map[data-ready='1']", timeout=30_000)
    _, seen = tile_server
    assert wait_until(lambda: bool(seen), 10), "no tile was asked for"
    x, y = page.evaluate("([lng, lat]) => { const p = window.__gridopsPinMap.project([lng, lat]); return [p.x, p.y]; }",
                         list(gcj(lng, lat)))
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_selector("#place[data-status=ok]")
    page.click("#categories button[data-code=E0101]")
    page.fill("#description", "地图上选的点")
    page.click("#submit")
    page.wait_for_selector("[data-result=filed]")
    number = page.inner_text("#case-number")
    found = api(gcj_server, web_city.tokens["shift_lead"], "GET", "/tickets", params={"q": number})["items"]
    case = next(c for c in found if c["case_number"] == number)
    assert case["cell_code"] == cell_code(COMMUNITY_A, 5)
    # (within ~10 m: a pixel of the tap; unshifted it would be some 500 m off, outside the grid)
    assert case["lng"] == pytest.approx(lng, abs=1e-4) and case["lat"] == pytest.approx(lat, abs=1e-4)
    context.close()
