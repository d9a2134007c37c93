"""The pages speak the page's language for what the server decides: a routing decision's reason and an
act the case's state refuses read in Chinese on the zh-CN control-room map, not in the server's English."""

from __future__ import annotations

from tests.e2e.test_map import api, open_map, report
from tests.support.city import COMMUNITY_B


def test_routing_reasons_and_refusals_read_in_chinese(browser, live_server, web_city) -> None:  # noqa: ANN001
    case = report(live_server, web_city, "worker_b", COMMUNITY_B, 4, "E0601", "楼道口堆放无主杂物")
    assert case["status"] == "registered"  # E06 has no routing rule in the test city
    context, page = open_map(browser, live_server)
    page.click(f".row[data-id='{case['id']}']")
    page.wait_for_selector(f".panel-case[data-case='{case['case_number']}']")
    panel = page.inner_text("#panel")
    assert "没有匹配的派遣规则" in panel and "no routing rule" not in panel

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
