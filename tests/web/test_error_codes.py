"""Every refusal a page meets in normal use carries a stable code and its parameters as fields (the pages
translate it; ``message`` stays English for API users), and each routing decision its reason as a code."""

from __future__ import annotations

import io

from PIL import Image

from tests.support.city import COMMUNITY_A


def _case(api, category: str = "E0101") -> dict:  # noqa: ANN001
    r = api.report("worker_a", community=COMMUNITY_A, k=1, category_code=category)
    assert r.status_code == 201, r.text
    return r.json()["ticket"]


def test_an_act_the_state_does_not_allow_names_the_state_and_the_act(api) -> None:  # noqa: ANN001
    case = _case(api)
    assert case["status"] == "dispatched"
    r = api.act("worker_a", case["id"], "check_pass")
    assert r.status_code == 409
    body = r.json()
    assert body["error"] == "illegal_transition"
    assert body["status"] == "dispatched" and body["action"] == "check_pass" and body["role"] == "worker"
    assert "cannot check_pass" in body["message"]


def test_a_stale_version_is_a_version_conflict_with_both_versions(api) -> None:  # noqa: ANN001
    case = _case(api)
    r = api.act("sanitation", case["id"], "accept", version=case["version"] - 1)
    assert r.status_code == 409
    body = r.json()
    assert body["error"] == "version_conflict"
    assert body["version"] == case["version"] and body["expected"] == case["version"] - 1
    assert body["status"] == "dispatched"


def test_report_refusals_name_what_is_wrong(api) -> None:  # noqa: ANN001
    far = api.post("worker_a", "/api/v1/reports", json={"lat": 39.9, "lng": 116.4, "category_code": "E0101",
                                                        "description": "x"})
    assert far.status_code == 422
    assert far.json()["error"] == "outside_managed_area"
    assert far.json()["nearest_cell"] and far.json()["distance_m"] > 1_000_000 and far.json()["lat"] == 39.9

    unknown = api.report("worker_a", category_code="Z9999")
    assert unknown.status_code == 422
    assert unknown.json()["error"] == "unknown_category" and unknown.json()["value"] == "Z9999"

    empty = api.report("worker_a", description="   ")
    assert empty.status_code == 422
    assert empty.json()["error"] == "text_required" and empty.json()["field"] == "description"

    long = api.report("worker_a", description="长" * 5000)
    assert long.status_code == 422
    assert long.json()["error"] == "text_too_long" and long.json()["length"] == 5000 and long.json()["limit"] < 5000

    urgent = api.report("worker_a", urgency="very")
    assert urgent.status_code == 422
    assert urgent.json()["error"] == "unknown_urgency" and "urgent" in urgent.json()["allowed"]


def test_a_photo_too_large_says_the_limit_in_bytes(api, settings) -> None:  # noqa: ANN001
    noise = Image.effect_noise((800, 800), 100).convert("RGB")
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert len(out.getvalue()) > settings.max_photo_bytes
    r = api.post("worker_a", "/api/v1/reports",
                 data={"lat": "31.2305", "lng": "121.4805", "category_code": "E0101", "description": "x"},
                 files=[("photos", ("big.png", out.getvalue(), "image/png"))])
    assert r.status_code == 413
    assert r.json()["error"] == "photo_too_large" and r.json()["limit_bytes"] == settings.max_photo_bytes


def test_routing_decisions_carry_their_reason_as_a_code(api) -> None:  # noqa: ANN001
    by_rule = _case(api)
    routing = api.get("dispatcher", f"/api/v1/tickets/{by_rule['id']}").json()["routing"]
    assert [r["reason_code"] for r in routing] == ["rule"]
    assert routing[0]["reason_params"] == {"rule_id": routing[0]["rule_id"], "category": "E01",
                                           "area_code": "310101", "urgency": "", "department_code": "SANITATION"}

    no_rule = _case(api, "C0201")  # traffic signal: no rule in the test city
    assert no_rule["status"] == "registered"
    r = api.act("dispatcher", no_rule["id"], "dispatch", payload={"department_code": "ROADS"})
    assert r.status_code == 200, r.text
    routing = r.json()["routing"]
    assert [x["reason_code"] for x in routing] == ["no_rule", "manual"]
    assert routing[0]["reason_params"] == {"category_code": "C0201", "cell_code": f"{COMMUNITY_A}001",
                                           "suggested_department_code": "TRAFFIC"}
    assert routing[1]["reason_params"] == {"username": "dispatcher", "as_suggested": False,
                                           "suggested_department_code": "TRAFFIC"}


def test_the_systems_notes_on_its_own_acts_come_with_a_code_the_pages_translate(api):
    """Issue 12: a timeline read "auto-registered: …" and "rule #1: …" in English in the zh-CN pages."""
    case = api.report("worker_a").json()["ticket"]
    timeline = api.get("dispatcher", f"/api/v1/tickets/{case['id']}").json()["timeline"]
    notes = {e["action"]: (e["reason_code"], e["reason_params"]) for e in timeline if e["role"] == "system"}
    assert notes["register"] == ("auto_registered", {})
    code, params = notes["dispatch"]
    assert code == "rule" and params["department_code"] == "SANITATION" and params["category"] == "E01"
    assert all(e["reason_code"] is None for e in timeline if e["role"] != "system")  # people's words stay theirs
