"""The administration console (/admin, issue 13) in a real browser, in one walk to keep the suite quick: an
admin creates a grid worker and gives them two cells by clicking them on the map; a day changed in the
calendar's year view is in the API; a CSV of users with one bad row is previewed (the bad row shows what is
wrong) and applied (the others created, their one-time passwords shown); a department is told the console is
for admins."""

from __future__ import annotations

import json
from datetime import date

from tests.e2e.conftest import api, shot, sign_in
from tests.support.city import COMMUNITY_B, cell_centre, cell_code

LAPTOP = {"width": 1366, "height": 768}


def click_on_map(page, selector: str, lng: float, lat: float) -> None:  # noqa: ANN001
    """A real mouse click where the point is drawn on the MapLibre map inside ``selector``."""
    x, y = page.evaluate("""([selector, lng, lat]) => {
        const box = document.querySelector(selector);
        const p = box.map.project([lng, lat]);
        const r = box.getBoundingClientRect();
        return [r.left + p.x, r.top + p.y];
    }""", [selector, lng, lat])
    page.mouse.click(x, y)


def test_admin_console_users_cells_calendar_import_and_admins_only(browser, live_server, web_city, tmp_path):
    admin = web_city.tokens["admin"]
    context, page = sign_in(browser, live_server, "admin", viewport=LAPTOP)
    page.goto(f"{live_server.url}/admin#users")
    page.wait_for_selector("#user-list [data-user='worker_a']")

    # a new grid worker, two cells picked on the map
    page.click("#new-user")
    page.fill("#user-form [name=username]", "worker_new")
    page.fill("#user-form [name=display_name]", "新网格员")
    page.locator("#cellmap").scroll_into_view_if_needed()
    page.wait_for_selector("#cellmap[data-ready='true']", timeout=30_000)
    cells = [cell_code(COMMUNITY_B, 1), cell_code(COMMUNITY_B, 2)]
    for k in (1, 2):
        click_on_map(page, "#cellmap", *cell_centre(COMMUNITY_B, k))
    page.wait_for_selector("#cells-count:has-text('已选 2 个网格')")
    assert page.input_value("#cell-codes") == ", ".join(cells)
    shot(page, "admin-user-cells")
    page.click("#user-form button[type=submit]")
    page.wait_for_selector("#user-ok:has-text('用户已创建')")
    created = api(live_server, admin, "GET", "/users", params={"q": "worker_new"})
    assert [(u["username"], u["role"], u["cell_codes"]) for u in created] == [("worker_new", "worker", cells)]

    # the calendar's year view: an ordinary Wednesday in December becomes a holiday, then a make-up working day
    year = date.today().year
    day = next(date(year, 12, d) for d in range(8, 15) if date(year, 12, d).weekday() == 2)
    page.click("#side a[href='#calendars']")
    button = f"#year button.day[data-day='{day.isoformat()}']"
    # an official holiday is named in the page's language only (stored as "国庆节 National Day")
    national_day = page.get_attribute(f"#year button.day[data-day='{year}-10-01']", "aria-label")
    assert "国庆节" in national_day and "National" not in national_day
    page.click(button)
    page.wait_for_selector(f"{button}.holiday")
    marked = api(live_server, admin, "GET", "/calendars/standard/days", params={"year": year})
    assert {"day": day.isoformat(), "kind": "holiday"} in [{"day": d["day"], "kind": d["kind"]} for d in marked]
    page.click(button)
    page.wait_for_selector(f"{button}.workday")
    marked = api(live_server, admin, "GET", "/calendars/standard/days", params={"year": year})
    assert [d["kind"] for d in marked if d["day"] == day.isoformat()] == ["workday"]
    assert day.isoformat() in page.inner_text("#cal-status")

    # users in bulk: one bad row previewed with its error, the others created with one-time passwords
    sheet = tmp_path / "users.csv"
    sheet.write_text("用户名,姓名,角色,网格\nimp_a,导入甲,网格员,310101001001001\nimp_b,导入乙,派遣员,\n"
                     "imp_c,导入丙,网格员,12345\n", encoding="utf-8")
    page.click("#side a[href='#users']")
    page.click("#import-open")
    page.set_input_files("#import-form input[type=file]", str(sheet))
    page.click("#import-form button[type=submit]")
    bad = page.wait_for_selector("#import-result tr.bad[data-row='4']")
    assert "12345" in bad.inner_text() and "不是网格代码" in bad.inner_text()  # translated by its code
    assert page.locator("#import-result tr.good").count() == 2
    assert api(live_server, admin, "GET", "/users", params={"q": "imp_"}) == []  # a preview creates nobody
    page.click("#import-apply")
    page.wait_for_selector("#import-summary:has-text('已创建 2 个用户')")
    assert page.locator("#import-result code.password").count() == 2
    assert "请立即复制" in page.inner_text("#import-result .warning")
    shot(page, "admin-import-applied")
    names = sorted(u["username"] for u in api(live_server, admin, "GET", "/users", params={"q": "imp_"}))
    assert names == ["imp_a", "imp_b"]

    # the security log says what each entry is about and what changed, a line per field
    page.click("#side a[href='#security']")
    page.wait_for_selector("#log tr:has(td:text-is('用户 worker_new'))")
    about_her = page.locator("#log tr:has(td:text-is('用户 worker_new'))").all_inner_texts()
    assert any(f"cells: [] → {json.dumps(cells, separators=(',', ':'))}" in row for row in about_her)
    assert any("role: — → worker" in row for row in about_her)
    context.close()

    # anyone else is told the console is for admins
    context, page = sign_in(browser, live_server, "sanitation", viewport=LAPTOP)  # lands on the light desk page
    page.goto(f"{live_server.url}/admin")
    assert "仅限管理员" in page.wait_for_selector("#only-admins").inner_text()
    context.close()
