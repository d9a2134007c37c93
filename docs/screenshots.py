"""Screenshots of every page for the README, at phone (360×740), laptop (1366×768) and wall (1920×1080) size,
in zh-CN (and a few in English, named *-en), taken from a running demo (`make demo`, then
`uv run python docs/screenshots.py [URL]`). Debian's Chromium drives them (no downloaded browser); the files
land in docs/screenshots/."""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

URL = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(__file__).resolve().parent / "screenshots"
PASSWORD = "gridops-demo"
SIZES = {"phone": (360, 740), "laptop": (1366, 768), "wall": (1920, 1080)}
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--use-gl=swiftshader",
        "--enable-unsafe-swiftshader"]


def signed_in(browser, user: str, size: str, lang: str = "zh-CN", **extra) -> Page:  # noqa: ANN001, ANN003
    w, h = SIZES[size]
    context = browser.new_context(viewport={"width": w, "height": h}, **extra)
    context.add_init_script(f"localStorage.setItem('gridops.lang', {lang!r})")
    page = context.new_page()
    page.goto(f"{URL}/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("form:not(#change) button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.wait_for_load_state("networkidle")
    return page


def shot(page: Page, name: str) -> None:
    page.wait_for_timeout(600)
    page.screenshot(path=str(OUT / f"{name}.png"))
    print(name)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for size in ("phone", "laptop"):
            page = browser.new_context(viewport=dict(zip(("width", "height"), SIZES[size], strict=True))).new_page()
            page.goto(f"{URL}/login")
            shot(page, f"login-{size}")

        for lang, suffix in (("zh-CN", ""), ("en", "-en")):
            phone = signed_in(browser, "worker", "phone", lang, is_mobile=True, has_touch=True, device_scale_factor=2)
            phone.wait_for_selector("#map[data-ready='1']", timeout=60_000)
            shot(phone, f"mobile-report-phone{suffix}")
            phone.click("button[data-tab='mine']")
            phone.wait_for_selector("#tab-mine .row, #tab-mine [data-id]", timeout=10_000)
            shot(phone, f"mobile-mine-phone{suffix}")
        page = signed_in(browser, "worker", "laptop")
        page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
        shot(page, "mobile-report-laptop")

        page = signed_in(browser, "dispatcher", "phone")
        page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
        shot(page, "map-phone")
        page = signed_in(browser, "dispatcher", "laptop", "en")
        page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
        shot(page, "map-laptop-en")
        for size in ("laptop", "wall"):
            page = signed_in(browser, "dispatcher", size)
            page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
            shot(page, f"map-{size}")
            page.click("#list .row")
            page.wait_for_selector("#panel:not([hidden]) .panel-case")
            shot(page, f"map-case-{size}")
        page.click("#panel [data-close]")
        page.click("#reset-filters")  # (also shows the whole city again)
        page.click("#history-toggle")
        page.eval_on_selector("#h-from", "el => { const d = new Date(Date.now() - 6 * 864e5); "
                              "el.value = d.toISOString().slice(0, 10); }")
        page.click("#h-load")
        page.wait_for_selector("#map[data-history]:not([data-history=''])", timeout=20_000)
        page.wait_for_timeout(1200)
        shot(page, "map-history-wall")

        for size, lang, suffix in (("laptop", "zh-CN", ""), ("phone", "zh-CN", ""), ("laptop", "en", "-en")):
            page = signed_in(browser, "sanitation", size, lang)
            page.wait_for_selector("#list [data-id], .queue [data-id], [data-id]", timeout=20_000)
            page.click("[data-id]")
            page.wait_for_timeout(800)
            shot(page, f"desk-{size}{suffix}")
            if not suffix:
                case_id = page.evaluate("location.hash.slice(1) || document.querySelector('[data-id]').dataset.id")
                page.goto(f"{URL}/cases/{case_id}/sheet")
                page.wait_for_selector("#sheet[data-ready='1']", timeout=20_000)
                shot(page, f"case-sheet-{size}")

        page = signed_in(browser, "admin", "laptop")  # the console: a grid worker's cells on the map
        page.goto(f"{URL}/admin#users")
        page.click("#user-list [data-user='worker']")
        page.wait_for_selector("#cellmap[data-ready='true']", timeout=30_000)
        page.evaluate("scrollTo(0, 0); const e = document.querySelector('#user-editor'); "
                      "e.scrollTop = e.querySelector('#cells-box').offsetTop - 12")
        shot(page, "admin-laptop")
        page.goto(f"{URL}/admin#calendars")
        page.wait_for_selector("#year button.day")
        shot(page, "admin-calendar-laptop")
        public_pages(browser)
        browser.close()


def public_pages(browser) -> None:  # noqa: ANN001
    """The citizen's page (report, then the tracking link of the report it files) and the hotline screen."""
    where = {"latitude": 31.2350, "longitude": 121.4880}  # inside the demo city
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2, permissions=["geolocation"], geolocation=where)
    page = context.new_page()
    page.goto(f"{URL}/c/")
    page.wait_for_selector("body[data-ready='1']")
    page.click("#use-gps")
    page.click("#categories button[data-code=E0101]")
    page.fill("#description", "小区门口垃圾堆了两天没人清运")
    page.evaluate("document.activeElement.blur(); scrollTo(0, 0)")
    shot(page, "citizen-report-phone")
    made = page.request.post(f"{URL}/public/v1/reports", data={
        "lat": where["latitude"], "lng": where["longitude"], "category_code": "E0101",
        "description": "小区门口垃圾堆了两天没人清运", "contact_name": "王女士", "contact_phone": "13800138001"}).json()
    page.goto(URL + made["tracking_url"])
    page.wait_for_selector("body[data-ready='1']")
    shot(page, "citizen-track-phone")
    page = signed_in(browser, "operator", "laptop")
    page.fill("#caller-phone", "13800138001")  # a demo caller: the number's earlier cases appear beside the form
    page.wait_for_selector("#history li, #history .case", timeout=10_000)
    page.fill("#caller-name", "王女士")
    shot(page, "hotline-laptop")
    page.click("#tab-callbacks")
    page.wait_for_selector(".cb-row", timeout=10_000)
    page.click(".cb-row")
    shot(page, "hotline-callbacks-laptop")


if __name__ == "__main__":
    main()
