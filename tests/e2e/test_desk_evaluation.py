"""The department workbench's side of the evaluation in a real browser: a bad rating appealed from the closed
tab and upheld by the supervisor, and the 整改 tab's items closed with an account. The queue: test_desk.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlmodel import Session, select

from dispatch.models import Rectification
from tests.e2e.conftest import api, close_through_the_api, shot, sign_in
from tests.e2e.test_desk import jpeg
from tests.support.city import COMMUNITY_A, after_photo, cell_centre
from tests.support.server import wait_until


def test_a_department_appeals_a_bad_rating_and_the_supervisor_upholds_it(browser, live_server, web_city, tmp_path):
    """Issue 14: the rating's acts come from the lifecycle table into the desk: the department sees the
    citizen's name and number (not confidential) and the rating on the timeline, appeals with a photo from
    the closed tab; the supervisor finds the appeal in its tab and upholds it."""
    lng, lat = cell_centre(COMMUNITY_A, 5)
    made = httpx.post(f"{live_server.url}/public/v1/reports", json={
        "lat": lat, "lng": lng, "category_code": "E0101", "description": "垃圾桶旁堆满垃圾",
        "contact_name": "周女士", "contact_phone": "13600001234"}, timeout=10).json()
    tokens = web_city.tokens
    tid = next(t["id"] for t in api(live_server, tokens["dispatcher"], "GET", "/tickets",
                                    params={"q": made["case_number"]})["items"])
    close_through_the_api(live_server, web_city, tid)
    rated = httpx.post(f"{live_server.url}/public/v1/track/{made['tracking_token']}/rating",
                       json={"level": "dissatisfied", "comment": "没有清理干净"}, timeout=10)
    assert rated.status_code == 201, rated.text

    context, page = sign_in(browser, live_server, "sanitation", viewport={"width": 1366, "height": 800})
    page.click("button[data-tab=history]")
    page.click(f".row[data-id='{tid}']")
    page.wait_for_selector(".contact:has-text('周女士 13600001234')")
    page.wait_for_selector(".timeline li:has-text('不满意 · 没有清理干净')")
    page.click("#actions button[data-action=appeal]")
    assert "照片" in page.inner_text("[data-form=appeal] #photo-rule")  # reasons and photos: a photo is required
    page.fill("[data-form=appeal] textarea[name=reason]", "现场已按标准清理，附照片")
    page.set_input_files("[data-form=appeal] input[name=photos]", jpeg(tmp_path / "proof.jpg"))
    page.click("[data-form=appeal] [data-go]")
    page.wait_for_selector(".timeline li:has-text('申诉')")
    context.close()

    context, page = sign_in(browser, live_server, "supervisor", viewport={"width": 1366, "height": 800})
    page.goto(f"{live_server.url}/desk")
    page.click("button[data-tab=appeals]")
    page.click(f".row[data-id='{tid}']")
    page.click("#actions button[data-action=uphold_appeal]")
    page.fill("[data-form=uphold_appeal] textarea[name=reason]", "照片显示已清理")
    page.click("[data-form=uphold_appeal] [data-go]")
    page.wait_for_selector(".timeline li:has-text('申诉成立')")
    wait_until(lambda: not api(live_server, tokens["supervisor"], "GET", f"/tickets/{tid}")["appeal_pending"], 10)
    context.close()


def test_the_rectify_tab_shows_the_next_period_and_closes_an_item_with_an_account(browser, live_server, web_city,
                                                                                engine):
    """整改 on the desk: last month's on-time rate (75 % under 80 %) opened an item for SANITATION, past its due
    date; this month SANITATION resolved a case on time, so the next period's figure beside it reads 100.0 %
    with this month's grade and score. Another department's item stays out of the list. A short account is
    refused with the server's words in Chinese; a proper one closes the item and it leaves the open list."""
    first = datetime.now(ZoneInfo("Asia/Shanghai")).date().replace(day=1)
    month, last_month = first.strftime("%Y-%m"), (first - timedelta(days=1)).strftime("%Y-%m")
    with Session(engine) as session:
        for owner, name in (("SANITATION", "环境卫生管理处"), ("WATER", "供水管理处")):
            session.add(Rectification(object="department", subject=owner, subject_name=name, owner=owner,
                                      period=last_month, scheme_version=1, reason="on_time_rate", grade="C",
                                      score=66.5, indicator="on_time_rate", value=0.75, threshold=0.8,
                                      due_on=first - timedelta(days=1)))  # last month's last day: past due
        session.commit()
        item_id = session.exec(select(Rectification.id).where(Rectification.owner == "SANITATION")).one()
    tokens = web_city.tokens
    lng, lat = cell_centre(COMMUNITY_A, 6)
    case = api(live_server, tokens["worker_a"], "POST", "/reports",
               json={"lat": lat, "lng": lng, "category_code": "E0101", "description": "路口暴露垃圾"})["ticket"]
    api(live_server, tokens["sanitation"], "POST", f"/tickets/{case['id']}/actions/accept", json={})
    api(live_server, tokens["sanitation"], "POST", f"/tickets/{case['id']}/actions/resolve", data={"reason": "已清运"},
        files=[("photos", ("after.jpg", after_photo(), "image/jpeg"))])
    now = next(i for i in api(live_server, tokens["supervisor"], "GET", "/evaluation/scores",
                              params={"object": "department", "period": month})["items"]
               if i["subject"] == "SANITATION")
    assert now["score"] is not None, now

    context, page = sign_in(browser, live_server, "sanitation", viewport={"width": 1366, "height": 800})
    page.click(".tabs button[data-tab=rectify]:not([hidden])")
    card = page.wait_for_selector(f"#detail [data-rect='{item_id}']")
    assert page.locator("#detail [data-rect]").count() == 1, page.inner_text("#detail")  # not WATER's
    text = card.inner_text()
    assert "环境卫生管理处" in text and "按时处置率 75.0% 低于 80%" in text and last_month in text, text
    assert "已逾期" in card.query_selector("[data-due] dd").inner_text()
    assert card.query_selector("[data-next] dd").inner_text() == (
        f"{month} · {now['grade']} {now['score']:.1f} · 按时处置率 100.0%")
    shot(page, "desk-rectify")

    form = f"form[data-close='{item_id}']"
    # a redraw while the account is being written (a list answer arriving late, a language switch): the field keeps
    # the focus, and the rest of what is typed lands in it
    page.focus(f"{form} textarea")
    page.keyboard.type("已整")
    drawn = page.query_selector(f"{form} textarea")
    page.locator("#lang button").dispatch_event("click")
    page.wait_for_function("el => !el.isConnected", arg=drawn)
    page.keyboard.type("改")
    assert page.input_value(f"{form} textarea") == "已整改"
    page.locator("#lang button").dispatch_event("click")
    page.wait_for_function("() => document.documentElement.lang === 'zh-CN'")
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector(f"{form} .error:has-text('请写明整改情况，至少 10 个字')")
    # a redraw (a language switch, the live refresh) keeps the refusal, in the page's language, and the words typed
    page.locator("#lang button").dispatch_event("click")
    page.wait_for_selector(f"{form} .error:has-text('at least 10')")
    assert page.input_value(f"{form} textarea") == "已整改"
    page.locator("#lang button").dispatch_event("click")
    page.wait_for_selector(f"{form} .error:has-text('请写明整改情况，至少 10 个字')")
    page.fill(f"{form} textarea", "增派两班保洁人员，路口垃圾当日清运，每日巡查两次")
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector("#detail .rect-desk [role=status]:has-text('整改事项已办结')")
    assert page.locator("#detail [data-rect]").count() == 0 and "暂无待办的整改事项" in page.inner_text("#list")
    context.close()

    closed = api(live_server, tokens["sanitation"], "GET", "/evaluation/rectifications", params={"status": "closed"})
    assert [(i["id"], i["closed_by"], i["account"]) for i in closed] == [
        (item_id, "sanitation", "增派两班保洁人员，路口垃圾当日清运，每日巡查两次")]
