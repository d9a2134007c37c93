"""Signing in through the page lands each role on its own page."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import PASSWORD, shot, sign_in, to_landing


def test_sign_in_lands_by_role(browser, live_server):
    context, page = sign_in(browser, live_server, "dispatcher", form=True)
    assert page.url.endswith("/map")
    context.close()
    context, page = sign_in(browser, live_server, "sanitation", form=True)
    assert page.url.endswith("/desk")
    context.close()
    context = browser.new_context()
    page = context.new_page()
    # ?next= brings the user back to a page of this site, never to another one ("/\host" is "//host" to a browser)
    page.goto(f"{live_server.url}/login?next=/%5Cexample.invalid/m/")
    shot(page, "login")
    page.fill("#username", "dispatcher")
    page.fill("#password", "wrong password")
    page.click("button[type=submit]")
    page.wait_for_selector("#error:not(:empty)")
    assert "错误" in page.inner_text("#error")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/map")
    context.close()


def test_every_page_works_under_its_content_security_policy(browser, live_server):
    """Issue 11, HTTP hardening: a CSP without inline scripts (MapLibre's workers from blob:, the live
    websocket to the same host); the browser reports any violation, and there must be none. The sign-in page
    once (its form signs the dispatcher in), then each other user's landing page with a session from the API."""
    watch = ("document.addEventListener('securitypolicyviolation', e => "
             "(window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI))")
    for user, ready in (("dispatcher", "#live[data-state='online']"), ("sanitation", "body"),
                        ("worker_a", "body"), ("operator", "#pickmap[data-ready=true]"), (None, "#map-hint")):
        violations: list[str] = []
        context = browser.new_context()
        context.add_init_script(watch)
        page = context.new_page()
        page.on("console", lambda m, seen=violations: seen.append(m.text) if "Content Security Policy" in m.text
                else None)
        if user is None:  # the public page, its map loaded on demand (MapLibre and its worker)
            page.goto(f"{live_server.url}/c/")
            page.click("#pick-map")
            page.wait_for_selector("#map canvas")
            page.wait_for_selector("#map-hint:has-text('点一下地图')")  # (not 正在打开地图…, nor that it failed)
            violations += page.evaluate("window.__csp || []")
            assert violations == [], ("public page", violations)
            context.close()
            continue
        if user == "dispatcher":
            page.goto(f"{live_server.url}/login")
            headers = page.context.request.get(f"{live_server.url}/login").headers
            assert "script-src 'self'" in headers["content-security-policy"] and headers["x-content-type-options"]
            page.fill("#username", user)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(lambda url: "/login" not in url)
            page.wait_for_load_state("networkidle")
            page.wait_for_selector("#map[data-ready='1']", timeout=30_000)
        else:  # signed in by the API, straight to the landing page
            to_landing(context, page, live_server, user)
            page.wait_for_load_state("networkidle")
        page.wait_for_selector(ready)
        violations += page.evaluate("window.__csp || []")
        assert violations == [], (user, violations)
        context.close()


def test_a_user_told_to_change_their_password_chooses_one_at_sign_in(browser, live_server, web_city):
    """Issue 11: an admin can force a change at the next sign-in; the sign-in page then asks for the new
    password (twice, with the policy in words), and the user lands on their page with it."""
    admin = {"Authorization": f"Bearer {web_city.tokens['admin']}"}
    r = httpx.post(f"{live_server.url}/api/v1/users/worker_b/require-password-change", headers=admin)
    assert r.status_code == 200 and r.json()["must_change_password"] is True
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/login")
    page.fill("#username", "worker_b")
    page.fill("#password", PASSWORD)
    page.click("form:not(#change) button[type=submit]")
    page.wait_for_selector("#change:not([hidden])")
    assert "至少 10 个字符" in page.inner_text("#change")
    page.fill("#new_password", "password123")
    page.fill("#confirm_password", "password123")
    page.click("#change button[type=submit]")
    page.wait_for_selector("#change-error:not(:empty)")  # a common password: the server's reason, in Chinese
    assert "最常见的密码" in page.inner_text("#change-error")
    shot(page, "login-change-password")
    page.fill("#new_password", "harbour-lantern-quiet")
    page.fill("#confirm_password", "harbour-lantern-quiet")
    page.click("#change button[type=submit]")
    page.wait_for_url(lambda url: url.endswith("/m/"))
    context.close()
    again = httpx.post(f"{live_server.url}/api/v1/login", json={"username": "worker_b",
                                                                 "password": "harbour-lantern-quiet"})
    assert again.status_code == 200 and again.json()["must_change_password"] is False
