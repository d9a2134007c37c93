"""The console's grid section (/admin#grid, issue 13) in a real browser, in one walk: an admin uploads a GeoJSON
file with one added cell, one changed cell (renamed, its north edge moved in) and one refused feature (a code a
digit short); the preview lists the three (the refused one with its reason) and draws them on the map; the
admin applies it, the job's progress reaches done, and the API has the new cell. Then cells generated over a
community are previewed the same way (their added count) and applied by a job."""

from __future__ import annotations

import json

import shapely
from shapely.geometry import box

from tests.e2e.conftest import api, shot, sign_in
from tests.support.city import COMMUNITY_A, COMMUNITY_B, cell_box, cell_code, city_features

LAPTOP = {"width": 1366, "height": 768}
NEW_CELL = cell_code(COMMUNITY_A, 7)  # north of community A's first cell
CHANGED = cell_code(COMMUNITY_A, 2)
BAD_CODE = "31010100100"


def grid_file() -> bytes:
    x0, y0, x1, y1 = cell_box(1, 0).bounds
    replaced = {CHANGED: ("外滩源网格", box(x0, y0, x1, y1 - (y1 - y0) * 0.1))}
    features = [(f.code, *replaced.get(f.code, (f.name, f.geometry))) for f in city_features()
                if f.code.startswith(COMMUNITY_A)]
    features += [(NEW_CELL, "新网格", cell_box(0, 2)), (BAD_CODE, "编码少一位", cell_box(1, 2))]
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": code, "name": name},
         "geometry": json.loads(shapely.to_geojson(geom))} for code, name, geom in features]},
        ensure_ascii=False).encode()


def test_admin_previews_a_grid_file_on_the_map_and_applies_it_with_a_job(browser, live_server, web_city, tmp_path):
    admin = web_city.tokens["admin"]
    path = tmp_path / "cells.geojson"
    path.write_bytes(grid_file())
    context, page = sign_in(browser, live_server, "admin", viewport=LAPTOP)
    page.goto(f"{live_server.url}/admin#grid")
    page.wait_for_selector("#gridmap[data-ready='true']", timeout=30_000)
    assert "6 个网格" in page.inner_text("#grid-tree")  # each community with its cells
    shot(page, "admin-grid-laptop")

    page.set_input_files("#grid-form input[type=file]", str(path))
    page.click("#grid-form button[type=submit]")
    page.wait_for_selector("#grid-summary")
    assert page.locator("#grid-added tbody tr").count() == 1
    assert "新网格" in page.inner_text(f"#grid-added tr[data-code='{NEW_CELL}']")
    changed = page.inner_text(f"#grid-changed tr[data-code='{CHANGED}']")
    assert "网格001-2 → 外滩源网格" in changed and "10,560 → 9,504" in changed
    refused = page.inner_text(f"#grid-refused tr[data-code='{BAD_CODE}']")
    assert "not a 15-digit cell code" in refused
    # the preview's features are on the map, marked; a row's code flies the map to it
    page.wait_for_selector("#gridmap[data-shown]")
    marks = page.evaluate("""() => document.querySelector('#gridmap').map.querySourceFeatures('preview')
        .map((f) => f.properties.code + ':' + f.properties.status)""")
    assert {f"{NEW_CELL}:added", f"{CHANGED}:changed", f"{CHANGED}:before", f"{BAD_CODE}:refused"} <= set(marks)
    page.click(f"#grid-added [data-fly='{NEW_CELL}']")
    page.wait_for_selector(f"#gridmap[data-picked='{NEW_CELL}']")
    shot(page, "admin-grid-preview")
    assert NEW_CELL not in {f["properties"]["code"] for f in api(live_server, admin, "GET", "/cells")["features"]}

    page.click("#grid-apply")
    page.wait_for_selector("#grid-job-status[data-status='done']", timeout=60_000)
    assert "新增 1" in page.inner_text("#grid-job-status")
    assert page.eval_on_selector("#grid-progress", "p => p.value === p.max")
    answer = api(live_server, admin, "GET", "/cells")
    cells = {f["properties"]["code"]: f["properties"]["name"] for f in answer["features"]}
    assert cells[NEW_CELL] == "新网格" and cells[CHANGED] == "外滩源网格" and BAD_CODE not in cells

    # cells generated over community B: the same preview (its added count), the same kind of job
    page.select_option("#grid-gen-form select[name=area_code]", COMMUNITY_B)
    page.select_option("#grid-gen-form select[name=shape]", "hex")
    page.fill("#grid-gen-form input[name=cell_area_m2]", "5000")
    page.click("#grid-gen-form button[type=submit]")
    page.wait_for_selector("#grid-summary")
    added = page.locator("#grid-added tbody tr").count()
    assert added > 0 and f"新增 {added}" in page.inner_text("#grid-summary")
    page.click("#grid-apply")
    page.wait_for_selector("#grid-job-status[data-status='done']", timeout=30_000)
    generated = {f["properties"]["code"] for f in api(live_server, admin, "GET", "/cells")["features"]}
    assert f"{COMMUNITY_B}{6 + added:03d}" in generated
    context.close()
