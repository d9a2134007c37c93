"""The grid worker's own work on the phone page (/m/): the tasks tab (checking a resolved case in their cells,
verifying a report true or not true with a photo) and their own cases (a closed case with its timeline, the
after-photo and the department's reply; the phone's Back between the views). Reporting is test_mobile.py's."""

from __future__ import annotations

from tests.e2e.conftest import api, shot
from tests.e2e.test_mobile import jpeg, not_a_picture, open_page
from tests.support.city import COMMUNITY_A, after_photo, cell_centre


def test_a_resolved_case_in_my_cell_is_checked_from_the_tasks_tab(browser, live_server, web_city):
    lng, lat = cell_centre(COMMUNITY_A, 5)
    case = api(
        live_server,
        web_city.tokens["dispatcher"],
        "POST",
        "/reports",
        json={"lat": lat, "lng": lng, "category_code": "E0101", "description": "市民来电：垃圾未清运"},
    )["ticket"]
    tid = case["id"]
    api(live_server, web_city.tokens["worker_a"], "POST", f"/tickets/{tid}/actions/verify", json={})
    api(live_server, web_city.tokens["shift_lead"], "POST", f"/tickets/{tid}/actions/register", json={})
    api(
        live_server,
        web_city.tokens["dispatcher"],
        "POST",
        f"/tickets/{tid}/actions/dispatch",
        json={"payload": {"department_code": "SANITATION"}},
    )
    api(live_server, web_city.tokens["sanitation"], "POST", f"/tickets/{tid}/actions/accept", json={})
    api(live_server, web_city.tokens["sanitation"], "POST", f"/tickets/{tid}/actions/resolve",
        data={"reason": "已清运"}, files=[("photos", ("after.jpg", after_photo(), "image/jpeg"))])

    context, page = open_page(browser, live_server, lng, lat)
    page.wait_for_selector("#task-count:text-is('1')")
    page.click(".tabbar button[data-tab=tasks]")
    task = page.wait_for_selector(f"#tab-tasks .task[data-id='{tid}']")
    assert "待核查" in task.inner_text() and case["case_number"] in task.inner_text()
    assert "区环卫所" in task.inner_text() and "SANITATION" not in task.inner_text()  # the department's name
    caption = page.inner_text(f"#tab-tasks .task[data-id='{tid}'] figure[data-stage=resolve] figcaption")
    assert caption.startswith("处置后")  # the department's photo is labelled as the result
    countdown = page.wait_for_selector(f"#tab-tasks .countdown[data-id='{tid}']")
    assert countdown.inner_text().startswith(("剩余", "超时"))
    assert page.is_visible(f"#tab-tasks .task[data-id='{tid}'] button[data-action=check_fail]")
    shot(page, "mobile-tasks")

    page.click(f"#tab-tasks .task[data-id='{tid}'] button[data-action=check_pass]")
    page.fill("[data-form=check_pass] textarea[name=reason]", "现场已清理干净")
    page.click("button.lang-switch")  # mid-form: what was typed stays (the switch drew the list again, empty)
    page.wait_for_selector("html[lang=en]")
    assert page.input_value("[data-form=check_pass] textarea[name=reason]") == "现场已清理干净"
    page.click("[data-form=check_pass] [data-go]")
    page.wait_for_selector("#tab-tasks [data-done=check_pass]")
    page.wait_for_selector(f"#tab-tasks .task[data-id='{tid}']", state="detached")
    shot(page, "mobile-tasks-checked")
    detail = api(live_server, web_city.tokens["dispatcher"], "GET", f"/tickets/{tid}")
    assert detail["status"] == "checked"
    assert detail["timeline"][-1]["action"] == "check_pass" and detail["timeline"][-1]["actor"] == "worker_a"
    context.close()


