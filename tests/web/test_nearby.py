"""GET /api/v1/nearby: open cases of the same category within the duplicate radius, asked by the mobile
page before a report is filed, so a worker can support the existing case instead of filing a duplicate."""

from __future__ import annotations

from tests.support.city import COMMUNITY_A, COMMUNITY_B, cell_centre


def nearby(api, user: str, lng: float, lat: float, category: str = "E0101", **extra):  # noqa: ANN001, ANN003, ANN201
    return api.get(user, "/api/v1/nearby", params={"lat": lat, "lng": lng, "category_code": category, **extra})


def test_open_cases_of_the_category_within_the_radius_nearest_first(api):
    lng, lat = cell_centre(COMMUNITY_A, 1)
    far = api.report("worker_a", k=1, lng=lng + 0.0003).json()["ticket"]  # about 29 m east
    near = api.report("worker_a", k=1, lng=lng + 0.0001).json()["ticket"]  # about 10 m east
    api.report("worker_a", k=1, category_code="C0101", description="井盖缺失")  # another category
    api.report("worker_a", k=1, lng=lng + 0.0008)  # about 76 m: outside the 50 m radius
    gone = api.report("worker_a", k=1).json()["ticket"]
    api.act("dispatcher", gone["id"], "request_void", reason="重复上报")
    api.act("shift_lead", gone["id"], "approve_void")  # void: no longer open

    r = nearby(api, "worker_a", lng, lat)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["radius_m"] == 50
    assert [i["id"] for i in body["items"]] == [near["id"], far["id"]]
    first = body["items"][0]
    assert first["case_number"] == near["case_number"] and 8 < first["distance_m"] < 12
    assert first["support_count"] == 0 and first["description"] == "暴露垃圾一堆"

    assert api.act("worker_a", near["id"], "support").status_code == 200
    assert nearby(api, "worker_a", lng, lat).json()["items"][0]["support_count"] == 1


def test_a_worker_sees_only_the_cases_in_their_scope(api):
    lng, lat = cell_centre(COMMUNITY_B, 1)
    case = api.report("worker_b", community=COMMUNITY_B, k=1).json()["ticket"]
    assert [i["id"] for i in nearby(api, "worker_b", lng, lat).json()["items"]] == [case["id"]]
    assert nearby(api, "dispatcher", lng, lat).json()["items"][0]["id"] == case["id"]
    assert nearby(api, "worker_a", lng, lat).json()["items"] == []  # not worker_a's cell nor report


def test_other_coordinate_systems_are_converted_first(api):
    lng, lat = cell_centre(COMMUNITY_A, 2)
    case = api.report("worker_a", k=2).json()["ticket"]
    # the same place in GCJ-02 is a few hundred metres off in raw numbers
    r = nearby(api, "worker_a", lng + 0.00447, lat - 0.00205, crs="gcj02")
    assert [i["id"] for i in r.json()["items"]] == [case["id"]]


def test_bad_input_answers_422_with_a_message(api):
    lng, lat = cell_centre(COMMUNITY_A, 1)
    r = nearby(api, "worker_a", lng, lat, category="Z9999")
    assert r.status_code == 422 and r.json()["error"] == "unknown_category"
    assert "GET /api/v1/categories" in r.json()["message"]
    r = nearby(api, "worker_a", lng, 95)
    assert r.status_code == 422 and "lat" in r.json()["message"]
    r = nearby(api, "worker_a", "east", lat)
    assert r.status_code == 422 and "lng" in r.json()["message"]
    r = nearby(api, "worker_a", lng, lat, crs="epsg:3857")
    assert r.status_code == 422 and "coordinate system" in r.json()["message"]
    r = api.get("worker_a", "/api/v1/nearby", params={"lat": lat, "lng": lng})
    assert r.status_code == 422 and "category_code" in r.json()["message"]
    anonymous = api.client.get("/api/v1/nearby", params={"lat": lat, "lng": lng, "category_code": "E0101"})
    assert anonymous.status_code == 401
