"""Routing "try it" (issue 13): the decision the service would make for a point and a category, before and
after a proposed rule edit, with nothing saved."""

from __future__ import annotations

from tests.support.city import COMMUNITY_A, COMMUNITY_B, DISTRICT, Api, cell_centre, cell_code

LNG, LAT = cell_centre(COMMUNITY_A, 2)


def tried(api: Api, **body):  # noqa: ANN003, ANN201
    return api.post("admin", "/api/v1/routing-rules/try", json={"lat": LAT, "lng": LNG, "category_code": "E0101",
                                                                **body})


def test_a_point_and_a_category_decided_before_and_after_a_proposed_rule(api: Api) -> None:
    rules_before = api.get("admin", "/api/v1/routing-rules").json()
    district_rule = next(r for r in rules_before if r["category"] == "E01")
    # a rule for exposed rubbish in community A only, to the street office
    r = tried(api, rule={"category": "E0101", "area_code": COMMUNITY_A, "department_code": "STREET_OFFICE"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["cell_code"] == cell_code(COMMUNITY_A, 2)
    now, after = body["now"], body["after"]
    assert now["department_code"] == "SANITATION"
    assert now["rule"] == {"id": district_rule["id"], "category": "E01", "area_code": DISTRICT, "urgency": "",
                           "department_code": "SANITATION", "proposed": False}
    assert now["reason"] == f"rule #{district_rule['id']}: E01 in {DISTRICT} → SANITATION"
    assert now["reason_code"] == "rule" and now["reason_params"]["rule_id"] == district_rule["id"]
    assert after["department_code"] == "STREET_OFFICE"
    assert after["rule"] == {"id": None, "category": "E0101", "area_code": COMMUNITY_A, "urgency": "",
                             "department_code": "STREET_OFFICE", "proposed": True}
    assert after["reason"] == f"the proposed rule: E0101 in {COMMUNITY_A} → STREET_OFFICE"
    # the same proposal leaves community B where it was
    lng_b, lat_b = cell_centre(COMMUNITY_B, 1)
    other = tried(api, lat=lat_b, lng=lng_b,
                  rule={"category": "E0101", "area_code": COMMUNITY_A, "department_code": "STREET_OFFICE"}).json()
    assert other["now"]["department_code"] == other["after"]["department_code"] == "SANITATION"
    assert other["after"]["rule"]["proposed"] is False
    # changing the existing rule's department: that rule, with its id, decides after
    changed = tried(api, rule={"category": "e01", "area_code": DISTRICT, "department_code": "WATER"}).json()["after"]
    assert changed["department_code"] == "WATER"
    assert changed["rule"]["id"] == district_rule["id"] and changed["rule"]["proposed"] is True
    # no rule for other events: the dispatcher decides, the category's default department suggested
    none = tried(api, category_code="E0601").json()
    assert none["now"]["department_code"] is None and none["now"]["reason_code"] == "no_rule"
    assert none["now"]["reason_params"]["cell_code"] == cell_code(COMMUNITY_A, 2)
    assert none["after"] is None
    # nothing was saved, and a report now goes where "now" said
    assert api.get("admin", "/api/v1/routing-rules").json() == rules_before
    report = api.report("worker_a", COMMUNITY_A, 2).json()["ticket"]
    assert report["department_code"] == "SANITATION"


def test_try_refuses_what_add_rule_refuses_and_non_admins(api: Api) -> None:
    r = tried(api, rule={"category": "E01", "department_code": "NOBODY"})
    assert r.status_code == 422 and r.json()["error"] == "unknown_department"
    r = tried(api, rule={"category": "E01", "area_code": "999999", "department_code": "WATER"})
    assert r.status_code == 422 and r.json()["error"] == "unknown_area"
    r = tried(api, lng=LNG + 1)
    assert r.status_code == 422 and r.json()["error"] == "outside_managed_area"
    r = tried(api, urgency="soon")
    assert r.status_code == 422 and r.json()["error"] == "unknown_urgency"
    assert api.post("dispatcher", "/api/v1/routing-rules/try",
                    json={"lat": LAT, "lng": LNG, "category_code": "E0101"}).status_code == 403
