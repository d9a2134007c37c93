"""The control-room map in a real browser: live arrivals without reloading, dispatching a case that no
rule routed, filters narrowing list and map, the English switch, and a city with more open cases than one
answer lists (area counts, the cases in view)."""

from __future__ import annotations

import re

import httpx

from tests.e2e.conftest import ARTIFACTS, api, first_answer_late, shot, sign_in
from tests.support.city import COMMUNITY_A, COMMUNITY_B, cell_centre, cell_code
from tests.support.server import Server
from tests.web.test_bad_input import jpeg

WALL = {"width": 1600, "height": 900}




def report(server, city, worker: str, community: str, k: int, category: str, text: str) -> dict:  # noqa: ANN001
    lng, lat = cell_centre(community, k)
    return api(server, city.tokens[worker], "POST", "/reports",
               json={"lat": lat, "lng": lng, "category_code": category, "description": text})["ticket"]


def list_shows(page, ids: list[int]) -> None:  # noqa: ANN001
    """Wait until the live list holds exactly these cases (worst first, then by id for equal lights)."""
    page.wait_for_function("ids => JSON.stringify([...document.querySelectorAll('#list .row')]"
                           ".map(r => Number(r.dataset.id)).sort((a, b) => a - b)) === JSON.stringify(ids)",
                           arg=sorted(ids), timeout=5_000)


def open_map(browser, server):  # noqa: ANN001, ANN201
    context, page = sign_in(browser, server, "dispatcher", viewport=WALL)
    assert page.url.endswith("/map")
    page.wait_for_selector("#map[data-ready='1']", timeout=30_000)
    page.wait_for_selector("#live[data-state='online']")
    return context, page


def test_a_new_case_appears_and_the_counters_follow_without_reloading(browser, live_server, web_city):
    first = report(live_server, web_city, "worker_a", COMMUNITY_A, 1, "E0101", "桥下暴露垃圾")
    context, page = open_map(browser, live_server)
    page.wait_for_selector(f".row[data-id='{first['id']}']")
    assert page.get_attribute("#map", "data-markers") == "1"
    page.wait_for_selector("[data-counter=open] b:text-is('1')")
    page.evaluate("window.__notReloaded = true")

    case = report(live_server, web_city, "worker_b", COMMUNITY_B, 2, "C0101", "井盖缺失")
    row = page.wait_for_selector(f".row[data-id='{case['id']}']", timeout=5_000)
    assert case["case_number"] in row.inner_text()
    page.wait_for_selector("#map[data-markers='2']")
    page.wait_for_selector("[data-counter=open] b:text-is('2')")
    assert page.evaluate("window.__notReloaded") is True
    shot(page, "map-live")

    # a change by someone else recolours in place: the department accepts, the row says so
    api(live_server, web_city.tokens["water"], "POST", f"/tickets/{case['id']}/actions/accept", json={})
    page.wait_for_selector(f".row[data-id='{case['id']}'] .row-sub:has-text('处置中')", timeout=5_000)

    # the department asks for more time; hours the server would refuse are said as such before sending
    api(live_server, web_city.tokens["water"], "POST", f"/tickets/{case['id']}/actions/request_extension",
        json={"reason": "需调配井盖", "payload": {"hours": 16}})
    page.wait_for_selector(f".row[data-id='{case['id']}'] .row-sub:has-text('延期申请')", timeout=5_000)
    page.click(f".row[data-id='{case['id']}']")
    page.click("#actions button[data-action=approve_extension]")
    assert page.input_value("[data-form=approve_extension] input[name=hours]") == "16"  # what was asked for
    for hours in ("0", "", "721"):
        page.fill("[data-form=approve_extension] input[name=hours]", hours)
        page.eval_on_selector("[data-form=approve_extension] .error", "e => { e.textContent = ''; }")
        page.click("[data-form=approve_extension] [data-go]")
        page.wait_for_selector("[data-form=approve_extension] .error:text-is("
                               "'延期时长须大于 0 且不超过 720 个工作小时')")
    detail = api(live_server, web_city.tokens["dispatcher"], "GET", f"/tickets/{case['id']}")
    assert detail["status"] == "extension_requested"  # nothing was sent
    page.fill("[data-form=approve_extension] input[name=hours]", "24")
    page.click("[data-form=approve_extension] [data-go]")
    page.wait_for_selector(".chip.status[data-status=accepted]")
    last = api(live_server, web_city.tokens["dispatcher"], "GET", f"/tickets/{case['id']}")["timeline"][-1]
    assert last["action"] == "approve_extension" and last["payload"]["hours"] == 24
    context.close()


