"""The department workbench in a real browser: the queue, accept, resolve with an after-photo."""

from __future__ import annotations

import io

from PIL import Image

from tests.e2e.conftest import api, first_answer_late, shot, sign_in
from tests.support.city import COMMUNITY_A, COMMUNITY_B, cell_centre
from tests.support.server import wait_until


def jpeg(path) -> str:  # noqa: ANN001
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 160, 90)).save(buf, "JPEG")
    path.write_bytes(buf.getvalue())
    return str(path)




def test_queue_accept_and_resolve_with_photo(browser, live_server, web_city, tmp_path):
    lng, lat = cell_centre(COMMUNITY_A, 2)
    case = api(live_server, web_city.tokens["worker_a"], "POST", "/reports",
               json={"lat": lat, "lng": lng, "category_code": "E0101", "description": "桥下暴露垃圾"})["ticket"]
    assert case["department_code"] == "SANITATION"
    context, page = sign_in(browser, live_server, "sanitation", viewport={"width": 1366, "height": 800})
    row = page.wait_for_selector(f".row[data-id='{case['id']}']")
    assert case["case_number"] in row.inner_text() and "剩余" in row.inner_text()
    shot(page, "desk-queue")
    row.click()
    page.wait_for_selector(f"#detail h2:has-text('{case['case_number']}')")
    stored = api(live_server, web_city.tokens["sanitation"], "GET", f"/tickets/{case['id']}")
    assert f"{stored['lng']:.6f}, {stored['lat']:.6f}" in page.inner_text("#detail")  # lng, lat as on the map
    page.click("#actions button[data-action=accept]")
    page.wait_for_selector("#actions button[data-action=resolve]")
    page.click("#actions button[data-action=resolve]")
    page.fill("[data-form=resolve] textarea[name=reason]", "已清运完毕")
    page.set_input_files("[data-form=resolve] input[name=photos]", jpeg(tmp_path / "after.jpg"))
    # the language switched there and back: the form is drawn in each language with the note and the photo in it
    page.click("button.lang-switch")
    page.wait_for_selector("#detail h3:has-text('Timeline')")
    page.wait_for_selector("[data-form=resolve] h3:text-is('Resolve')")
    assert page.input_value("[data-form=resolve] textarea[name=reason]") == "已清运完毕"
    assert page.locator("[data-form=resolve] .picked .pick").count() == 1
    page.click("button.lang-switch")
    page.wait_for_selector("[data-form=resolve] h3:text-is('处置反馈')")
    assert page.input_value("[data-form=resolve] textarea[name=reason]") == "已清运完毕"
    page.click("[data-form=resolve] [data-go]")
    page.wait_for_selector(".status-line .badge:has-text('待核查')")
    shot(page, "desk-resolved")
    detail = api(live_server, web_city.tokens["dispatcher"], "GET", f"/tickets/{case['id']}")
    assert detail["status"] == "resolved"
    assert [p["stage"] for p in detail["photos"]] == ["resolve"]
    assert [e["action"] for e in detail["timeline"]][-2:] == ["accept", "resolve"]
    context.close()


def test_new_case_arrives_without_reload_and_works_on_a_phone(browser, live_server, web_city):
    context, page = sign_in(browser, live_server, "sanitation", viewport={"width": 390, "height": 844},
                            is_mobile=True, has_touch=True)
    page.wait_for_selector("#list")
    lng, lat = cell_centre(COMMUNITY_A, 3)
    case = api(live_server, web_city.tokens["worker_a"], "POST", "/reports",
               json={"lat": lat, "lng": lng, "category_code": "E0102", "description": "道路不洁"})["ticket"]
    page.wait_for_selector(f".row[data-id='{case['id']}']", timeout=10_000)
    page.wait_for_selector("#live:has-text('实时')")
    page.click("button.lang-switch")
    page.wait_for_selector(".tabs button:has-text('To do')")
    page.wait_for_selector("#live:has-text('Live')")  # the live word follows the language too
    shot(page, "desk-phone-en")
    context.close()


