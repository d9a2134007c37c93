"""The grid worker's phone page (/m/) in a real browser on a phone-sized screen: reporting in three steps
with a photo (and the photo's own GPS position), the draft kept through a reload, the outside-the-area
refusal, supporting a nearby case instead of filing a duplicate, the offline queue sent exactly once, a queued
report the server refuses, the nearest address. A worker's tasks and own cases: test_mobile_cases.py."""

from __future__ import annotations

import io
import re

from PIL import Image

from tests.e2e.conftest import PASSWORD, api, shot, sign_in, to_landing
from tests.support.city import COMMUNITY_A, cell_centre, cell_code
from tests.support.server import wait_until


def phone(lng: float, lat: float, size: tuple[int, int] = (390, 844)) -> dict:
    return dict(
        viewport={"width": size[0], "height": size[1]},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        permissions=["geolocation"],
        geolocation={"latitude": lat, "longitude": lng},
    )


def jpeg(path, gps: tuple[float, float] | None = None, size: tuple[int, int] = (2400, 1800)) -> str:  # noqa: ANN001
    """A 2400×1800 JPEG (or ``size``), with the (lng, lat) in its EXIF GPS tags when given."""
    exif = Image.Exif()
    if gps:

        def dms(v: float) -> tuple[float, float, float]:
            d, m = int(v), int((v - int(v)) * 60)
            return (d, m, round((v - d - m / 60) * 3600, 4))

        tags = exif.get_ifd(0x8825)
        tags.update({1: "N", 2: dms(gps[1]), 3: "E", 4: dms(gps[0])})
    buf = io.BytesIO()
    Image.new("RGB", size, (40, 160, 90)).save(buf, "JPEG", exif=exif)
    path.write_bytes(buf.getvalue())
    return str(path)


def not_a_picture(path) -> str:  # noqa: ANN001
    """A PDF (under whatever name: "scan.jpg" is one too)."""
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    return str(path)



def cases(server, city, **query) -> list[dict]:  # noqa: ANN001, ANN003
    return api(server, city.tokens["dispatcher"], "GET", "/tickets", params={"limit": 100, **query})["items"]


def open_page(browser, server, lng: float, lat: float, size: tuple[int, int] = (390, 844)):  # noqa: ANN001, ANN201
    context, page = sign_in(browser, server, "worker_a", **phone(lng, lat, size))
    assert page.url.endswith("/m/")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("#map[data-ready='1']", timeout=30_000)
    return context, page


def pick_category(page, search: str, code: str) -> None:  # noqa: ANN001
    page.fill("#category-search", search)
    page.click(f"#picker button[data-code={code}]")
    page.wait_for_selector("#chosen:not([hidden])")


