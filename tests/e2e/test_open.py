"""The open-data page (/open) in a real browser, on a phone and on a laptop, without an account: it shows the
period's figures (two cases closed today: 2 reported, 2 done, 100 %), the bars per category and street, and
download links that carry the page's filters and answer the published cases; it switches to English; axe finds
no serious violation, and nothing scrolls sideways or overlaps."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.e2e.conftest import api, shot
from tests.e2e.layout import SIZES, layout_problems
from tests.e2e.test_accessibility import AXE, audit
from tests.support.city import COMMUNITY_A, COMMUNITY_B, after_photo, cell_centre


def closed_case(server, tokens: dict, worker: str, community: str) -> str:  # noqa: ANN001
    lng, lat = cell_centre(community, 1)
    ticket = api(server, tokens[worker], "POST", "/reports",
                 json={"lat": lat, "lng": lng, "category_code": "E0101", "description": "路边垃圾"})["ticket"]
    path = f"/tickets/{ticket['id']}/actions"
    api(server, tokens["sanitation"], "POST", f"{path}/accept", json={})
    api(server, tokens["sanitation"], "POST", f"{path}/resolve", data={"reason": "已清运"},
        files=[("photos", ("after.jpg", after_photo(), "image/jpeg"))])
    api(server, tokens[worker], "POST", f"{path}/check_pass", json={})
    api(server, tokens["shift_lead"], "POST", f"{path}/close", json={"payload": {"close_type": "normal"}})
    return ticket["case_number"]


def test_the_open_data_page_shows_the_figures_and_its_downloads_work(browser, live_server, web_city):
    assert AXE.exists(), "axe-core is not installed (make frontend)"
    tokens = web_city.tokens
    numbers = {closed_case(live_server, tokens, "worker_a", COMMUNITY_A),
               closed_case(live_server, tokens, "worker_b", COMMUNITY_B)}
    api(live_server, tokens["worker_a"], "POST", "/reports", json={  # open and a day old at most: not published
        "lat": cell_centre(COMMUNITY_A, 2)[1], "lng": cell_centre(COMMUNITY_A, 2)[0], "category_code": "E0101",
        "description": "还没处理"})
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    period = f"from={today - timedelta(days=2)}&to={today}"  # a period of this test's own (answers are cached)

    for size in ("phone", "laptop"):
        w, h = SIZES[size]
        context = browser.new_context(viewport={"width": w, "height": h}, is_mobile=size == "phone",
                                      has_touch=size == "phone", bypass_csp=True)
        page = context.new_page()
        page.goto(f"{live_server.url}/open?{period}")
        page.wait_for_selector("body[data-ready='1']")
        figures = page.inner_text("#figures")
        assert "上报问题" in figures and "2 件" in figures and "100.0%" in figures, figures
        assert page.locator("#categories .bar").count() == 1 and page.locator("#streets .bar").count() == 1
        for target in ("#lang", "#from", "#to", "#kind", "#filters button[type=submit]", "[data-days='7']",
                       "#csv", "#geojson"):
            box = page.locator(target).bounding_box()
            assert box["width"] >= 44 and box["height"] >= 44, (size, target)
        data = [*page.locator("#streets .bar-name").all_inner_texts(), "CSV", "GeoJSON", "Excel"]  # (format names)
        assert audit(page, f"open-{size}") == []
        assert layout_problems(page, f"open-{size}", "zh-CN", data) == []
        shot(page, f"open-{size}")

        href = page.get_attribute("#csv", "href")
        assert href.startswith("/open/v1/cases.csv?") and f"from={today - timedelta(days=2)}" in href
        answer = context.request.get(live_server.url + href)
        assert answer.ok and answer.body().startswith("\ufeff".encode())
        rows = list(csv.DictReader(io.StringIO(answer.body().decode("utf-8-sig"))))
        assert {r["case_number"] for r in rows} == numbers
        geo = context.request.get(live_server.url + page.get_attribute("#geojson", "href"))
        assert geo.ok and len(geo.json()["features"]) == 2

        if size == "laptop":
            page.click("#lang")
            page.wait_for_function("document.documentElement.lang === 'en'")
            assert "Problems reported" in page.inner_text("#figures")
            assert layout_problems(page, "open-laptop", "en", data) == []
        context.close()