def test_a_worker_verifies_true_and_not_true_on_site_with_photos(browser, live_server, web_city, tmp_path):
    """属实 with a photo puts the case before the shift lead to register; 不属实 needs a reason and a photo,
    and the shift lead then rejects it. The card saying an act was done outlives the next live refresh."""
    lng, lat = cell_centre(COMMUNITY_A, 6)

    def hotline(text: str) -> dict:
        body = {"lat": lat, "lng": lng, "category_code": "E0101", "description": text}
        return api(live_server, web_city.tokens["dispatcher"], "POST", "/reports", json=body)["ticket"]

    untrue = hotline("市民来电：绿地里有垃圾")
    context, page = open_page(browser, live_server, lng, lat, size=(360, 740))
    page.click(".tabbar button[data-tab=tasks]")
    card = page.wait_for_selector(f"#tab-tasks .task[data-id='{untrue['id']}']")
    assert "核实属实" in card.inner_text() and "核实不属实" in card.inner_text()
    page.click(f"#tab-tasks .task[data-id='{untrue['id']}'] button[data-action=verify_untrue]")
    form = "[data-form=verify_untrue]"
    page.fill(f"{form} textarea[name=reason]", "现场无垃圾，绿地整洁")
    page.click(f"{form} [data-go]")
    assert page.inner_text(f"{form} .error") == "请拍一张现场照片"  # the photo is required: nothing sent
    # a file named .jpg that is no picture is refused when picked, by its name (not when sent, in English)
    page.set_input_files(f"{form} input[name=photos]", not_a_picture(tmp_path / "现场.jpg"))
    page.wait_for_selector(f"{form} .error:has-text('“现场.jpg” 不是可识别的图片')")
    assert page.input_value(f"{form} input[name=photos]") == ""
    page.click(f"{form} [data-go]")
    assert page.inner_text(f"{form} .error") == "请拍一张现场照片"
    page.set_input_files(f"{form} input[name=photos]", jpeg(tmp_path / "site.jpg"))
    shot(page, "mobile-verify-untrue-form")
    page.click(f"{form} [data-go]")
    page.wait_for_selector("#tab-tasks [data-done=verify_untrue]")

    # a new case in the cell comes in live: the list refreshes and the card stays until dismissed
    true = hotline("市民来电：路口垃圾堆")
    page.wait_for_selector(f"#tab-tasks .task[data-id='{true['id']}']")
    assert page.is_visible("#tab-tasks [data-done=verify_untrue]")
    page.click(f"#tab-tasks .task[data-id='{true['id']}'] button[data-action=verify]")
    page.set_input_files("[data-form=verify] input[name=photos]", jpeg(tmp_path / "true.jpg"))
    page.click("[data-form=verify] [data-go]")
    page.wait_for_selector("#tab-tasks [data-done=verify]")
    page.wait_for_selector(f"#tab-tasks .task[data-id='{true['id']}']", state="detached")
    shot(page, "mobile-verified")
    page.click("#tab-tasks [data-dismiss]")
    page.wait_for_selector("#tab-tasks [data-done]", state="detached")

    verified = api(live_server, web_city.tokens["shift_lead"], "GET", f"/tickets/{true['id']}")
    assert verified["status"] == "reported" and [p["stage"] for p in verified["photos"]] == ["verify"]
    disputed = api(live_server, web_city.tokens["shift_lead"], "GET", f"/tickets/{untrue['id']}")
    assert disputed["status"] == "verify_disputed" and [p["stage"] for p in disputed["photos"]] == ["verify"]
    assert disputed["timeline"][-1]["reason"] == "现场无垃圾，绿地整洁"
    rejected = api(live_server, web_city.tokens["shift_lead"], "POST", f"/tickets/{untrue['id']}/actions/reject",
                   json={"reason": "核实不属实"})
    assert rejected["status"] == "rejected"
    context.close()