def test_report_in_three_steps_with_a_photo_and_its_location(browser, live_server, web_city, tmp_path):
    lng, lat = cell_centre(COMMUNITY_A, 2)
    context, page = open_page(browser, live_server, lng, lat)
    place = page.wait_for_selector("#place[data-status=ok]")
    assert "网格001-2" in place.inner_text() and cell_code(COMMUNITY_A, 2) in place.inner_text()
    assert page.is_disabled("#submit")
    assert page.inner_text("#use-gps") == "使用当前位置"
    shot(page, "mobile-1-where")

    pick_category(page, "垃圾", "E0101")
    assert "暴露垃圾" in page.inner_text("#chosen")
    page.click("#urgency button[data-urgency=urgent]")
    page.fill("#description", "桥下暴露垃圾一堆，约两立方")
    page.locator("#step-what").scroll_into_view_if_needed()
    shot(page, "mobile-2-what")

    # a photo taken in the next cell: its EXIF position is offered and used
    photo_lng, photo_lat = cell_centre(COMMUNITY_A, 3)
    page.set_input_files("#gallery", jpeg(tmp_path / "rubbish.jpg", gps=(photo_lng, photo_lat)))
    page.wait_for_selector("#thumbs img")
    for target in ("#thumbs button[data-remove]", "#logout", "button.lang-switch", ".maplibregl-ctrl-zoom-in"):
        box = page.locator(target).bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, target  # targets for gloves and older hands
    page.click("#use-photo")
    page.wait_for_selector(f"#place[data-status=ok]:has-text('{cell_code(COMMUNITY_A, 3)}')")
    assert "照片位置" in page.inner_text("#place")
    # the browser kills the tab (the camera needed the memory): the half-written report comes back as it was,
    # the photo's place too (not the phone's GPS position in cell 2)
    page.wait_for_selector("#tab-report[data-draft=saved]")
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert "已恢复未提交的上报草稿" in page.inner_text("#draft-note") and page.is_visible("#draft-clear")
    page.wait_for_selector(f"#place[data-status=ok]:has-text('{cell_code(COMMUNITY_A, 3)}')")
    assert "照片位置" in page.inner_text("#place")
    assert "暴露垃圾" in page.inner_text("#chosen") and page.input_value("#description") == "桥下暴露垃圾一堆，约两立方"
    assert page.get_attribute("#urgency button[data-urgency=urgent]", "aria-checked") == "true"
    page.wait_for_function("() => document.querySelector('#thumbs img')?.naturalWidth > 0")
    assert page.locator("#thumbs img").count() == 1 and page.is_visible("#use-photo")
    # a PDF picked from the gallery is refused at once, by the worker's own file name; pictures are added up to
    # the limit of six, where the camera and the gallery go off and the note says why
    more = [jpeg(tmp_path / f"more-{i}.jpg", size=(320, 240)) for i in range(5)]
    page.set_input_files("#gallery", [not_a_picture(tmp_path / "通知.pdf"), *more])
    page.wait_for_selector("#photo-note:has-text('不是可识别的图片')")
    note = page.inner_text("#photo-note")
    assert "“通知.pdf”" in note and "已到上限" in note and "6 / 6" in note, note
    assert page.locator("#thumbs img").count() == 6
    assert page.is_disabled("#gallery") and page.is_disabled("#camera")
    for _ in more:  # removing one lets the camera on again
        page.click("#thumbs button[data-remove='1']")
    assert page.is_enabled("#gallery") and page.is_enabled("#camera")
    assert page.inner_text("#photo-note") == "已添加 1 / 6 张照片"
    page.locator("#step-photo").scroll_into_view_if_needed()
    shot(page, "mobile-3-photo")

    assert page.is_enabled("#submit")
    page.click("#submit")
    result = page.wait_for_selector("[data-result=filed]")
    shot(page, "mobile-4-filed")

    mine = api(live_server, web_city.tokens["worker_a"], "GET", "/tickets", params={"mine": "true"})
    assert mine["total"] == 1
    case = api(live_server, web_city.tokens["worker_a"], "GET", f"/tickets/{mine['items'][0]['id']}")
    assert case["case_number"] in result.inner_text()
    assert case["description"] == "桥下暴露垃圾一堆，约两立方" and case["urgency"] == "urgent"
    assert case["cell_code"] == cell_code(COMMUNITY_A, 3) and case["category_code"] == "E0101"
    assert [p["stage"] for p in case["photos"]] == ["report"]
    assert max(case["photos"][0]["width"], case["photos"][0]["height"]) <= 1600  # shrunk on the phone
    # the form is ready for the next report, and "my reports" lists this one
    assert page.input_value("#description") == ""
    page.click(".tabbar button[data-tab=mine]")
    page.wait_for_selector(f"#tab-mine .item[data-id='{case['id']}'] .status[data-status=dispatched]")
    # the status follows the case live: the department accepts it, the list says so without a reload
    api(live_server, web_city.tokens["sanitation"], "POST", f"/tickets/{case['id']}/actions/accept", json={})
    page.wait_for_selector(f"#tab-mine .item[data-id='{case['id']}'] .status:text-is('处置中')", timeout=10_000)
    shot(page, "mobile-5-mine")
    # a reload stays on "my cases" (the address says the view); the report sent left no draft behind
    assert page.url.endswith("/m/#mine")
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector(f"#tab-mine .item[data-id='{case['id']}']")
    assert page.is_hidden("#tab-report") and page.is_hidden("#draft-note")
    page.click(".tabbar button[data-tab=report]")
    assert page.input_value("#description") == "" and page.is_hidden("#chosen")
    assert page.locator("#thumbs img").count() == 0
    context.close()


