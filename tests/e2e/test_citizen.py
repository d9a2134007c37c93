"""The public page (/c/) in a real browser on a small phone, without an account: a citizen reports a problem from
where they stand (GPS, a category, a description, a photo), gets the case number and the private link, and
follows the case by it while the staff handle it through the API; once closed, the page shows 已办结 and the
department's after-photo, and the citizen rates it. A bad rating sends the case to review, the shift lead reopens
it on the control-room map (its note field marked 将向反映人公开), it is handled again and closed, and the citizen
may rate again; back on /c/, 我的反映 lists the case. A second citizen at the same place is offered the open case
("是否是以下问题之一？") and supports it instead of filing it twice. The page has no serious axe violation and does
not scroll sideways at 360 px."""

from __future__ import annotations

import io
import json
import re

from PIL import Image

from tests.e2e.conftest import api, shot, sign_in
from tests.e2e.layout import layout_problems
from tests.e2e.test_accessibility import AXE, audit
from tests.e2e.test_mobile import phone as mobile_phone
from tests.support.city import COMMUNITY_A, after_photo, cell_centre

PHONE = (360, 740)


def phone(lng: float, lat: float) -> dict:
    """The worker page's phone (test_mobile), 360×740; axe is injected with a <script> element (see
    test_accessibility), which the page's Content-Security-Policy would refuse."""
    return {**mobile_phone(lng, lat, PHONE), "bypass_csp": True}


def jpeg(path) -> str:  # noqa: ANN001
    buf = io.BytesIO()
    Image.new("RGB", (2000, 1500), (150, 110, 60)).save(buf, "JPEG")
    path.write_bytes(buf.getvalue())
    return str(path)


def no_sideways_scroll(page, name: str, data: list[str]) -> None:  # noqa: ANN001
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE[0], name
    assert layout_problems(page, name, "zh-CN", data) == []