def test_a_case_changing_under_an_open_form_keeps_what_was_typed(browser, live_server, web_city):
    """The supervisor urges the case while the department is writing an extension request: the live update
    does not wipe the form, confirming tells them the case changed and loads it, and confirming again
    goes through with everything they typed."""
    lng, lat = cell_centre(COMMUNITY_A, 4)
    case = api(live_server, web_city.tokens["worker_a"], "POST", "/reports",
               json={"lat": lat, "lng": lng, "category_code": "E0101", "description": "绿地内堆放垃圾"})["ticket"]
    api(live_server, web_city.tokens["sanitation"], "POST", f"/tickets/{case['id']}/actions/accept", json={})
    context, page = sign_in(browser, live_server, "sanitation", viewport={"width": 1366, "height": 800})
    page.click(f".row[data-id='{case['id']}']")
    page.click("#actions button[data-action=request_extension]")
    page.fill("[data-form=request_extension] textarea[name=reason]", "需协调园林部门共同清运")
    for hours in ("0", ""):  # what is wrong, said as such (not 填写的内容有误)
        page.fill("[data-form=request_extension] input[name=hours]", hours)
        page.eval_on_selector("[data-form=request_extension] .error", "e => { e.textContent = ''; }")
        page.click("[data-form=request_extension] [data-go]")
        page.wait_for_selector("[data-form=request_extension] .error:text-is("
                               "'延期时长须大于 0 且不超过 720 个工作小时')")
    page.fill("[data-form=request_extension] input[name=hours]", "16")
    api(live_server, web_city.tokens["supervisor"], "POST", f"/tickets/{case['id']}/actions/urge",
        json={"reason": "请今日内处理"})
    page.wait_for_timeout(1500)  # the live event arrives and is handled while the form is open
    assert page.input_value("[data-form=request_extension] textarea[name=reason]") == "需协调园林部门共同清运"
    page.click("[data-form=request_extension] [data-go]")
    page.wait_for_selector("[data-form=request_extension] .error:has-text('刚被他人更新')")
    assert page.input_value("[data-form=request_extension] input[name=hours]") == "16"
    page.click("[data-form=request_extension] [data-go]")
    page.wait_for_selector(".status-line .badge:has-text('延期申请')")
    detail = api(live_server, web_city.tokens["dispatcher"], "GET", f"/tickets/{case['id']}")
    assert detail["status"] == "extension_requested"
    last = detail["timeline"][-1]
    assert last["action"] == "request_extension" and last["reason"] == "需协调园林部门共同清运"
    assert last["payload"]["hours"] == 16
    context.close()


def test_an_sla_warning_shows_on_the_workbench_and_is_marked_read(browser, live_server, web_city):
    """A 4-second natural-time limit: the scheduler in the real server fires the yellow warning, the
    department's workbench shows it as it arrives, and "got it" marks it read on the server."""
    admin = web_city.tokens["admin"]
    api(live_server, admin, "PUT", "/sla-policies", json={
        "stage": "handle", "category": "E0103", "limit_hours": 4 / 3600, "basis": "natural",
        "ladder": {"overdue_every_hours": 0}})
    context, page = sign_in(browser, live_server, "sanitation", viewport={"width": 1366, "height": 800})
    page.wait_for_selector("#live:has-text('实时')")
    lng, lat = cell_centre(COMMUNITY_A, 5)
    case = api(live_server, web_city.tokens["worker_a"], "POST", "/reports",
               json={"lat": lat, "lng": lng, "category_code": "E0103", "description": "绿地垃圾"})["ticket"]
    assert case["department_code"] == "SANITATION"
    card = page.wait_for_selector(f".notification:has-text('{case['case_number']}')", timeout=15_000)
    assert "黄灯预警" in card.inner_text()
    shot(page, "desk-notification")
    card.query_selector("[data-read]").click()
    page.wait_for_selector(f".notification:has-text('{case['case_number']}')", state="detached")
    mine = api(live_server, web_city.tokens["sanitation"], "GET", "/notifications")["items"]
    yellow = [n for n in mine if n["ticket_id"] == case["id"] and n["level"] == 1]
    assert len(yellow) == 1

    def read() -> bool:
        items = api(live_server, web_city.tokens["sanitation"], "GET", "/notifications")["items"]
        return next(n for n in items if n["id"] == yellow[0]["id"])["read_at"] is not None

    assert wait_until(read, timeout=5)
    context.close()


def report(server, city, k: int, description: str, category: str = "E0101") -> dict:  # noqa: ANN001
    lng, lat = cell_centre(COMMUNITY_A, k)
    return api(server, city.tokens["worker_a"], "POST", "/reports",
               json={"lat": lat, "lng": lng, "category_code": category, "description": description})["ticket"]