def test_a_place_outside_the_managed_area_is_refused_before_sending(browser, live_server, web_city):
    lng, lat = cell_centre(COMMUNITY_A, 1)
    context, page = open_page(browser, live_server, lng - 0.01, lat)  # about 950 m west of the city
    place = page.wait_for_selector("#place[data-status=outside]")
    assert "该位置不在管辖范围内" in place.inner_text()
    assert cell_code(COMMUNITY_A, 1) in place.inner_text()  # the nearest cell and how far it is
    assert re.search(r"相距 9\d\d 米", place.inner_text())
    pick_category(page, "井盖", "C0101")
    page.fill("#description", "井盖缺失")
    assert page.is_disabled("#submit")
    assert "不在管辖范围内" in page.inner_text("#missing")
    page.evaluate("document.querySelector('#step-where').scrollIntoView()")
    shot(page, "mobile-outside")
    page.click("button.lang-switch")
    page.wait_for_selector("#place:has-text('outside the managed area')")
    assert page.is_disabled("#submit")
    page.evaluate("document.querySelector('#step-where').scrollIntoView()")
    shot(page, "mobile-outside-en")

    # the map shows the pin with the worker's own cells at its east edge (32 px padding): a tap there
    # moves the pin into the city, and the report may go
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] - 40, box["y"] + box["height"] / 2 + 8)
    page.wait_for_selector("#place[data-status=ok]", timeout=5_000)
    assert "chosen on the map" in page.inner_text("#place")
    assert page.is_enabled("#submit")
    assert cases(live_server, web_city) == []
    # a phone about 1070 km north: the distance in kilometres, not 1 0xx xxx metres, in either language
    context.set_geolocation({"latitude": lat + 9.62, "longitude": lng})
    page.click("#use-gps")
    far = page.wait_for_selector("#place[data-status=outside]:has-text('km away')")
    assert re.search(r"The nearest cell is \d{15}, about 10[67]\d km away", far.inner_text()), far.inner_text()
    page.click("button.lang-switch")
    page.wait_for_selector("#place:has-text('公里')")
    far = page.inner_text("#place .outside")
    assert re.search(r"相距约 10[67]\d 公里", far) and "米" not in far, far
    context.close()

    # a phone that refuses its position says so, and no longer says it is still getting one
    context, page = sign_in(browser, live_server, "worker_a", viewport={"width": 390, "height": 844}, is_mobile=True)
    page.wait_for_selector("#place .warn")
    assert "未允许定位" in page.inner_text("#place") and "正在获取" not in page.inner_text("#place")
    context.close()


def test_an_open_case_nearby_is_supported_instead_of_filed_again(browser, live_server, web_city):
    lng, lat = cell_centre(COMMUNITY_A, 1)
    existing = api(
        live_server,
        web_city.tokens["worker_b"],
        "POST",
        "/reports",
        json={"lat": lat, "lng": lng + 0.0002, "category_code": "E0101", "description": "路口垃圾堆"},
    )["ticket"]
    context, page = open_page(browser, live_server, lng, lat)
    page.wait_for_selector("#place[data-status=ok]")
    # a half-written report is its worker's own: another worker signed in on the same phone does not see it
    pick_category(page, "暴露", "E0101")
    page.fill("#description", "先写一半的上报")
    page.wait_for_selector("#tab-report[data-draft=saved]")
    context.clear_cookies()
    to_landing(context, page, live_server, "worker_b")
    page.wait_for_selector("body[data-ready='1']")
    assert page.is_hidden("#draft-note") and page.input_value("#description") == "" and page.is_hidden("#chosen")
    context.clear_cookies()
    to_landing(context, page, live_server, "worker_a")  # back to its worker, who clears it
    page.wait_for_selector("body[data-ready='1']")
    assert page.is_visible("#draft-note") and page.input_value("#description") == "先写一半的上报"
    page.click("#draft-clear")
    page.wait_for_selector("#draft-note", state="hidden")  # (the draft is deleted from the phone's store first)
    assert page.input_value("#description") == "" and page.is_hidden("#chosen")
    page.wait_for_selector("#place[data-status=ok]")
    pick_category(page, "暴露", "E0101")
    dup = page.wait_for_selector(f"#nearby .dup[data-id='{existing['id']}']")
    assert existing["case_number"] in dup.inner_text() and "路口垃圾堆" in dup.inner_text()
    assert "19 m" in dup.inner_text()  # 0.0002° east at 31.23° N
    dup.scroll_into_view_if_needed()
    shot(page, "mobile-nearby")
    page.click(f"#nearby button[data-support='{existing['id']}']")
    done = page.wait_for_selector("[data-result=supported]")
    assert existing["case_number"] in done.inner_text()
    shot(page, "mobile-supported")

    after = api(live_server, web_city.tokens["dispatcher"], "GET", f"/tickets/{existing['id']}")
    assert after["support_count"] == 1
    assert [e["action"] for e in after["timeline"]][-1] == "support"
    assert [c["id"] for c in cases(live_server, web_city)] == [existing["id"]]  # no second case
    context.close()


