"""Issue 12, accessibility and layout. Every page as its users see it (the login, the worker's phone page with its
own cases and a case page, the control-room map with a case panel, a form, history mode and the shift's overview,
the desk with a case and its form open, a case sheet, the admin console's users with a new user's form), in zh-CN
and in English, passes the layout checks of tests/e2e/layout.py at a phone's, a laptop's and a wall screen's
size. In zh-CN each also has one main landmark and one h1, every control is reachable by keyboard, and axe-core
(bundled from npm, web/frontend/node_modules) reports no serious or critical violation of WCAG 2 A/AA: names for
every control, contrast of at least 4.5:1, landmarks, ARIA used correctly.

axe is injected with a <script> element; the pages' Content-Security-Policy forbids inline scripts, so the
contexts of this module (which only run this check) bypass it, as bench/map_render.py does. The map canvas
(MapLibre's WebGL canvas and its markers) is excluded: it is a picture drawn from the data the list beside it
gives in text, and axe cannot read colours off a canvas."""

from __future__ import annotations

from sqlalchemy import text

from tests.e2e.conftest import api, shot, sign_in
from tests.e2e.layout import at_every_size
from tests.support.city import COMMUNITY_A, cell_centre
from tests.support.server import ROOT

AXE = ROOT / "web" / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
LAPTOP = {"width": 1366, "height": 800}




