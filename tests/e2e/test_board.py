"""The supervisors' board (/board) in Chromium, on one page load: a November seeded in the test process with the
injected clock (the live server shares its database) shows the counters worked out by hand and its top minor
class; the departments' league table opens a department's cases in the drill-down panel; it switches to English;
axe finds no serious violation; and the print layout (the monthly report) fits an A4 page's width."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import httpx
from fastapi.testclient import TestClient

from tests.e2e.conftest import PASSWORD, api, shot
from tests.e2e.layout import at_every_size
from tests.e2e.test_accessibility import AXE, audit
from tests.support.city import Api
from tests.web.test_board import seed_november
from web.app import create_app
from web.auth import SESSION_COOKIE
from web.settings import Settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
A4_WIDTH = 680  # px: 210 mm less 2 × 15 mm margins (the page's @page rule), at 96 px to the inch


def ok(answer) -> dict:  # noqa: ANN001
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def test_the_board_shows_a_seeded_month_drills_down_and_prints_on_a4(browser, live_server, web_city, clock,
                                                                     database_url, tmp_path):
    assert AXE.exists(), "axe-core is not installed (make frontend)"
    settings = Settings(database_url=database_url, media_dir=tmp_path / "media", scheduler_enabled=False)
    with TestClient(create_app(settings)) as client:
        a = seed_november(Api(client, web_city.tokens), clock)[0]  # (its figures: tests/web/test_board.py)

    signed = httpx.post(f"{live_server.url}/api/v1/login", json={"username": "supervisor", "password": PASSWORD},
                        timeout=10)
    assert signed.status_code == 200, signed.text
    context = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    context.add_cookies([{"name": SESSION_COOKIE, "value": signed.cookies[SESSION_COOKIE], "url": live_server.url,
                          "httpOnly": True, "sameSite": "Strict"}])
    page = context.new_page()
    page.goto(f"{live_server.url}/board?period=2026-11")
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)

    totals = {k: page.inner_text(f"#totals [data-figure={k}] dd") for k in ("reported", "registered", "closed",
                                                                             "overdue")}
    assert totals == {"reported": "3", "registered": "3", "closed": "1", "overdue": "1"}, totals
    assert "2026-11-01" in page.inner_text("#period-line") and "2026-11-30" in page.inner_text("#period-line")
    top = page.get_attribute("#categories", "aria-label")
    assert top.startswith("立案最多的小类：暴露垃圾 2，上水井盖 1"), top
    assert page.locator("#heat canvas").count() == 1

    row = page.locator("#departments tr[data-subject=SANITATION]")
    assert row.count() == 1, page.inner_text("#departments")
    assert audit(page, "board") == []
    note = api(live_server, web_city.tokens["supervisor"], "GET", "/evaluation/scores",
               params={"object": "department", "period": "2026-11"})["scheme"]["note"]  # (an admin's words)
    data = [a["case_number"], "supervisor", note, "Q1", "Q2", "Q3", "Q4", "worker_a", "worker_b"]  # (user names)
    problems = at_every_size(page, "board", "zh-CN", data)  # a phone, a laptop, a wall screen
    page.set_viewport_size({"width": 1366, "height": 900})
    assert problems == [], "\n".join(problems)

    # the posts' league table: grid workers first; worker_a's 2 reports valid, none missed, its check on time:
    # 40 + 20 + 20 standing for the 100 (nothing to verify) = 100, grade A
    worker = page.locator(f"#posts tr[data-subject='{web_city.actors['worker_a'].user_id}']")
    assert worker.locator("td").all_inner_texts()[1:3] == ["100.0", "A"], page.inner_text("#posts")
    page.select_option("#post", "shift_lead")  # the shift lead closed A on time: 按时结案率 100 %
    lead = page.locator(f"#posts tr[data-subject='{web_city.actors['shift_lead'].user_id}']")
    lead.wait_for()
    assert lead.locator("td").all_inner_texts()[-1] == "100.0%", page.inner_text("#posts")

    row.locator("button").click()
    page.wait_for_selector("#drill:not([hidden])[data-ready='1']")
    shot(page, "board-drill")
    link = page.locator(f"#drill-body a[href='/cases/{a['id']}/sheet']")
    assert link.inner_text() == a["case_number"], page.inner_text("#drill-body")

    page.click("#drill-close")
    page.click("#lang button")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert "Reported" in page.inner_text("#totals")
    areas = page.locator("#streets th[scope=row], #posts th[scope=row]").all_inner_texts()  # data: Chinese in English
    problems = at_every_size(page, "board", "en", data + areas)
    assert problems == [], "\n".join(problems)

    # the monthly report: at an A4 page's printable width, in print media, nothing wider than the page
    page.set_viewport_size({"width": A4_WIDTH, "height": 1000})
    page.emulate_media(media="print")
    page.wait_for_function("document.body.classList.contains('printing')")
    assert page.locator("#picker").is_hidden() and page.locator(".topbar").is_hidden()
    widest = page.evaluate("""() => Math.max(document.documentElement.scrollWidth,
        ...[...document.querySelectorAll('main *')].map((el) => el.getBoundingClientRect().right))""")
    assert widest <= A4_WIDTH + 1, widest
    shot(page, "board-print")
    context.close()