def test_a_report_without_signal_waits_on_the_phone_and_is_sent_once(browser, live_server, web_city):
    lng, lat = cell_centre(COMMUNITY_A, 4)
    context, page = open_page(browser, live_server, lng, lat)
    page.wait_for_selector("#place[data-status=ok]")
    page.wait_for_selector("body[data-offline-ready='1']", timeout=20_000)  # service worker has the page

    context.set_offline(True)
    page.wait_for_selector("#net.off")
    assert page.inner_text("#net") == "离线"
    pick_category(page, "垃圾", "E0101")
    page.fill("#description", "离线上报：绿化带垃圾")
    page.click("#submit")
    page.wait_for_selector("#outbox[data-waiting='1']")
    assert "待发送 (1)" in page.inner_text("#outbox")
    assert "已保存在手机上" in page.inner_text("#result")
    shot(page, "mobile-offline-queued")
    assert cases(live_server, web_city) == []

    # the page opens again without signal (service worker) and the report is still there (IndexedDB)
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("#outbox[data-waiting='1']")
    page.wait_for_selector("#place[data-status=offline]")  # the cell from the cells saved on the phone
    assert page.is_hidden("#draft-note") and page.input_value("#description") == ""  # queued, so no draft
    assert "网格001-4" in page.inner_text("#place")
    page.click(".tabbar button[data-tab=mine]")
    page.wait_for_selector("#tab-mine .item.queued:has-text('绿化带垃圾')")
    shot(page, "mobile-offline-reloaded")
    assert cases(live_server, web_city) == []
    page.click("#outbox button[data-send]")  # a tap on 立即发送 without signal says so
    page.wait_for_selector("#outbox .sent-note:has-text('仍然没有信号')")

    # on a slow network the queue says it is sending (not "sent when the signal returns") until the server answers
    held = []
    context.route("**/api/v1/reports", lambda route: held.append(route))
    context.set_offline(False)  # the online event sends it
    page.wait_for_selector("#outbox[data-state=sending]")
    assert wait_until(lambda: page.evaluate("true") and len(held) == 1, timeout=10)  # (a call lets the route in)
    assert "正在发送…" in page.inner_text("#outbox .how") and "有信号后" not in page.inner_text("#outbox")
    assert page.is_disabled("#outbox button[data-send]")
    shot(page, "mobile-outbox-sending")
    held[0].continue_()
    page.wait_for_selector("#outbox[data-waiting='0']", timeout=15_000)
    context.unroute("**/api/v1/reports")
    assert wait_until(lambda: len(cases(live_server, web_city)) == 1, timeout=10)
    page.wait_for_selector("#tab-mine .item:not(.queued):has-text('绿化带垃圾')")
    sent = cases(live_server, web_city)
    assert len(sent) == 1 and sent[0]["description"] == "离线上报：绿化带垃圾"
    assert sent[0]["cell_code"] == cell_code(COMMUNITY_A, 4)
    shot(page, "mobile-offline-sent")

    # the session ends while a report is being written: 上报 says so at once (not "no signal"), keeps the report,
    # and signing in again from its button comes back here and sends it
    page.click(".tabbar button[data-tab=report]")
    pick_category(page, "垃圾", "E0101")
    page.fill("#description", "登录过期时的上报")
    context.clear_cookies()
    page.click("#submit")
    card = page.wait_for_selector("#result [data-result=signed-out]")
    assert "登录已过期" in card.inner_text() and "离线" not in card.inner_text()
    page.wait_for_selector("#outbox[data-waiting='1'][data-state=signed-out]")
    assert "请重新登录" in page.inner_text("#outbox") and page.is_visible("#outbox a.sign-in")
    shot(page, "mobile-signed-out")
    page.click("#result a.sign-in")
    page.wait_for_url("**/login?next=%2Fm%2F")
    page.fill("#username", "worker_a")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/m/")
    page.wait_for_selector("#outbox[data-waiting='0']", timeout=15_000)
    assert wait_until(lambda: len(cases(live_server, web_city)) == 2, timeout=10)
    assert "登录过期时的上报" in {c["description"] for c in cases(live_server, web_city)}
    context.close()


