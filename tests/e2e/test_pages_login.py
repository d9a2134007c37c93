"""Signing in through the page lands each role on its own page."""

from __future__ import annotations

from tests.e2e.conftest import PASSWORD, shot, sign_in


def test_sign_in_lands_by_role(browser, live_server):
    context, page = sign_in(browser, live_server, "dispatcher")
    assert page.url.endswith("/map")
    context.close()
    context, page = sign_in(browser, live_server, "sanitation")
    assert page.url.endswith("/desk")
    context.close()
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/login")
    shot(page, "login")
    page.fill("#username", "dispatcher")
    page.fill("#password", "wrong password")
    page.click("button[type=submit]")
    page.wait_for_selector("#error:not(:empty)")
    assert "错误" in page.inner_text("#error")
    context.close()


def test_every_page_works_under_its_content_security_policy(browser, live_server):
    """Issue 11, HTTP hardening: a CSP without inline scripts (MapLibre's workers from blob:, the live
    websocket to the same host); the browser reports any violation, and there must be none."""
    for user, ready in (("dispatcher", "#live[data-state='online']"), ("sanitation", "body"),
                        ("worker_a", "body")):
        violations: list[str] = []
        context = browser.new_context()
        context.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                                "(window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI))")
        page = context.new_page()
        page.on("console", lambda m, seen=violations: seen.append(m.text) if "Content Security Policy" in m.text
                else None)
        page.goto(f"{live_server.url}/login")
        headers = page.context.request.get(f"{live_server.url}/login").headers
        assert "script-src 'self'" in headers["content-security-policy"] and headers["x-content-type-options"]
        page.fill("#username", user)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        page.wait_for_load_state("networkidle")
        if user == "dispatcher":
            page.wait_for_selector("#map[data-ready='1']", timeout=30_000)
        page.wait_for_selector(ready)
        violations += page.evaluate("window.__csp || []")
        assert violations == [], (user, violations)
        context.close()
