"""同一问题 on the hotline: a "same problem" counts another person, so the number that reported a case cannot
support it (own_report, 409; before, a caller's repeat call made "共 1 人次反映" of their own case), while another
number counts once (already_supported)."""

from __future__ import annotations

from tests.support.city import COMMUNITY_A, Api, cell_centre

CALLER = "13900001111"


def support(api: Api, case_id: int, phone: str):  # noqa: ANN201
    return api.act("operator", case_id, "support", payload={"contact_phone": phone})


def test_the_reporter_s_own_number_does_not_support_its_case(api: Api) -> None:
    lng, lat = cell_centre(COMMUNITY_A, 3)
    filed = api.post("operator", "/api/v1/reports", json={
        "lat": lat, "lng": lng, "category_code": "E0101", "description": "路边垃圾堆积", "address": "中山东一路12号",
        "contact_name": "王五", "contact_phone": "139-0000-1111"})
    assert filed.status_code == 201, filed.text
    case = filed.json()["ticket"]

    for own in (CALLER, "+86 139 0000 1111"):  # the same number, however it is written
        refused = support(api, case["id"], own)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"] == "own_report" and refused.json()["status"] == "verifying"
    assert api.get("operator", f"/api/v1/tickets/{case['id']}").json()["support_count"] == 0

    other = support(api, case["id"], "13900002222")
    assert other.status_code == 200, other.text
    assert other.json()["support_count"] == 1
    again = support(api, case["id"], "139 0000 2222")
    assert again.status_code == 409 and again.json()["error"] == "already_supported"
    assert api.get("operator", f"/api/v1/tickets/{case['id']}").json()["support_count"] == 1


def test_a_citizen_s_number_does_not_support_their_own_report_by_phone(api: Api) -> None:
    lng, lat = cell_centre(COMMUNITY_A, 2)
    filed = api.client.post("/public/v1/reports", json={
        "lat": lat, "lng": lng, "category_code": "E0101", "description": "楼下垃圾好几天没人清",
        "contact_phone": CALLER, "client_id": "c-1"})
    assert filed.status_code == 201, filed.text
    found = api.get("operator", "/api/v1/tickets", params={"phone": CALLER}).json()["items"]
    assert [c["case_number"] for c in found] == [filed.json()["case_number"]]
    refused = support(api, found[0]["id"], CALLER)  # the citizen calls the hotline about it
    assert refused.status_code == 409 and refused.json()["error"] == "own_report"