def resolve(server, city, tid: int, tmp_path) -> dict:  # noqa: ANN001
    """Accept and resolve with an after-photo, as the department would."""
    api(server, city.tokens["sanitation"], "POST", f"/tickets/{tid}/actions/accept", json={})
    with open(jpeg(tmp_path / f"after-{tid}.jpg"), "rb") as f:
        return api(server, city.tokens["sanitation"], "POST", f"/tickets/{tid}/actions/resolve",
                   data={"reason": "已清运"}, files=[("photos", ("after.jpg", f.read(), "image/jpeg"))])


def box(page, selector: str) -> dict:  # noqa: ANN001
    return page.eval_on_selector(selector, "e => { const r = e.getBoundingClientRect(); "
                                           "return {x: r.x, y: r.y, w: r.width, h: r.height}; }")


def test_the_resolve_form_requires_an_after_photo_and_says_why(browser, live_server, web_city, tmp_path):
    case = report(live_server, web_city, 6, "人行道暴露垃圾")
    api(live_server, web_city.tokens["sanitation"], "POST", f"/tickets/{case['id']}/actions/accept", json={})
    context, page = sign_in(browser, live_server, "sanitation", viewport={"width": 1366, "height": 768})
    page.click(f".row[data-id='{case['id']}']")
    page.click("#actions button[data-action=resolve]")
    form = page.wait_for_selector("[data-form=resolve]")
    assert "（必填）" in form.inner_text() and "须上传处置后照片" in form.inner_text()
    assert page.get_attribute("[data-form=resolve] input[name=photos]", "required") is not None
    page.fill("[data-form=resolve] textarea[name=reason]", "已清运完毕")
    page.click("[data-form=resolve] [data-go]")
    page.wait_for_selector("[data-form=resolve] .error:has-text('请至少上传一张处置后照片')")
    assert api(live_server, web_city.tokens["sanitation"], "GET", f"/tickets/{case['id']}")["status"] == "accepted"
    page.set_input_files("[data-form=resolve] input[name=photos]", [jpeg(tmp_path / "a.jpg"), jpeg(tmp_path / "b.jpg")])
    page.wait_for_selector("[data-form=resolve] .pick >> nth=1")
    remove = box(page, "[data-form=resolve] .pick .remove")
    assert remove["w"] >= 44 and remove["h"] >= 44
    page.click("[data-form=resolve] .pick .remove")
    assert page.locator("[data-form=resolve] .pick").count() == 1
    shot(page, "desk-resolve-form")
    page.click("[data-form=resolve] [data-go]")
    page.wait_for_selector(".status-line .badge:has-text('待核查')")
    detail = api(live_server, web_city.tokens["sanitation"], "GET", f"/tickets/{case['id']}")
    assert [p["stage"] for p in detail["photos"]] == ["resolve"]


def test_the_queue_puts_what_to_accept_first_and_rows_open_from_the_keyboard(browser, live_server, web_city,
                                                                               tmp_path):
    waiting = report(live_server, web_city, 1, "待核查的案件")
    resolve(live_server, web_city, waiting["id"], tmp_path)
    in_hand = report(live_server, web_city, 2, "处置中的案件")
    api(live_server, web_city.tokens["sanitation"], "POST", f"/tickets/{in_hand['id']}/actions/accept", json={})
    to_accept = report(live_server, web_city, 3, "待签收的案件")
    api(live_server, web_city.tokens["admin"], "PATCH", "/users/sanitation", json={"display_name": "环卫所王工"})
    context, page = sign_in(browser, live_server, "sanitation", viewport={"width": 1366, "height": 768})
    page.wait_for_selector(".row")
    order = page.eval_on_selector_all(".row", "rows => rows.map(r => Number(r.dataset.id))")
    assert order == [to_accept["id"], in_hand["id"], waiting["id"]]
    for _ in range(30):  # from the top of the page, Tab reaches the first case (past the search and filters)
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('row')"):
            break
    assert page.evaluate("Number(document.activeElement.dataset.id)") == to_accept["id"]
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#detail h2:has-text('{in_hand['case_number']}')")
    assert page.evaluate("Number(document.activeElement.dataset.id)") == in_hand["id"]  # focus stays on the row
    timeline = page.inner_text("#detail .timeline >> nth=1")
    assert "环卫所王工（处置部门）" in timeline and "sanitation" not in timeline
    for button in ("#logout", "button.lang-switch"):
        size = box(page, button)
        assert size["w"] >= 44 and size["h"] >= 44, button
    shot(page, "desk-queue-keyboard")


