"""The 12345 hotline operator's screen in a real browser: a call taken and filed (number, name, a point clicked on the
map, category, description, Ctrl+Enter), a repeat call from the same number that becomes a "same problem" on the
earlier case instead of a new case, and the call back after the staff closed the case, where the operator records
the caller's rating (满意) by phone. axe-core finds no serious or critical violation on either tab."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import api, close_through_the_api, shot, sign_in
from tests.e2e.layout import at_every_size
from tests.e2e.test_accessibility import audit
from tests.support.city import COMMUNITY_A, COMMUNITY_B, cell_centre, cell_code

PHONE = "13800138000"
# shown as written: the caller's words and names, place names, the user name, and the keys' own names
DATA = ["张先生", "小区门口垃圾堆放三天无人清运", "中山东一路12号", "中山东一路", "网格001-3", "网格001-2", "operator",
        "Ctrl+Enter"]


def test_take_a_call_support_a_repeat_call_and_call_back(browser, live_server, web_city):
    operator = web_city.tokens["operator"]
    lng, lat = cell_centre(COMMUNITY_A, 3)
    lng2, lat2 = cell_centre(COMMUNITY_A, 2)
    gazetteer = (f"name,kind,road,number,lng,lat\n中山东一路12号,address,中山东一路,12号,{lng},{lat}\n"
                 f"中山东一路2号,address,中山东一路,2号,{lng2},{lat2}\n")
    api(live_server, web_city.tokens["admin"], "POST", "/addresses/import",
        files=[("file", ("bund.csv", gazetteer.encode(), "text/csv"))])
    context, page = sign_in(browser, live_server, "operator", viewport={"width": 1366, "height": 768}, bypass_csp=True)
    assert page.url.endswith("/hotline")
    problems = []

    # 0. a number with letters or an extension is filled but wrong: the format error, not "fill in the number"
    for wrong in ("139-1111-2222转8", "1391111222o"):
        page.fill("#caller-phone", wrong)
        page.press("#caller-phone", "Control+Enter")
        page.wait_for_selector("#form-error:has-text('电话号码格式不对')")
        assert "请填写来电号码" not in page.inner_text("#form-error")
    # 1. the call: the number first (no earlier cases), the name, a point on the map, category, description
    page.fill("#caller-phone", PHONE)
    page.wait_for_selector("#history [data-empty]")
    page.fill("#caller-name", "张先生")
    page.wait_for_selector("#pickmap[data-ready=true]")
    def click_map(lng: float, lat: float, cell: str, named: str) -> None:
        x, y = page.evaluate("""([lng, lat]) => {
            const box = document.querySelector('#pickmap');
            const p = box.map.project([lng, lat]);
            const r = box.getBoundingClientRect();
            return [r.x + p.x, r.y + p.y];
        }""", [lng, lat])
        page.mouse.click(x, y)
        page.wait_for_selector(f"#point[data-cell='{cell}']")
        page.wait_for_function("named => document.querySelector('#address').value === named", arg=named)

    def choose_12() -> None:  # found by the address search and chosen with the keyboard
        page.fill("#address", "中山东一路12")
        page.press("#address", "Enter")
        page.wait_for_selector("#addr-results button:has-text('中山东一路12号')")
        page.press("#address", "ArrowDown")
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#point[data-cell='{cell_code(COMMUNITY_A, 3)}']")
        assert page.input_value("#address") == "中山东一路12号"

    # a click on the map: the box names the nearest address of the gazetteer
    click_map(lng2, lat2, cell_code(COMMUNITY_A, 2), "中山东一路2号")
    # the caller names a door number instead
    choose_12()
    # the pin moved by a click takes the box with it: the nearest address, or nothing where none is near (before,
    # the box kept 中山东一路12号 and it was filed with the pin elsewhere)
    click_map(lng2, lat2, cell_code(COMMUNITY_A, 2), "中山东一路2号")
    far_lng, far_lat = cell_centre(COMMUNITY_B, 4)  # (a corner of it: some 190 m from either address)
    click_map(far_lng + 0.0003, far_lat + 0.0003, cell_code(COMMUNITY_B, 4), "")
    # an address typed over the one the pin was put at, and not found, is not filed with that pin
    choose_12()
    page.fill("#address", "福州路1号")
    page.press("#address", "Control+Enter")
    page.wait_for_selector("#form-error:has-text('与地图上的位置“中山东一路12号”不一致')")
    page.press("#address", "Control+Enter")  # sent again as it is: the operator's word stands (a crossing …)
    page.wait_for_selector("#form-error:has-text('请选择案件类别')")
    choose_12()
    page.fill("#category-filter", "E0101")
    assert page.input_value("#category") == "E0101"
    page.fill("#description", "小区门口垃圾堆放三天无人清运")
    problems += audit(page, "hotline-intake", exclude=("#pickmap",))
    problems += at_every_size(page, "hotline-intake", "zh-CN", DATA)
    page.press("#description", "Control+Enter")
    number = page.wait_for_selector("#filed-number").inner_text()
    assert page.input_value("#caller-phone") == "" and page.input_value("#description") == ""
    # the next call starts from 请选择类别 and 一般, not the last call's category (reset() brought it back)
    assert page.input_value("#category") == "" and page.input_value("#urgency") == "normal"
    link = page.input_value("#tracking-link")  # the caller's tracking link, to text them
    assert link.startswith(f"{live_server.url}/c/t/"), link
    page.click("#copy-link")
    page.wait_for_selector("#copy-done:not(:empty)")
    assert httpx.get(link.replace("/c/t/", "/public/v1/track/"), timeout=10).json()["case_number"] == number
    problems += audit(page, "hotline-filed", exclude=("#pickmap",))
    shot(page, "hotline-filed")
    found = api(live_server, operator, "GET", "/tickets", params={"phone": PHONE})
    assert [c["case_number"] for c in found["items"]] == [number]
    case = found["items"][0]
    assert case["source"] == "hotline" and case["contact"]["name"] == "张先生" and case["contact"]["phone"] == PHONE
    assert case["cell_code"] == cell_code(COMMUNITY_A, 3) and case["address"] == "中山东一路12号"

    # 2. a repeat call from the number: its earlier case is listed with where and what (to tell which case the
    # caller means), as the caller's own report, and "same problem" supports it (one more 人次, once per number)
    page.fill("#caller-phone", PHONE)
    row = page.wait_for_selector(f"#history li[data-case='{number}']")
    said = row.inner_text()
    assert "暴露垃圾" in said and "中山东一路12号" in said and "小区门口垃圾堆放三天无人清运" in said, said
    assert "该来电人自己反映的案件" in said, said
    row.query_selector("[data-act=support]").click()
    page.wait_for_selector(f"#history li[data-case='{number}'] .done")
    assert api(live_server, operator, "GET", f"/tickets/{case['id']}")["support_count"] == 1

    # 3. the staff close the case; it waits on the call-back list, where the operator records 满意 by phone
    close_through_the_api(live_server, web_city, case["id"])
    page.click("#tab-callbacks")
    page.click(f".cb-row[data-id='{case['id']}']")  # (by selector: the list may be redrawn meanwhile)
    assert page.inner_text("#cb-phone") == PHONE
    assert page.inner_text("#cb-detail [data-act=declined]") == "已接通，不愿评价"
    page.wait_for_selector("#cb-reply:has-text('已清运完毕')")
    page.click("#cb-detail [data-act=reached]")
    page.check("#rate-form input[name=level][value=satisfied]")
    problems += audit(page, "hotline-callback", exclude=("#pickmap",))
    problems += at_every_size(page, "hotline-callback", "zh-CN", [*DATA, "已清运完毕", "区环卫所"])
    page.set_viewport_size({"width": 1366, "height": 768})
    page.click("#rate-form [data-act=rate]")
    page.wait_for_selector("#cb-result:has-text('满意')")
    page.wait_for_selector(f".cb-row[data-id='{case['id']}']", state="detached")
    shot(page, "hotline-rated")
    timeline = api(live_server, operator, "GET", f"/tickets/{case['id']}")["timeline"]
    rate = [e for e in timeline if e["action"] == "rate"]
    assert len(rate) == 1 and rate[0]["payload"]["level"] == "satisfied"
    # a caller who never answers: after the third try the page says the call-back is over, not only "try 3"
    lng, lat = cell_centre(COMMUNITY_A, 3)
    other = api(live_server, operator, "POST", "/reports", json={
        "lat": lat, "lng": lng, "category_code": "E0101", "description": "垃圾桶满溢", "contact_phone": "13900009999"})
    close_through_the_api(live_server, web_city, other["ticket"]["id"])
    for tries in (1, 2):
        api(live_server, operator, "POST", f"/tickets/{other['ticket']['id']}/actions/call_back",
            json={"payload": {"reached": False, "tries": tries}})
    page.click("#cb-refresh")
    page.click(f".cb-row[data-id='{other['ticket']['id']}']")
    page.click("#cb-detail [data-act=not-reached]")
    page.wait_for_selector("#cb-result:has-text('已回访 3 次未接通，回访结束')")
    page.wait_for_selector(f".cb-row[data-id='{other['ticket']['id']}']", state="detached")
    # the English switch: the same screen in English words
    page.click("button.lang-switch")
    page.wait_for_selector("#tab-intake:has-text('Take a call')")
    problems += at_every_size(page, "hotline-callback", "en", DATA)
    assert not problems, "\n".join(problems)
    context.close()
