"""Signing in through the page lands each role on its own page."""

from __future__ import annotations

from tests.e2e.conftest import shot, sign_in


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