def test_a_queued_report_the_server_refuses_stays_visible_until_deleted(browser, live_server, web_city):
    lng, lat = cell_centre(COMMUNITY_A, 1)
    context, page = open_page(browser, live_server, lng, lat)
    page.wait_for_selector("#place[data-status=ok]")
    page.wait_for_selector("body[data-offline-ready='1']", timeout=20_000)
    context.set_offline(True)
    page.wait_for_selector("#net.off")
    # a report in the city whose category an administrator disables before it arrives
    pick_category(page, "井盖", "C0101")
    page.fill("#description", "井盖缺失")
    page.click("#submit")
    page.wait_for_selector("#outbox[data-waiting='1']")
    # without signal a tap west of the city cannot be checked: the report is queued, the server decides
    page.locator("#map").scroll_into_view_if_needed()
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + 12, box["y"] + box["height"] / 2)
    page.wait_for_selector("#place[data-status=unchecked]")
    pick_category(page, "垃圾", "E0101")
    page.fill("#description", "城外的垃圾")
    page.click("#submit")
    page.wait_for_selector("#outbox[data-waiting='2']")
    api(live_server, web_city.tokens["admin"], "PATCH", "/categories/C0101", json={"active": False})

    context.set_offline(False)
    page.wait_for_selector("#outbox[data-failed='2']", timeout=15_000)
    outside = page.locator("#outbox .failed:has-text('城外的垃圾')").inner_text()
    assert "该位置不在管辖范围内" in outside
    # every refusal in the worker's language, by its code (not the server's English message)
    disabled = page.locator("#outbox .failed:has-text('井盖缺失')")
    assert "未被受理： 该类别已停用，请选择其他类别" in disabled.inner_text(), disabled.inner_text()
    assert page.get_attribute("#outbox", "data-waiting") == "0"
    shot(page, "mobile-outbox-failed")
    page.click("button.lang-switch")
    page.wait_for_selector("#outbox .failed:has-text('This category is no longer in use')")
    page.click("button.lang-switch")
    assert cases(live_server, web_city) == []
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#outbox .failed:has-text('井盖缺失') button[data-delete]")
    page.wait_for_selector("#outbox[data-failed='1']")
    page.click("#outbox .failed button[data-delete]")
    page.wait_for_selector("#outbox", state="hidden")
    context.close()


def test_the_where_step_names_the_nearest_address_under_the_cell(browser, live_server, web_city, engine):  # noqa: ANN001
    """Issue 13: the gazetteer's nearest address within 150 m, with its distance, in either language."""
    from sqlmodel import Session

    from grid.models import Address

    lng, lat = cell_centre(COMMUNITY_A, 1)
    with Session(engine) as session:
        session.add(Address(kind="address", name="中山南路123号", road="中山南路", number="123", lng=lng, lat=lat,
                            cell_code=cell_code(COMMUNITY_A, 1), source="test"))
        session.commit()
    context, page = open_page(browser, live_server, lng, lat + 25 / 110_574)  # 25 m north of the door
    page.wait_for_selector("#place[data-status=ok] .near-address")
    assert page.inner_text("#place .near-address") == "近 中山南路123号 · 25 米"
    assert page.inner_text("#place .cell-code") == cell_code(COMMUNITY_A, 1)
    page.click("button.lang-switch")
    page.wait_for_selector("#place .near-address:has-text('Near')")
    assert page.inner_text("#place .near-address") == "Near 中山南路123号 · 25 m"
    # far from every address: no line at all
    page.evaluate("document.querySelector('#step-where').scrollIntoView()")
    context.close()
    context, page = open_page(browser, live_server, *cell_centre(COMMUNITY_A, 6))
    page.wait_for_selector("#place[data-status=ok]")
    assert page.query_selector("#place .near-address") is None
    context.close()
