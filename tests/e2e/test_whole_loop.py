"""The whole loop through the three pages, each user in a browser of their own, against one real server:
a worker reports from the phone page → the dispatcher's open map shows the case without reloading → the
dispatcher dispatches it → the department accepts and resolves it with an after-photo on its workbench →
the worker checks it on site from the phone → the shift lead closes it on the map."""

from __future__ import annotations

import warnings

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.conftest import shot, sign_in
from tests.e2e.test_desk import jpeg as small_jpeg
from tests.e2e.test_map import WALL
from tests.e2e.test_mobile import api, jpeg, open_page, pick_category
from tests.support.city import COMMUNITY_A, cell_centre, cell_code

DESCRIPTION = "路口垃圾箱破损，垃圾外溢"


def test_report_dispatch_handle_check_and_close_through_the_pages(browser, live_server, web_city, tmp_path):
    # the control room is watching before anything happens
    centre, map_page = sign_in(browser, live_server, "dispatcher", viewport=WALL)
    map_page.wait_for_selector("#map[data-ready='1']", timeout=30_000)
    map_page.wait_for_selector("#live[data-state='online']")
    assert map_page.get_attribute("#map", "data-markers") == "0"
    map_page.evaluate("window.__notReloaded = true")

    # 1. the worker reports a broken litter bin from the phone (C03 has no routing rule in this city:
    #    the case is registered and waits for the dispatcher)
    lng, lat = cell_centre(COMMUNITY_A, 4)
    phone, mobile = open_page(browser, live_server, lng, lat)
    mobile.wait_for_selector(f"#place[data-status=ok]:has-text('{cell_code(COMMUNITY_A, 4)}')")
    pick_category(mobile, "垃圾箱", "C0302")
    mobile.fill("#description", DESCRIPTION)
    mobile.set_input_files("#gallery", jpeg(tmp_path / "before.jpg"))
    mobile.wait_for_selector("#thumbs img")
    mobile.click("#submit")
    mobile.wait_for_selector("[data-result=filed]")
    shot(mobile, "loop-1-worker-reported")
    mine = api(live_server, web_city.tokens["worker_a"], "GET", "/tickets", params={"mine": "true"})["items"]
    assert len(mine) == 1 and mine[0]["description"] == DESCRIPTION
    case = mine[0]
    assert case["status"] == "registered" and case["department_code"] is None

    # 2. the dispatcher's map shows it without a reload, and the dispatcher sends it to sanitation
    map_page.wait_for_selector(f".row[data-id='{case['id']}']", timeout=5_000)
    map_page.wait_for_selector("#map[data-markers='1']")
    assert map_page.evaluate("window.__notReloaded") is True
    map_page.click(f".row[data-id='{case['id']}']")
    map_page.wait_for_selector(f".panel-case[data-case='{case['case_number']}']")
    map_page.click("#actions button[data-action=dispatch]")
    select = map_page.wait_for_selector("[data-form=dispatch] select[name=department_code]")
    assert select.input_value() == "SANITATION"  # the litter bin's default department, suggested
    shot(map_page, "loop-2-dispatcher-dispatches")
    map_page.click("[data-form=dispatch] [data-go]")
    map_page.wait_for_selector(".chip.status[data-status=dispatched]")

    # 3. the department accepts and resolves with an after-photo on its workbench
    desk_ctx, desk = sign_in(browser, live_server, "sanitation", viewport={"width": 1366, "height": 800})
    desk.click(f".row[data-id='{case['id']}']")
    desk.click("#actions button[data-action=accept]")
    desk.wait_for_selector("#actions button[data-action=resolve]")
    desk.click("#actions button[data-action=resolve]")
    desk.fill("[data-form=resolve] textarea[name=reason]", "已更换垃圾箱并清理")
    desk.set_input_files("[data-form=resolve] input[name=photos]", small_jpeg(tmp_path / "after.jpg"))
    desk.click("[data-form=resolve] [data-go]")
    desk.wait_for_selector(".status-line .badge:has-text('待核查')")
    shot(desk, "loop-3-department-resolved")
    # the map recolours the row live: the case is waiting for the on-site check
    map_page.wait_for_selector(f".row[data-id='{case['id']}'] .row-sub:has-text('待核查')", timeout=5_000)

    # 4. the worker checks on site from the phone's task list
    mobile.wait_for_selector("#task-count:text-is('1')", timeout=10_000)
    mobile.click(".tabbar button[data-tab=tasks]")
    open_check = f"#tab-tasks .task[data-id='{case['id']}'] button[data-action=check_pass]"
    mobile.click(open_check)
    try:
        mobile.wait_for_selector("[data-form=check_pass] [data-go]", timeout=15_000)
    except PlaywrightTimeout:
        # once in a full CI run on a loaded machine the form was not there (the cause is not found yet): say what
        # the phone showed, then tap again as the worker would
        tab = mobile.evaluate("document.querySelector('.tabbar .on')?.dataset.tab")
        tasks = mobile.inner_text("#tab-tasks")[:300]
        warnings.warn(f"the check form did not open on the first tap: {mobile.url}, tab {tab}, tasks {tasks!r}",
                      stacklevel=1)
        mobile.click(".tabbar button[data-tab=tasks]")
        mobile.click(open_check)
    mobile.click("[data-form=check_pass] [data-go]")
    mobile.wait_for_selector(f"#tab-tasks .task[data-id='{case['id']}']", state="detached")
    shot(mobile, "loop-4-worker-checked")

    # 5. the shift lead closes it on the map
    lead_ctx, lead = sign_in(browser, live_server, "shift_lead", viewport=WALL)
    lead.wait_for_selector("#map[data-ready='1']", timeout=30_000)
    lead.click(f".row[data-id='{case['id']}']")
    lead.wait_for_selector(f".panel-case[data-case='{case['case_number']}']")
    lead.click("#actions button[data-action=close]")
    # a special close says why (the lifecycle table's row for it): the note is asked for once it is chosen
    assert lead.inner_text("[data-form=close] .reason-label") == "说明（可选）"
    lead.select_option("[data-form=close] select[name=close_type]", "special")
    assert lead.inner_text("[data-form=close] .reason-label") == "原因"
    assert lead.eval_on_selector("[data-form=close] textarea[name=reason]", "t => t.required")
    lead.select_option("[data-form=close] select[name=close_type]", "normal")
    assert not lead.eval_on_selector("[data-form=close] textarea[name=reason]", "t => t.required")
    lead.click("[data-form=close] [data-go]")
    lead.wait_for_selector(".chip.status[data-status=closed]")
    shot(lead, "loop-5-shift-lead-closed")

    detail = api(live_server, web_city.tokens["dispatcher"], "GET", f"/tickets/{case['id']}")
    assert detail["status"] == "closed"
    assert [(e["action"], e["actor"]) for e in detail["timeline"]] == [
        ("report", "worker_a"),
        ("register", "system"),
        ("dispatch", "dispatcher"),
        ("accept", "sanitation"),
        ("resolve", "sanitation"),
        ("check_pass", "worker_a"),
        ("close", "shift_lead"),
    ]
    assert [p["stage"] for p in detail["photos"]] == ["report", "resolve"]
    # the closed case leaves the dispatcher's live map, still without a reload
    map_page.wait_for_selector(f".row[data-id='{case['id']}']", state="detached", timeout=5_000)
    assert map_page.evaluate("window.__notReloaded") is True
    for context in (centre, phone, desk_ctx, lead_ctx):
        context.close()