def audit(page, name: str, exclude: tuple[str, ...] = ()) -> list[str]:  # noqa: ANN001
    """The page's serious and critical axe violations (one line each, empty when there are none), and its
    main landmarks and h1s counted. Moderate and minor findings are printed, not failed."""
    shot(page, f"a11y-{name}")
    problems = []
    mains = page.locator("main, [role=main]").count()
    h1s = page.locator("h1").count()
    if mains != 1:
        problems.append(f"{name}: {mains} main landmarks")
    if h1s != 1:
        problems.append(f"{name}: {h1s} h1 elements")
    # every control keyboard-reachable: whatever shows a pointer is, or is inside, something that takes the focus
    # (a label counts when its control does); the maps' canvases have their own keys and zoom buttons
    unreachable = page.evaluate("""() => {
        const focusable = 'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])';
        const out = [];
        for (const el of document.querySelectorAll('body *')) {
            if (el.closest('.maplibregl-map') || !el.getClientRects().length) continue;
            if (getComputedStyle(el).cursor !== 'pointer' || el.closest(focusable)) continue;
            const label = el.closest('label');
            if (label && label.control && !label.control.disabled) continue;
            out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + [...el.classList].join('.'));
        }
        return out;
    }""")
    if unreachable:
        problems.append(f"{name}: not reachable by keyboard: " + ", ".join(unreachable[:6]))
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async (exclude) => {
            const context = exclude.length ? {include: [document], exclude: exclude.map(s => [s])} : document;
            const r = await axe.run(context, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']},
                                               resultTypes: ['violations']});
            const why = (n) => (n.failureSummary || '').split('\\n').slice(1, 2).join('');
            return r.violations.map(v => ({id: v.id, impact: v.impact,
                                           nodes: v.nodes.map(n => n.target.join(' ') + ' ' + why(n))}));
        }""",
        list(exclude),
    )
    for v in result:
        line = f"{name}: {v['impact']} {v['id']} on {len(v['nodes'])}: " + "; ".join(v["nodes"][:4])
        if v["impact"] in ("serious", "critical"):
            problems.append(line)
        else:
            print(line)
    return problems


def shown_data(engine) -> list[str]:  # noqa: ANN001
    """What the pages show as it was written, in whatever language: place names, people's names and user names,
    descriptions, addresses and notes (the layout check's English pass ignores Chinese in these)."""
    with engine.connect() as conn:
        return [v for q in ("SELECT name FROM area", "SELECT display_name FROM app_user",
                            "SELECT username FROM app_user", "SELECT description FROM ticket",
                            "SELECT address FROM ticket", "SELECT reporter_name FROM ticket",
                            "SELECT reason FROM ticket_event")
                for (v,) in conn.execute(text(q)) if v]


def test_every_page_has_one_main_one_h1_no_serious_axe_violation_and_holds_at_every_size(
        browser, live_server, web_city, engine):
    """Every page state below: at a phone's, a laptop's and a wall screen's size, the layout checks of
    tests/e2e/layout.py (nothing scrolls sideways, nothing cut off or overlapping, no raw key, no word of the other
    language) in zh-CN, then switched to English on the page itself (its language button: what a user does, and
    every part of the state must redraw in the new language), then back; in zh-CN also axe, the landmarks and
    the keyboard. One load of each page serves both languages."""
    assert AXE.exists(), "axe-core is not installed (make frontend)"
    lng, lat = cell_centre(COMMUNITY_A, 2)
    case = api(live_server, web_city.tokens["worker_a"], "POST", "/reports",
               json={"lat": lat, "lng": lng, "category_code": "E0101", "description": "桥下暴露垃圾"})["ticket"]
    problems: list[str] = []
    data = shown_data(engine) + ["已电话联系环卫所"]

    def switch(page, lang: str) -> None:  # noqa: ANN001
        page.locator("#lang button").dispatch_event("click")  # (a modal dialog may be open over it)
        page.wait_for_function("(lang) => document.documentElement.lang === lang", arg=lang)

    def check(page, name: str, exclude: tuple[str, ...] = ()) -> None:  # noqa: ANN001
        size = page.viewport_size
        problems.extend(audit(page, name, exclude))
        problems.extend(at_every_size(page, name, "zh-CN", data))
        switch(page, "en")
        problems.extend(at_every_size(page, name, "en", data))
        switch(page, "zh-CN")
        page.set_viewport_size(size)

    def context_options(**options) -> dict:  # noqa: ANN003
        return {"locale": "zh-CN", "bypass_csp": True, **options}

    def signed_in(user: str, **options):  # noqa: ANN003, ANN202
        context, page = sign_in(browser, live_server, user, **context_options(**options))
        return context, page

    # the login page
    context = browser.new_context(**context_options(viewport=LAPTOP))
    page = context.new_page()
    page.goto(f"{live_server.url}/login")
    page.wait_for_selector("#username")
    check(page, "login")
    context.close()
    # the worker's phone page: report form, my cases, a case page
    context, page = signed_in("worker_a", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                              permissions=["geolocation"], geolocation={"latitude": lat, "longitude": lng})
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("#map[data-ready='1']", timeout=30_000)
    page.wait_for_selector("#place[data-status=ok]")
    check(page, "mobile-report", exclude=("#map",))
    page.click(".tabbar button[data-tab=mine]")
    page.wait_for_selector(f"#tab-mine .item[data-id='{case['id']}']")
    check(page, "mobile-mine", exclude=("#map",))
    page.click(f"#tab-mine .item[data-id='{case['id']}']")
    page.wait_for_selector(f".case-page[data-id='{case['id']}']")
    check(page, "mobile-case", exclude=("#map",))
    page.click(".tabbar button[data-tab=tasks]")
    page.wait_for_selector("#tab-tasks:not([hidden])")
    check(page, "mobile-tasks", exclude=("#map",))
    context.close()

    # the control-room map with a case panel open
    context, page = signed_in("dispatcher", viewport={"width": 1920, "height": 1080})
    page.wait_for_selector("#map[data-ready='1']", timeout=30_000)
    page.click(f".row[data-id='{case['id']}']")
    page.wait_for_selector(f".panel-case[data-case='{case['case_number']}']")
    check(page, "map", exclude=("#map",))
    page.click("#actions button[data-action=comment]")  # an act's form, open in the panel
    page.wait_for_selector("[data-form=comment] textarea")
    check(page, "map-form", exclude=("#map",))
    page.fill("[data-form=comment] textarea", "已电话联系环卫所")  # an act of the shift, for its overview
    page.click("[data-form=comment] [data-go]")
    page.wait_for_selector("[data-form=comment]", state="detached")
    page.click("#panel [data-close]")
    page.click("#history-toggle")  # history mode: its dates, slider and heat-map switch
    page.wait_for_selector("#h-time")
    check(page, "map-history", exclude=("#map",))
    page.click("#h-exit")
    page.click("#shift-open")  # the shift's overview, a dialog
    page.wait_for_selector(".shift-table tr[data-user='dispatcher']")
    check(page, "map-shift", exclude=("#map",))
    context.close()

    # the department's desk with the case open, and its case sheet
    context, page = signed_in("sanitation", viewport=LAPTOP)
    page.click(f".row[data-id='{case['id']}']")
    page.wait_for_selector("#actions button[data-action=accept]")
    check(page, "desk", exclude=("#minimap",))
    page.click("#actions button[data-action=accept]")
    page.click("#actions button[data-action=resolve]")  # the resolve form: reply, after-photo
    page.wait_for_selector("[data-form=resolve] input[name=photos]")
    check(page, "desk-form", exclude=("#minimap",))
    page.goto(f"{live_server.url}/cases/{case['id']}/sheet")
    page.wait_for_selector("#sheet[data-ready='1']", timeout=15_000)
    check(page, "sheet")
    context.close()

    # the administration console: the users, and the form for a new one with its map of cells
    context, page = signed_in("admin", viewport=LAPTOP)
    page.goto(f"{live_server.url}/admin#users")
    page.click("#new-user")
    page.wait_for_selector("#cellmap[data-ready='true']", timeout=30_000)
    check(page, "admin-users", exclude=("#cellmap",))
    context.close()

    assert not problems, "\n".join(problems)