def test_a_citizen_reports_follows_the_case_by_its_link_and_rates_it_twice(browser, live_server, web_city, tmp_path):
    assert AXE.exists(), "axe-core is not installed (make frontend)"
    tokens = web_city.tokens
    lng, lat = cell_centre(COMMUNITY_A, 2)
    description = "桥下一堆垃圾，已经两天没人清理"
    data = [description, "外滩", "区环卫所"]

    context = browser.new_context(**phone(lng, lat))
    page = context.new_page()
    page.goto(f"{live_server.url}/c/")
    page.wait_for_selector("body[data-ready='1']")
    assert page.inner_text("#use-gps") == "使用当前位置"
    assert page.locator("script[src*=maplibre], link[href*=maplibre]").count() == 0  # the map comes on demand
    page.click("#use-gps")
    page.wait_for_selector("#place[data-status=ok]")
    page.click("#categories button[data-code=E0101]")
    page.fill("#description", description)
    page.set_input_files("#photos", jpeg(tmp_path / "rubbish.jpg"))
    page.wait_for_selector("#thumbs img")
    honeypot = page.locator("#c-leave-empty")  # the API's "website", in a field no autofill rule matches
    assert honeypot.get_attribute("tabindex") == "-1" and honeypot.get_attribute("autocomplete") == "off"
    assert honeypot.get_attribute("name") == "leave_empty" and not honeypot.is_visible()
    for target in (
        "#use-gps",
        "#pick-map",
        "#categories button[data-code=E0101]",
        "#thumbs button[data-remove]",
        "#add-photo",
        "#submit",
        "#lang",
    ):
        box = page.locator(target).bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, target
    assert audit(page, "citizen-report") == []
    no_sideways_scroll(page, "citizen-report", data)
    shot(page, "citizen-1-report")

    page.click("#pick-map")  # the map's zoom buttons are targets a finger hits (they were 29×48)
    page.wait_for_selector("#map[data-ready='1']", timeout=30_000)
    for target in (".maplibregl-ctrl-zoom-in", ".maplibregl-ctrl-zoom-out"):
        box = page.locator(target).bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, target

    # a wrong number is said next to its field before anything is sent, with what else is missing
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/public/v1/reports") else None)
    page.fill("#contact-phone", "12345")
    page.fill("#description", "")
    page.locator("#contact-phone").blur()
    page.wait_for_selector("#phone-error:visible")
    assert "手机号码不对" in page.inner_text("#phone-error")
    assert page.inner_text("#missing").split("\n") == ["请说说情况", "请检查手机号码"]
    assert page.get_attribute("#contact-phone", "aria-invalid") == "true" and page.is_disabled("#submit")
    page.fill("#description", description)
    page.fill("#contact-phone", "138 1234 5678")
    page.wait_for_selector("#phone-error", state="hidden")
    assert sent == []
    # over the hour's limit, the wait is said in minutes (it said 操作太频繁了，请 3222 秒后再试)
    page.route("**/public/v1/reports", lambda route: route.fulfill(status=429, headers={"Retry-After": "3222"},
               content_type="application/json", body=json.dumps({"error": "rate_limited", "message": "too many",
                                                                  "retry_after_s": 3222, "limit": 10})))
    page.click("#submit")
    page.wait_for_selector("#error [data-code=rate_limited]")
    assert page.inner_text("#error") == "操作太频繁了，请约 54 分钟后再试。"
    page.unroute("**/public/v1/reports")

    page.click("#submit")
    done = page.wait_for_selector("[data-result=filed]")
    case_number = page.inner_text("#case-number")
    link = page.input_value("#tracking-link")
    assert re.fullmatch(rf"{re.escape(live_server.url)}/c/t/[^/]+", link), link
    assert "请保存好这个链接" in done.inner_text()
    assert audit(page, "citizen-filed") == []
    shot(page, "citizen-2-filed")

    found = api(live_server, tokens["shift_lead"], "GET", "/tickets", params={"q": case_number})["items"]
    tid = next(c["id"] for c in found if c["case_number"] == case_number)
    case = api(live_server, tokens["shift_lead"], "GET", f"/tickets/{tid}")
    assert case["description"] == description and case["category_code"] == "E0101"
    assert [p["stage"] for p in case["photos"]] == ["report"]
    assert max(case["photos"][0]["width"], case["photos"][0]["height"]) <= 1600  # shrunk on the phone

    # a neighbour at the same place, on another phone, is offered the open case and supports it
    other = browser.new_context(**phone(lng, lat))
    second = other.new_page()
    second.goto(f"{live_server.url}/c/")
    second.wait_for_selector("body[data-ready='1']")
    second.click("#use-gps")
    second.wait_for_selector("#place[data-status=ok]")
    second.click("#categories button[data-code=E0101]")
    second.wait_for_selector(f"#nearby .dup[data-case='{case_number}']")
    assert "是否是以下问题之一？" in second.inner_text("#nearby")
    second.click(f"#nearby button[data-support='{case_number}']")
    second.wait_for_selector("[data-result=supported]")
    other.set_geolocation({"latitude": 39.9, "longitude": 116.4})  # far away: in kilometres, not 1064564 米
    second.goto(f"{live_server.url}/c/")
    second.wait_for_selector("body[data-ready='1']")
    second.click("#use-gps")
    second.wait_for_selector("#place[data-status=outside]")
    assert re.search(r"离最近的服务区域约 1\d{3} 公里）", second.inner_text("#place")), second.inner_text("#place")
    other.close()
    assert api(live_server, tokens["shift_lead"], "GET", f"/tickets/{tid}")["support_count"] == 1

    # a damaged link gets the page's own words, never the API's JSON; a "。" pasted along is dropped
    for damaged in ("/c/t/abc", "/c/nothing-here", "/c/t/" + "A" * 32):
        page.goto(f"{live_server.url}{damaged}")
        page.wait_for_selector(".error-card[role=alert]")
        assert page.inner_text(".error-card") == "没有找到这个诉求：请检查链接是否完整。", damaged
    page.goto(link + "。")
    page.wait_for_selector("#public-status")
    assert page.url == link  # the address cleaned, to keep or share
    assert case_number in page.inner_text("#case-title")
    assert page.inner_text("#public-status") == "核实中"
    assert "另有 1 位市民反映了同一问题" in page.inner_text("#supports")
    assert "预计核实时间" in page.inner_text(".facts")  # the verify deadline, not a promise to have it fixed by then
    assert "rate-form" not in page.content()
    # rating later is said plainly, not as a card that asks for something (it had the blue border of a call to act)
    assert page.inner_text("#cannot-rate") == "问题办结后，您可以在这里评价处理结果。"
    assert page.eval_on_selector(".rate-card", "e => getComputedStyle(e).borderTopWidth") == "1px"

    def act(user: str, action: str, **body) -> None:  # noqa: ANN003
        api(live_server, tokens[user], "POST", f"/tickets/{tid}/actions/{action}", json=body)

    def resolve() -> None:
        api(
            live_server,
            tokens["sanitation"],
            "POST",
            f"/tickets/{tid}/actions/resolve",
            data={"reason": "已清运完毕"},
            files=[("photos", ("after.jpg", after_photo(), "image/jpeg"))],
        )

    def check_and_close() -> None:
        act("worker_a", "check_pass")
        act("shift_lead", "close", payload={"close_type": "normal"})

    def refreshed(status: str) -> None:
        page.click("#refresh")
        page.wait_for_selector(f"#public-status:text-is('{status}')")

    act("worker_a", "verify")
    act("shift_lead", "register")
    act("dispatcher", "dispatch", payload={"department_code": "SANITATION"})
    act("sanitation", "accept")
    resolve()
    check_and_close()
    refreshed("已办结")
    assert page.locator("figure[data-stage=resolve] img").count() == 1
    assert page.locator("figure[data-stage=report] img").count() == 1
    assert "处理后的照片" in page.inner_text("figure[data-stage=resolve] figcaption")
    assert "区环卫所" in page.inner_text("main") and "已清运完毕" in page.inner_text(".notes")
    assert audit(page, "citizen-track") == []
    no_sideways_scroll(page, "citizen-track", [*data, "已清运完毕", case_number])
    shot(page, "citizen-3-closed")
    page.click("#lang")  # in English: the page's own words, the status and the category; the notes as written
    page.wait_for_selector("#public-status:text-is('Done')")
    assert layout_problems(page, "citizen-track", "en", [*data, "已清运完毕", case_number]) == []
    page.click("#lang")
    page.wait_for_selector("#public-status:text-is('已办结')")

    assert page.eval_on_selector(".rate-card", "e => getComputedStyle(e).borderTopWidth") == "3px"  # now it asks
    page.check("input[name=level][value=dissatisfied]")
    assert page.inner_text("#rate-counter") == "0 / 500 字"  # the comment's limit, said as the description's
    page.fill("#rate-comment", "桥洞里还有垃圾")
    assert page.inner_text("#rate-counter") == "7 / 500 字"
    page.click("#rate-submit")
    page.wait_for_selector("#rating[data-level=dissatisfied]")
    assert "不满意" in page.inner_text("#rating") and page.locator("#rate-form").count() == 0
    assert page.inner_text("#public-status") == "复核中"  # the shift lead reviews a bad rating
    shot(page, "citizen-4-rated-bad")

    # the shift lead reopens it on the control-room map, in a field marked as read by the reporter
    lead, room = sign_in(browser, live_server, "shift_lead", viewport={"width": 1366, "height": 768})
    room.wait_for_selector("#map[data-ready='1']", timeout=30_000)
    room.fill("#search", case_number)
    room.press("#search", "Enter")
    room.wait_for_selector(f".panel-case[data-case='{case_number}']")
    room.click("#actions button[data-action=reopen]")
    assert "将向反映人公开" in room.inner_text("[data-form=reopen] label[for=f-reason]")
    shot(room, "citizen-4b-reopen-on-the-map")
    room.fill("[data-form=reopen] textarea", "市民反映桥洞里还有垃圾，重新处理")
    room.click("[data-form=reopen] [data-go]")
    room.wait_for_selector("[data-form=reopen]", state="detached")
    lead.close()
    refreshed("处理中")
    assert "市民反映桥洞里还有垃圾，重新处理" in page.inner_text(".notes li[data-action=reopen]")
    resolve()
    check_and_close()
    refreshed("已办结")
    page.wait_for_selector("#rate-form")
    page.check("input[name=level][value=satisfied]")
    page.click("#rate-submit")
    page.wait_for_selector("#rating[data-level=satisfied]")
    assert "满意" in page.inner_text("#rating") and page.inner_text("#public-status") == "已办结"
    page.click("#refresh")
    page.wait_for_selector("#rating[data-level=satisfied]")
    assert page.locator("#rate-form").count() == 0
    shot(page, "citizen-5-rated-good")

    # 我的反映: back on /c/, this phone lists the case with its link and the status last seen; it can be removed
    page.goto(f"{live_server.url}/c/")
    page.wait_for_selector("body[data-ready='1']")
    page.click("#mine summary")
    mine = page.locator(f"#mine li[data-case='{case_number}']")
    assert "已办结" in mine.inner_text()
    assert mine.locator("a").get_attribute("href") == link.removeprefix(live_server.url)
    assert "不要分享" in page.inner_text("#mine")
    for target in ("#mine summary", f"#mine li[data-case='{case_number}'] a", "#mine button[data-forget]"):
        box = page.locator(target).bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, target
    assert audit(page, "citizen-mine") == []
    shot(page, "citizen-6-my-reports")
    mine.locator("button[data-forget]").click()
    page.wait_for_selector("#mine", state="detached")
    context.close()
