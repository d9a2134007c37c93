"""满意率 and 申诉: a bad rating whose appeal a supervisor upheld no longer counts in the department's
satisfaction rate; one whose appeal was dismissed still does (DOMAIN.md: ratings excluded after an upheld appeal)."""

from __future__ import annotations

from tests.support.city import Api
from tests.web.test_evaluation import DAY, by_subject, fig, scores
from tests.web.test_public import appeal, case_id, close_case, file, ok


def test_an_upheld_appeal_leaves_the_satisfaction_rate_a_dismissed_one_does_not(api: Api, engine, clock):  # noqa: ANN001
    cases = {}
    for name, phone, level in (("good", "13900001001", "satisfied"), ("upheld", "13900001002", "dissatisfied"),
                               ("dismissed", "13900001003", "very_dissatisfied")):
        made = file(api.client, contact_phone=phone, client_id=f"c-{name}")
        cases[name] = case_id(engine, made["case_number"])
        close_case(api, cases[name])
        clock.advance(minutes=5)
        ok(api.client.post(f"/public/v1/track/{made['tracking_token']}/rating", json={"level": level}))
    satisfaction = by_subject(scores(api, "department", DAY))["SANITATION"]
    assert fig(satisfaction, "satisfaction_rate") == (1, 3)  # every rating counts until an appeal is upheld

    for name in ("upheld", "dismissed"):
        clock.advance(minutes=5)
        ok(appeal(api, cases[name], "现场已清理干净"))
    assert fig(by_subject(scores(api, "department", DAY))["SANITATION"], "satisfaction_rate") == (1, 3)
    clock.advance(minutes=5)
    ok(api.act("supervisor", cases["upheld"], "uphold_appeal", reason="照片显示已清理"))
    ok(api.act("supervisor", cases["dismissed"], "dismiss_appeal", reason="照片不能说明问题"))
    after = by_subject(scores(api, "department", DAY))["SANITATION"]
    assert fig(after, "satisfaction_rate") == (1, 2)  # the upheld one left out, the dismissed one counted
    drill = ok(api.get("supervisor", "/api/v1/evaluation/cases", params={
        "object": "department", "subject": "SANITATION", "indicator": "satisfaction_rate", "period": DAY}))
    assert sorted((c["id"], c["hit"]) for c in drill["items"]) == sorted(
        [(cases["good"], True), (cases["dismissed"], False)])