def test_dispatch_a_case_no_rule_routed_with_the_suggestion_preselected(browser, live_server, web_city):
    case = report(live_server, web_city, "worker_b", COMMUNITY_B, 3, "E0601", "楼道口堆放无主杂物")
    assert case["status"] == "registered" and case["department_code"] is None  # E06 has no rule in the city
    near = report(live_server, web_city, "worker_b", COMMUNITY_B, 2, "E0101", "暴露垃圾")
    context, page = open_map(browser, live_server)
    # the case clicked first answers slowly: the panel shows the one clicked last
    first_answer_late(page, case["id"], f".row[data-id='{case['id']}']", f".row[data-id='{near['id']}']",
                      f".panel-case[data-case='{near['case_number']}']")
    assert page.get_attribute(".panel-case", "data-case") == near["case_number"]
    page.click(f".row[data-id='{case['id']}']")
    page.wait_for_selector(f".panel-case[data-case='{case['case_number']}']")
    assert "registered" == page.get_attribute(".chip.status", "data-status")
    assert "尚无派遣决定" not in page.inner_text("#panel")  # the routing decision and its reason are shown
    page.click("#actions button[data-action=dispatch]")
    select = page.wait_for_selector("[data-form=dispatch] select[name=department_code]")
    assert select.input_value() == "STREET_OFFICE"  # the category's default department, suggested
    shot(page, "map-dispatch-form")
    # a click on another case does not throw away what was typed: the panel asks first
    page.fill("[data-form=dispatch] textarea[name=reason]", "请街道尽快清理")
    page.click(f".row[data-id='{near['id']}']")
    page.click("[data-form=dispatch] .discard [data-keep]")
    assert page.input_value("[data-form=dispatch] textarea[name=reason]") == "请街道尽快清理"
    assert page.get_attribute(".panel-case", "data-case") == case["case_number"]
    page.click(f".row[data-id='{near['id']}']")
    page.click("[data-form=dispatch] .discard [data-discard]")
    page.wait_for_selector(f".panel-case[data-case='{near['case_number']}']")
    page.click(f".row[data-id='{case['id']}']")
    page.wait_for_selector(f".panel-case[data-case='{case['case_number']}']")
    page.click("#actions button[data-action=dispatch]")
    page.click("[data-form=dispatch] [data-go]")
    page.wait_for_selector(".chip.status[data-status=dispatched]")
    page.wait_for_selector("dd[data-department=STREET_OFFICE]")
    shot(page, "map-dispatched")
    detail = api(live_server, web_city.tokens["dispatcher"], "GET", f"/tickets/{case['id']}")
    assert detail["status"] == "dispatched" and detail["department_code"] == "STREET_OFFICE"
    assert detail["timeline"][-1]["action"] == "dispatch" and detail["timeline"][-1]["actor"] == "dispatcher"
    context.close()