def test_the_closed_tab_shows_its_own_cases_cleanly(browser, live_server, web_city, tmp_path):
    closed = report(live_server, web_city, 4, "已结案的案件")
    resolve(live_server, web_city, closed["id"], tmp_path)
    api(live_server, web_city.tokens["worker_a"], "POST", f"/tickets/{closed['id']}/actions/check_pass", json={})
    api(live_server, web_city.tokens["shift_lead"], "POST", f"/tickets/{closed['id']}/actions/close", json={})
    open_case = report(live_server, web_city, 5, "待签收的案件")
    context, page = sign_in(browser, live_server, "sanitation", viewport={"width": 360, "height": 740},
                            is_mobile=True, has_touch=True)
    number = box(page, f".row[data-id='{open_case['id']}'] .case")
    assert number["h"] < 30, number  # a case number on one line, never cut in two
    assert page.is_hidden("#keys")  # no keyboard shortcuts on a phone
    page.click(f".row[data-id='{open_case['id']}']")
    page.wait_for_selector(f"#detail h2:has-text('{open_case['case_number']}')")
    # the case is below the whole list: it is brought into view, and a button leads back to the list
    page.wait_for_function("() => Math.abs(document.querySelector('#detail').getBoundingClientRect().top) < 2")
    page.click("#detail [data-back]")
    page.wait_for_function("id => { const r = document.querySelector(`.row[data-id='${id}']`).getBoundingClientRect();"
                           " return r.top >= 0 && r.bottom <= innerHeight; }", arg=open_case["id"])
    page.click(".tabs button[data-tab=history]")
    row = page.wait_for_selector(f".row[data-id='{closed['id']}']")
    assert open_case["case_number"] not in page.inner_text("#detail")
    assert "从列表中选择案件" in page.inner_text("#detail")
    badge, line = box(page, f".row[data-id='{closed['id']}'] .badge"), box(page, f".row[data-id='{closed['id']}']")
    assert badge["x"] + badge["w"] <= line["x"] + line["w"] and badge["h"] < 30  # one line, inside its row
    assert "按时" in row.inner_text()
    assert page.is_hidden("#filters select[name=category]")  # on a phone the filters fold away above the list
    shot(page, "desk-closed-phone")
    page.click("#filter-box summary")
    assert page.is_visible("#filters select[name=category]")
    row.click()
    page.wait_for_selector(f"#detail h2:has-text('{closed['case_number']}')")


def rows(page) -> list[int]:  # noqa: ANN001
    return page.eval_on_selector_all("#list .row", "rows => rows.map(r => Number(r.dataset.id))")


def filter_to(page, name: str, value: str, expected: list[int]) -> None:  # noqa: ANN001
    page.select_option(f"#filters select[name={name}]", value)
    page.wait_for_function("ids => JSON.stringify([...document.querySelectorAll('#list .row')]"
                           ".map(r => Number(r.dataset.id)).sort((a, b) => a - b)) === JSON.stringify(ids)",
                           arg=sorted(expected))


def test_filters_narrow_the_queue(browser, live_server, web_city):
    plain = report(live_server, web_city, 1, "暴露垃圾")
    street = report(live_server, web_city, 2, "道路不洁", category="E0102")
    lng, lat = cell_centre(COMMUNITY_B, 1)
    other = api(live_server, web_city.tokens["worker_b"], "POST", "/reports",
                json={"lat": lat, "lng": lng, "category_code": "E0101", "description": "另一社区的垃圾",
                      "urgency": "urgent"})["ticket"]
    api(live_server, web_city.tokens["sanitation"], "POST", f"/tickets/{plain['id']}/actions/accept", json={})
    context, page = sign_in(browser, live_server, "sanitation", viewport={"width": 1366, "height": 768})
    page.wait_for_selector(f".row[data-id='{other['id']}']")
    assert sorted(rows(page)) == sorted([plain["id"], street["id"], other["id"]])
    filter_to(page, "category", "E0102", [street["id"]])
    filter_to(page, "category", "", [plain["id"], street["id"], other["id"]])
    filter_to(page, "area", COMMUNITY_B, [other["id"]])
    filter_to(page, "area", "", [plain["id"], street["id"], other["id"]])
    filter_to(page, "urgency", "urgent", [other["id"]])
    filter_to(page, "urgency", "", [plain["id"], street["id"], other["id"]])
    filter_to(page, "status", "accepted", [plain["id"]])
    filter_to(page, "category", "E0101", [plain["id"]])  # filters add up
    filter_to(page, "status", "", [plain["id"], other["id"]])
    assert page.inner_text("#filter-box summary") == "筛选（已选 1 项）"
    shot(page, "desk-filters")
    filter_to(page, "category", "", [plain["id"], street["id"], other["id"]])
    filter_to(page, "light", "red", [])
    assert "没有符合筛选条件的案件" in page.inner_text("#list")  # not "nothing to do": there is, filtered out


