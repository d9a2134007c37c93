"""The console's catalogue, departments and routing sections (/admin#categories, #departments, #routing; issue
13) in a real browser, one lean walk: an admin changes a minor class's public name in its form (and GET
/categories has it); a department's calendar, and sets its webhook (the new secret shown once); in "try it"
a point of the test city clicked on the map with a category shows the department it goes to now; a proposed
rule sending it elsewhere shows before and after side by side, and the rules in force are unchanged."""

from __future__ import annotations

from tests.e2e.conftest import api, shot, sign_in
from tests.e2e.layout import layout_problems
from tests.e2e.test_admin import LAPTOP, click_on_map
from tests.support.city import COMMUNITY_A, cell_centre, cell_code


def test_admin_edits_a_category_and_tries_a_routing_rule(browser, live_server, web_city):
    admin = web_city.tokens["admin"]
    rules_before = api(live_server, admin, "GET", "/routing-rules")
    context, page = sign_in(browser, live_server, "admin", viewport=LAPTOP)

    # a minor class's public name, edited in its form
    page.goto(f"{live_server.url}/admin#categories")
    page.click("#cat-tree [data-edit='E0101']")
    page.fill("#cat-form [name=public_name]", "路边垃圾没人清")
    page.click("#cat-form button[type=submit]")
    page.wait_for_selector("#cat-form-ok:has-text('已保存 E0101')")
    assert "路边垃圾没人清" in page.inner_text("#cat-tree tr[data-code='E0101'] .public")
    shot(page, "admin-category-edit")
    assert on_a_phone(page, "categories") == []
    listed = {c["code"]: c for c in api(live_server, admin, "GET", "/categories")}
    assert listed["E0101"]["public_name"] == "路边垃圾没人清"

    # a department's calendar changed in its form, then a webhook set: its new secret is shown once
    page.click("#side a[href='#departments']")
    page.click("#dept-list [data-edit='WATER']")
    page.select_option("#dept-form [name=calendar_code]", "24x7")
    page.click("#dept-form button[type=submit]")
    page.wait_for_selector("#dept-form-ok:has-text('WATER')")
    page.fill("#hook-form [name=url]", "https://hooks.example.com/gridops/T0KEN")
    page.click("#hook-form button[type=submit]")
    page.wait_for_selector("#hook-secret-value")
    assert len(page.inner_text("#hook-secret-value")) == 32
    assert "hooks.example.com" in page.inner_text("#dept-list tr[data-code='WATER'] [data-hook]")
    shot(page, "admin-departments")
    assert on_a_phone(page, "departments") == []
    water = next(d for d in api(live_server, admin, "GET", "/departments") if d["code"] == "WATER")
    assert water["calendar_code"] == "24x7" and water["webhook"] == {"host": "hooks.example.com", "secret_set": True}

    # try it: a point clicked on the map goes to sanitation (the city's rule for E01 in the district) ...
    page.click("#side a[href='#routing']")
    page.wait_for_selector("#try-map[data-ready='true']", timeout=30_000)
    page.select_option("#try-category", "E0101")
    click_on_map(page, "#try-map", *cell_centre(COMMUNITY_A, 1))
    page.wait_for_selector("#try-now[data-department='SANITATION']")
    assert cell_code(COMMUNITY_A, 1) in page.inner_text("#try-cell")

    # ... and to water after a proposed rule for that cell: before and after side by side, nothing saved
    page.fill("#rule-category", "E0101")
    page.click("#rule-use-cell")
    assert page.input_value("#rule-area") == cell_code(COMMUNITY_A, 1)
    page.select_option("#rule-department", "WATER")
    page.click("#try-run")
    page.wait_for_selector("#try-after[data-department='WATER']")
    assert page.get_attribute("#try-now", "data-department") == "SANITATION"
    assert "派遣结果将改变" in page.inner_text("#try-verdict")
    shot(page, "admin-routing-try")
    assert on_a_phone(page, "routing") == []
    assert api(live_server, admin, "GET", "/routing-rules") == rules_before
    context.close()


def on_a_phone(page, name: str) -> list[str]:  # noqa: ANN001
    """The section's layout problems at a phone's width (nothing scrolls sideways, nothing cut off or on top
    of another; tests/e2e/layout.py), the page then put back to the laptop's size. Codes, format names and
    what the test typed are data, not interface words."""
    page.set_viewport_size({"width": 360, "height": 740})
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    found = [p for p in layout_problems(page, name, "zh-CN", []) if "English in the Chinese page" not in p]
    page.set_viewport_size(LAPTOP)
    return found