def test_filters_narrow_the_list_and_the_map(browser, live_server, web_city):
    rubbish = report(live_server, web_city, "worker_a", COMMUNITY_A, 1, "E0101", "暴露垃圾")
    cover = report(live_server, web_city, "worker_b", COMMUNITY_B, 1, "C0101", "井盖缺失")
    waiting = report(live_server, web_city, "worker_b", COMMUNITY_B, 2, "E0601", "无主杂物")
    context, page = open_map(browser, live_server)
    page.wait_for_selector("#map[data-markers='3']")
    list_shows(page, [rubbish["id"], cover["id"], waiting["id"]])

    page.select_option("select[data-filter=category]", "C")
    page.wait_for_selector("#map[data-markers='1']")
    list_shows(page, [cover["id"]])
    # a major class (issue 12: every major showed "undefined 其他事件" and matched nothing)
    labels = page.eval_on_selector_all("select[data-filter=category] option", "os => os.map(o => o.textContent)")
    assert "E01 市容环境" in labels and not any("undefined" in label for label in labels)
    page.select_option("select[data-filter=category]", "E01")
    page.wait_for_selector("#map[data-markers='1']")
    list_shows(page, [rubbish["id"]])

    page.select_option("select[data-filter=category]", "")
    page.select_option("select[data-filter=department]", "-")  # not dispatched yet
    page.wait_for_selector("#map[data-markers='1']")
    list_shows(page, [waiting["id"]])

    page.select_option("select[data-filter=department]", "")
    page.select_option("select[data-filter=area]", COMMUNITY_A)
    page.wait_for_selector("#map[data-markers='1']")
    list_shows(page, [rubbish["id"]])
    shot(page, "map-filtered")
    page.click("#reset-filters")
    page.wait_for_selector("#map[data-markers='3']")
    list_shows(page, [rubbish["id"], cover["id"], waiting["id"]])
    context.close()


def test_language_switch_shows_english(browser, live_server, web_city):
    report(live_server, web_city, "worker_b", COMMUNITY_B, 3, "E0601", "楼道口堆放无主杂物")  # to dispatch: no rule
    context, page = open_map(browser, live_server)
    assert "在办" in page.inner_text("#counters")
    page.click("button.lang-switch")
    page.wait_for_selector(".map-top .title:has-text('Control room')")
    page.wait_for_selector("#live:text-is('Live')")
    assert "Open" in page.inner_text("#counters") and "Overdue" in page.inner_text("#counters")
    assert "All open" in page.inner_text("#filters")
    page.click("#list .row")
    page.wait_for_selector("#panel h3:has-text('Timeline')")
    shot(page, "map-english")

    # a form being filled in: switching back to Chinese draws it in Chinese with what was typed in it
    page.click("#actions button[data-action=dispatch]")
    page.select_option("[data-form=dispatch] select[name=department_code]", "WATER")
    page.fill("[data-form=dispatch] textarea[name=reason]", "请尽快处理")
    page.click("button.lang-switch")
    page.wait_for_selector("#panel h3:has-text('处理过程')")
    page.wait_for_selector("[data-form=dispatch] h3:has-text('派遣')")
    assert page.input_value("[data-form=dispatch] textarea[name=reason]") == "请尽快处理"
    assert page.input_value("[data-form=dispatch] select[name=department_code]") == "WATER"
    # closing the panel over typed text asks first: 继续填写 keeps it, 放弃 closes
    page.click("#panel [data-close]")
    page.click("[data-form=dispatch] .discard:has-text('已填写的内容尚未提交，放弃吗？') [data-keep]")
    assert page.is_visible("#panel") and page.input_value("[data-form=dispatch] textarea[name=reason]") == "请尽快处理"
    page.click("#panel [data-close]")
    page.click("[data-form=dispatch] .discard [data-discard]")
    page.wait_for_selector("#panel", state="hidden")
    page.click("#list .row")  # an empty form closes without a question
    page.click("#actions button[data-action=dispatch]")
    page.click("#panel [data-close]")
    page.wait_for_selector("#panel", state="hidden")
    context.close()