def test_several_cases_accepted_at_once_each_on_record(browser, live_server, web_city):
    cases = [report(live_server, web_city, k, f"垃圾 {k}") for k in (1, 2, 3)]
    context, page = sign_in(browser, live_server, "sanitation", viewport={"width": 1366, "height": 768})
    for case in cases:
        page.check(f"[data-pick='{case['id']}']")
    # meanwhile a colleague accepts the second one
    api(live_server, web_city.tokens["sanitation_chief"], "POST", f"/tickets/{cases[1]['id']}/actions/accept", json={})
    page.wait_for_selector(f".row[data-id='{cases[1]['id']}']:has-text('处置中')")
    page.click("#accept-picked:has-text('签收所选（3 件）')")
    results = page.wait_for_selector(".bulk-results")
    text = results.inner_text()
    assert f"{cases[0]['case_number']} · 已签收" in text and f"{cases[2]['case_number']} · 已签收" in text
    assert f"{cases[1]['case_number']} · 未签收：案件当前为“处置中”" in text
    shot(page, "desk-bulk-accept")
    for case, who in zip(cases, ["sanitation", "sanitation_chief", "sanitation"], strict=True):
        detail = api(live_server, web_city.tokens["dispatcher"], "GET", f"/tickets/{case['id']}")
        accepts = [e["actor"] for e in detail["timeline"] if e["action"] == "accept"]
        assert detail["status"] == "accepted" and accepts == [who]


def test_keyboard_shortcuts_move_accept_and_open_the_resolve_form(browser, live_server, web_city):
    first, second = report(live_server, web_city, 1, "垃圾一"), report(live_server, web_city, 2, "垃圾二")
    context, page = sign_in(browser, live_server, "sanitation", viewport={"width": 1366, "height": 768})
    page.wait_for_selector(f".row[data-id='{second['id']}']")
    assert "a 签收" in page.inner_text("#keys") and "r 处置反馈" in page.inner_text("#keys")
    by_id = {first["id"]: first, second["id"]: second}
    top, below = (by_id[i] for i in rows(page))
    # the first case clicked answers slowly: the second, clicked last, is the one shown and acted on
    first_answer_late(page, top["id"], f".row[data-id='{top['id']}']", f".row[data-id='{below['id']}']",
                      f"#detail h2:has-text('{below['case_number']}')")
    assert page.inner_text("#detail h2") == below["case_number"]
    assert page.get_attribute(f".row[data-id='{below['id']}']", "aria-current") == "true"
    page.keyboard.press("k")
    page.wait_for_selector(f"#detail h2:has-text('{top['case_number']}')")
    page.keyboard.press("j")
    page.wait_for_selector(f"#detail h2:has-text('{below['case_number']}')")
    page.keyboard.press("k")
    page.wait_for_selector(f"#detail h2:has-text('{top['case_number']}')")
    page.keyboard.press("a")
    page.wait_for_selector(".status-line .badge:has-text('处置中')")
    page.keyboard.press("r")
    page.wait_for_selector("[data-form=resolve]")
    page.keyboard.type("ar")  # typed into the note, not taken as shortcuts
    assert page.input_value("[data-form=resolve] textarea[name=reason]") == "ar"
    # out of the field, j and k do not throw what was typed away; a click on another case asks first
    page.click("#detail h2")
    page.keyboard.press("j")
    page.keyboard.press("k")
    page.wait_for_timeout(300)
    assert page.input_value("[data-form=resolve] textarea[name=reason]") == "ar"
    page.click(f".row[data-id='{below['id']}']")
    page.click("[data-form=resolve] .discard [data-keep]")
    assert page.input_value("[data-form=resolve] textarea[name=reason]") == "ar"
    assert page.inner_text("#detail h2") == top["case_number"]
    page.click(".tabs button[data-tab=history]")  # another tab asks too
    page.click("[data-form=resolve] .discard [data-keep]")
    assert page.input_value("[data-form=resolve] textarea[name=reason]") == "ar"
    assert page.get_attribute(".tabs button.on", "data-tab") == "queue"
    page.click(f".row[data-id='{below['id']}']")
    page.click("[data-form=resolve] .discard [data-discard]")
    page.wait_for_selector(f"#detail h2:has-text('{below['case_number']}')")
    page.click("#actions button[data-action=request_return]")
    page.fill("[data-form=request_return] textarea[name=reason]", "不属本部门")
    page.click(".tabs button[data-tab=history]")
    page.click("[data-form=request_return] .discard [data-discard]")
    page.wait_for_selector(".tabs button.on[data-tab=history]")
    page.wait_for_selector("#detail:has-text('从列表中选择案件')")
    assert api(live_server, web_city.tokens["sanitation"], "GET", f"/tickets/{top['id']}")["status"] == "accepted"
    assert api(live_server, web_city.tokens["sanitation"], "GET", f"/tickets/{below['id']}")["status"] == "dispatched"