def test_a_worker_opens_their_closed_case_and_sees_the_after_photo(browser, live_server, web_city, tmp_path):
    lng, lat = cell_centre(COMMUNITY_A, 2)
    worker, photo = web_city.tokens["worker_a"], jpeg(tmp_path / "p.jpg")

    def act(user: str, tid: int, action: str, reason: str = "") -> dict:
        with open(photo, "rb") as f:
            return api(live_server, web_city.tokens[user], "POST", f"/tickets/{tid}/actions/{action}",
                       data={"reason": reason} if reason else {}, files=[("photos", ("p.jpg", f, "image/jpeg"))])

    report = {"lat": lat, "lng": lng, "category_code": "E0101", "description": "河边垃圾堆"}
    done = api(live_server, worker, "POST", "/reports", json=report)["ticket"]
    still_open = api(live_server, worker, "POST", "/reports", json={**report, "description": "桥下垃圾"})["ticket"]
    api(live_server, web_city.tokens["sanitation"], "POST", f"/tickets/{done['id']}/actions/accept", json={})
    act("sanitation", done["id"], "resolve", "已清运完毕")
    act("worker_a", done["id"], "check_pass")
    api(live_server, web_city.tokens["shift_lead"], "POST", f"/tickets/{done['id']}/actions/close", json={})

    context, page = open_page(browser, live_server, lng, lat, size=(360, 740))
    page.click(".tabbar button[data-tab=mine]")
    page.wait_for_selector(f"#tab-mine .item[data-id='{still_open['id']}'] .light.green")
    row = page.wait_for_selector(f"#tab-mine .item[data-id='{done['id']}']:has(.status[data-status=closed])")
    assert row.get_attribute("tabindex") == "0"
    row.focus()  # reachable and opened with the keyboard
    page.keyboard.press("Enter")
    case = page.wait_for_selector(f".case-page[data-id='{done['id']}']")
    assert page.url.endswith(f"/m/#case-{done['id']}")
    text = case.inner_text()
    assert done["case_number"] in text and "已结案" in text
    assert "区环卫所" in text and "SANITATION" not in text
    assert "已清运完毕" in page.inner_text(".case-reply")
    after = page.locator(".case-photo[data-stage=resolve] figcaption").inner_text()
    assert "处置后" in after and "处置反馈" in after and "sanitation" in after
    assert page.locator(".case-photo[data-stage=check]").count() == 1
    # the after-photo itself arrives (a broken image would stay at width 0)
    page.wait_for_function("() => document.querySelector('.case-photo[data-stage=resolve] img').naturalWidth > 0",
                           timeout=10_000)
    assert [a for a in page.locator(".timeline li").evaluate_all("els => els.map(e => e.dataset.action)")] == [
        "report", "register", "dispatch", "accept", "resolve", "check_pass", "close"]
    shot(page, "mobile-case")
    page.evaluate("document.querySelector('.case-photo-groups').scrollIntoView()")
    shot(page, "mobile-case-photos")
    page.click("button.lang-switch")
    page.wait_for_selector(".case-page .case-reply:has-text('Department')")
    assert "Sanitation Office" in page.inner_text(".case-page")
    assert "After" in page.locator(".case-photo[data-stage=resolve] figcaption").inner_text()
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "mobile-case-en")
    # the phone's Back goes from the case to the list and from a tab to the one before, never out of the page
    page.go_back()
    page.wait_for_selector(f"#tab-mine .item[data-id='{done['id']}']")
    assert page.url.endswith("/m/#mine")
    page.click(f"#tab-mine .item[data-id='{still_open['id']}']")
    page.wait_for_selector(f".case-page[data-id='{still_open['id']}']")
    page.reload()  # the address keeps the case open
    page.wait_for_selector(f".case-page[data-id='{still_open['id']}']")
    page.click(".case-page [data-back]")  # the page's own back button is the browser's Back: no extra entry
    page.wait_for_selector(f"#tab-mine .item[data-id='{done['id']}']")
    page.click(".tabbar button[data-tab=tasks]")
    page.wait_for_selector("#tab-tasks:not([hidden])")
    assert page.url.endswith("/m/#tasks")
    page.go_back()
    page.wait_for_selector(f"#tab-mine:not([hidden]) .item[data-id='{done['id']}']")
    page.go_back()
    page.wait_for_selector("#tab-report:not([hidden])")
    assert page.url == f"{live_server.url}/m/"
    context.close()