CONTRAST = """el => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = (c) => { const [r, g, b] = rgb(c).map(lin); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const s = getComputedStyle(el);
  const [a, b] = [lum(s.color), lum(s.backgroundColor)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


def test_on_a_laptop_the_header_is_one_line_and_every_control_is_big_enough_and_reachable(browser, live_server,
                                                                                         web_city):
    """Issue 12: the header wrapped at 1366 px, the live badge had a contrast of 1.97:1, the language switch,
    logout and zoom were 36–40 px targets, and list rows could not be reached with the keyboard."""
    case = report(live_server, web_city, "worker_a", COMMUNITY_A, 1, "E0101", "暴露垃圾")
    context, page = sign_in(browser, live_server, "dispatcher", viewport={"width": 1366, "height": 768})
    page.wait_for_selector("#map[data-ready='1']", timeout=30_000)
    page.wait_for_selector("#live[data-state='online']")
    tops = page.eval_on_selector_all(".map-top > *", "els => els.map(e => Math.round(e.getBoundingClientRect().top))")
    assert max(tops) - min(tops) <= 12, tops  # one line
    sizes = page.eval_on_selector_all(".map-top button, .maplibregl-ctrl-group button",
                                      "els => els.map(e => [e.id || e.className, e.offsetWidth, e.offsetHeight])")
    small = [s for s in sizes if s[1] < 44 or s[2] < 44]
    assert len(sizes) >= 6 and not small, small
    assert page.eval_on_selector("#live", CONTRAST) >= 4.5
    page.focus(f"#list .row[data-id='{case['id']}']")
    page.keyboard.press("Enter")
    page.wait_for_selector("#panel:not([hidden])")
    assert case["case_number"] in page.inner_text("#panel")
    shot(page, "map-laptop")
    context.close()


def test_more_cases_than_the_limit_shows_area_counts_then_the_cases_in_view(browser, web_city, database_url,
                                                                             tmp_path):
    """GRIDOPS_MAP_CASE_LIMIT=3 and four open cases: the page is in large mode."""
    server = Server(database_url, tmp_path / "media", GRIDOPS_MAP_CASE_LIMIT="3").start()
    try:
        report(server, web_city, "worker_a", COMMUNITY_A, 1, "E0101", "暴露垃圾")
        report(server, web_city, "worker_a", COMMUNITY_A, 1, "E0102", "道路不洁")
        report(server, web_city, "worker_a", COMMUNITY_A, 2, "E0601", "楼道杂物")
        waiting = report(server, web_city, "worker_b", COMMUNITY_B, 2, "E0601", "无主杂物")
        context, page = open_map(browser, server)
        # too many in view: each cell says how many open cases it holds, the list asks to zoom in
        page.wait_for_selector(f".area-count[data-code='{cell_code(COMMUNITY_A, 1)}']:text-is('2')")
        page.wait_for_selector(f".area-count[data-code='{cell_code(COMMUNITY_B, 2)}']:text-is('1')")
        page.wait_for_selector("#list [data-too-many='4']")
        assert page.get_attribute("#map", "data-markers") == "0"
        shot(page, "map-large-counts")

        # zoomed in on community B (about 300 m across): the case in view, as a marker and in the list
        page.evaluate("c => window.__gridopsMap.jumpTo({ center: c, zoom: 18 })", list(cell_centre(COMMUNITY_B, 2)))
        list_shows(page, [waiting["id"]])
        page.wait_for_selector("#map[data-markers='1']")
        page.wait_for_selector(".area-count", state="detached")

        # a new report in view appears live
        cover = report(server, web_city, "worker_b", COMMUNITY_B, 3, "C0101", "井盖缺失")
        list_shows(page, [waiting["id"], cover["id"]])
        page.wait_for_selector("#map[data-markers='2']")
        shot(page, "map-large-zoomed")
        context.close()
    finally:
        server.stop()


def pdf_pages(page) -> int:  # noqa: ANN001
    """How many A4 pages the browser prints the page on (the PDF is kept with the screenshots)."""
    pdf = page.pdf(format="A4", print_background=True)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "case-sheet.pdf").write_bytes(pdf)
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def test_a_case_prints_as_an_a4_case_sheet_on_one_page_then_continues_cleanly(browser, live_server, web_city):
    """Issue 12: any case prints as a 案卷处理单; with 20 acts and 4 photos it fits one A4 page, and a longer one
    continues on the next page (no row of the timeline cut in two)."""
    lng, lat = cell_centre(COMMUNITY_A, 3)
    token = web_city.tokens["worker_a"]
    r = httpx.post(f"{live_server.url}/api/v1/reports", headers={"Authorization": f"Bearer {token}"}, timeout=20,
                   data={"lat": str(lat), "lng": str(lng), "category_code": "E0101", "description": "桥下暴露垃圾一堆"},
                   files=[("photos", (f"p{i}.jpg", jpeg((640, 480)), "image/jpeg")) for i in range(4)])
    assert r.status_code == 201, r.text
    case = r.json()["ticket"]
    dispatcher = web_city.tokens["dispatcher"]
    acts = len(api(live_server, dispatcher, "GET", f"/tickets/{case['id']}")["timeline"])
    comment = f"/tickets/{case['id']}/actions/comment"
    for i in range(20 - acts):
        api(live_server, dispatcher, "POST", comment, json={"reason": f"跟进记录 {i + 1}"})

    context, page = open_map(browser, live_server)
    page.click(f".row[data-id='{case['id']}']")
    with context.expect_page() as opened:
        page.click("#panel .panel-sheet")
    sheet = opened.value
    sheet.wait_for_selector("#sheet[data-ready='1']", timeout=15_000)
    text = sheet.inner_text("#sheet")
    assert "案卷处理单" in text and case["case_number"] in text and "桥下暴露垃圾一堆" in text
    assert sheet.locator(".acts tbody tr").count() == 20 and sheet.locator(".photos img").count() == 4
    assert all(sheet.eval_on_selector_all(".photos img", "imgs => imgs.map(i => i.naturalWidth > 0)"))
    shot(sheet, "case-sheet")
    assert pdf_pages(sheet) == 1

    for i in range(25):
        api(live_server, dispatcher, "POST", comment, json={"reason": f"补充 {i + 1}"})
    sheet.reload()
    sheet.wait_for_selector("#sheet[data-ready='1']", timeout=15_000)
    assert pdf_pages(sheet) == 2
    context.close()


def test_search_history_heat_and_the_shifts_overview(browser, live_server, web_city):
    """Issue 12, control room: the search box jumps to a case (by its last digits) or lists the cases of a cell
    named in it; history mode replays the cases reported in a period with a time slider and shades the cells by
    how many; the shift's overview says what the dispatcher did today."""
    first = report(live_server, web_city, "worker_a", COMMUNITY_A, 3, "E0101", "桥下暴露垃圾")
    second = report(live_server, web_city, "worker_b", COMMUNITY_B, 2, "E0601", "楼道口堆放无主杂物")
    api(live_server, web_city.tokens["dispatcher"], "POST", f"/tickets/{second['id']}/actions/dispatch",
        json={"payload": {"department_code": "SANITATION"}})
    context, page = sign_in(browser, live_server, "dispatcher", viewport={"width": 1366, "height": 768})
    page.wait_for_selector("#map[data-ready='1']", timeout=30_000)

    page.fill("#search", second["case_number"][-4:])  # the last digits: both cases end in 0001 or 0002
    page.press("#search", "Enter")
    page.wait_for_selector("#search-results:not([hidden]), #panel:not([hidden])")
    if page.is_visible("#search-results"):
        page.click(f"#search-results button[data-id='{second['id']}']")
    page.wait_for_selector(f"#panel .panel-case[data-case='{second['case_number']}']")
    page.fill("#search", f"网格{COMMUNITY_A[-3:]}-3")  # a cell's name: the one case there opens at once
    page.press("#search", "Enter")
    page.wait_for_selector(f"#panel .panel-case[data-case='{first['case_number']}']")
    page.click("#panel [data-close]")

    page.click("#history-toggle")
    today = page.evaluate("new Intl.DateTimeFormat('en-CA', {timeZone: 'Asia/Shanghai'}).format(new Date())")
    page.fill("#h-from", today)
    page.fill("#h-to", today)
    page.click("#h-load")
    page.wait_for_selector("#map[data-history='2']")
    assert "2" in page.inner_text("#h-until")
    page.wait_for_selector("#list[data-history='1'][data-count='2']")  # the list follows the replay, not the live
    assert "非实时" in page.inner_text("#list-head")
    shaded = page.evaluate("""() => { let n = 0; for (let id = 0; id < 50; id++) {
        if ((window.__gridopsMap.getFeatureState({source: 'communities', id}).h || 0) > 0) n++; } return n; }""")
    assert shaded == 2  # both communities have a case
    page.eval_on_selector("#h-time", "el => { el.value = el.min; el.dispatchEvent(new Event('input')); }")
    page.wait_for_selector("#map[data-history='0']")  # at the period's start nothing was reported yet
    page.wait_for_selector("#list[data-count='0']:has-text('所选时间之前没有上报的案件')")
    shot(page, "map-history")
    page.click("#h-exit")
    page.wait_for_selector("#list:not([data-history='1'])")
    assert page.get_attribute("#history-toggle", "aria-pressed") == "false"

    page.click("#shift-open")
    row = page.wait_for_selector(".shift-table tr[data-user='dispatcher']")
    assert "派遣 1" in row.inner_text()
    context.close()