def test_the_reporters_photos_beside_the_form_and_a_map_of_the_cell(browser, live_server, web_city, tmp_path):
    api(live_server, web_city.tokens["admin"], "PATCH", "/users/worker_a", json={"display_name": "网格员张三"})
    lng, lat = cell_centre(COMMUNITY_A, 2)
    with open(jpeg(tmp_path / "before.jpg"), "rb") as f:
        case = api(live_server, web_city.tokens["worker_a"], "POST", "/reports",
                   files=[("photos", ("before.jpg", f.read(), "image/jpeg"))],
                   data={"lat": str(lat), "lng": str(lng), "category_code": "E0101", "description": "桥下暴露垃圾"})
    case = case["ticket"]
    context, page = sign_in(browser, live_server, "sanitation", viewport={"width": 1366, "height": 768})
    page.click(f".row[data-id='{case['id']}']")
    page.click("#actions button[data-action=accept]")
    page.click("#actions button[data-action=resolve]")
    caption = page.inner_text(".gallery figure figcaption")
    assert "上报（处置前）" in caption and "网格员张三（网格员）" in caption
    form, photos = box(page, "[data-form=resolve]"), box(page, ".gallery")
    assert photos["x"] >= form["x"] + form["w"] and photos["y"] < form["y"] + form["h"]  # beside it
    minimap = page.wait_for_selector("#minimap[data-ready=true]", timeout=15_000)
    assert minimap.get_attribute("data-cell") == case["cell_code"] and page.query_selector("#minimap canvas")
    shot(page, "desk-photos-map")
    page.set_viewport_size({"width": 360, "height": 740})  # a phone: the photos and the map follow the form
    assert page.is_hidden("#keys")  # a narrow window, even with a mouse: no keyboard hint taking room
    form, photos = box(page, "[data-form=resolve]"), box(page, ".gallery")
    assert photos["y"] >= form["y"] + form["h"] and photos["x"] + photos["w"] <= 360
    page.eval_on_selector(".case-side", "e => e.scrollIntoView()")
    shot(page, "desk-photos-map-phone")


def test_search_by_the_last_digits_jumps_to_the_case_and_a_cell_name_narrows_the_list(browser, live_server, web_city):
    here = report(live_server, web_city, 1, "垃圾桶满溢")
    lng, lat = cell_centre(COMMUNITY_B, 2)
    there = api(live_server, web_city.tokens["worker_b"], "POST", "/reports",
                json={"lat": lat, "lng": lng, "category_code": "E0101", "description": "路边垃圾"})["ticket"]
    context, page = sign_in(browser, live_server, "sanitation", viewport={"width": 1366, "height": 768})
    page.wait_for_selector(f".row[data-id='{there['id']}']")
    page.fill("#search input[name=q]", here["case_number"][-4:])
    page.press("#search input[name=q]", "Enter")
    page.wait_for_selector(f"#detail h2:has-text('{here['case_number']}')")
    assert rows(page) == [here["id"]]
    page.fill("#search input[name=q]", "网格002-2")
    page.click("#search button[type=submit]")
    page.wait_for_function("id => [...document.querySelectorAll('#list .row')].map(r => Number(r.dataset.id))"
                           ".join() === String(id)", arg=there["id"])
    page.fill("#search input[name=q]", "福州路")  # nothing found is said as such, not as an empty queue
    page.press("#search input[name=q]", "Enter")
    page.wait_for_selector("#list:has-text('没有找到与“福州路”相关的案件')")
    page.fill("#search input[name=q]", "")
    page.press("#search input[name=q]", "Enter")
    page.wait_for_selector(f".row[data-id='{here['id']}']")
    assert sorted(rows(page)) == sorted([here["id"], there["id"]])