def test_routing_reasons_and_refusals_read_in_chinese(browser, live_server, web_city) -> None:  # noqa: ANN001
    """The pages speak the page's language for what the server decides: a routing decision's reason and an act
    the case's state refuses read in Chinese on the zh-CN control-room map, not in the server's English. An
    overdue case says so once (the panel's chip read "超时 · 超时 0 分钟"). Its breach, seen live, pulses a ring on the
    map without an error in the console (the first frame's opacity was more than 1)."""
    api(live_server, web_city.tokens["admin"], "PUT", "/sla-policies", json={
        "stage": "dispatch", "category": "E0601", "limit_hours": 3 / 3600, "basis": "natural",
        "ladder": {"overdue_every_hours": 0}})
    context, page = open_map(browser, live_server)
    page.emulate_media(reduced_motion="no-preference")  # the breach's ring pulses
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    case = report(live_server, web_city, "worker_b", COMMUNITY_B, 4, "E0601", "楼道口堆放无主杂物")
    assert case["status"] == "registered"  # E06 has no routing rule in the test city
    page.wait_for_selector(f".toast[data-id='{case['id']}']", timeout=10_000)  # it turns red under our eyes
    page.wait_for_timeout(500)  # a few frames of the flash
    assert not [e for e in errors if "opacity" in e], errors
    page.click(f".row[data-id='{case['id']}']")
    page.wait_for_selector(f".panel-case[data-case='{case['case_number']}']")
    chip = page.inner_text(".chips .chip.light-red")
    assert chip.startswith("超时 ") and chip.count("超时") == 1, chip
    panel = page.inner_text("#panel")
    assert "没有匹配的派遣规则" in panel and "no routing rule" not in panel
    assert "自动立案" in panel and "auto-registered" not in panel  # the system's own note on its act, too

    page.click("#actions button[data-action=dispatch]")
    page.wait_for_selector("[data-form=dispatch] select[name=department_code]")
    # meanwhile the case moves on: a dispatcher asks to void it, so it can no longer be dispatched
    api(live_server, web_city.tokens["dispatcher"], "POST", f"/tickets/{case['id']}/actions/request_void",
        json={"reason": "重复上报"})
    page.click("[data-form=dispatch] [data-go]")
    page.wait_for_function("() => /不能执行/.test(document.querySelector('[data-form=dispatch]').innerText)",
                           timeout=5_000)
    form = page.inner_text("[data-form=dispatch]")
    assert "“派遣”" in form and "cannot" not in form
    context.close()
