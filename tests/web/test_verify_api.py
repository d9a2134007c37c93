"""Verifying a hotline report on site: 属实 (verify) with an optional photo, 不属实 (verify_untrue) with the
worker's reason and photo, after which the shift lead rejects the case (不予立案) or registers it anyway; the
worker's finding stays on the case's record for the reporter. Photos of check pass and fail are kept too."""

from __future__ import annotations

import io

from PIL import Image

from tests.support.city import COMMUNITY_A


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 90, 60)).save(out, "JPEG")
    return out.getvalue()


PHOTO = [("photos", ("site.jpg", jpeg(), "image/jpeg"))]


def hotline_case(api, k: int = 2) -> dict:  # noqa: ANN001
    """A case the hotline filed in worker_a's cell: it waits for the worker to verify it on site."""
    case = api.report("dispatcher", COMMUNITY_A, k, description="市民来电：路边垃圾堆").json()["ticket"]
    assert case["status"] == "verifying"
    return case


def timers(api, tid: int) -> dict[str, dict]:  # noqa: ANN001
    return {t["stage"]: t for t in api.get("shift_lead", f"/api/v1/tickets/{tid}").json()["timers"]}


def test_verify_takes_a_photo_filed_under_the_verify_stage(api):
    case = hotline_case(api)
    r = api.post("worker_a", f"/api/v1/tickets/{case['id']}/actions/verify", data={"reason": "现场属实"}, files=PHOTO)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "reported"
    assert [p["stage"] for p in body["photos"]] == ["verify"]
    assert body["timeline"][-1]["payload"]["photos"] == 1
    assert body["photos"][0]["event_seq"] == body["timeline"][-1]["seq"]  # who took it, and when: its act
    photo = api.get("dispatcher", body["photos"][0]["url"])
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"


def test_verify_untrue_needs_a_reason_and_a_photo_and_waits_for_the_shift_lead(api):
    case = hotline_case(api)
    tid = case["id"]
    assert "verify_untrue" in api.get("worker_a", f"/api/v1/tickets/{tid}").json()["allowed_actions"]
    no_photo = api.act("worker_a", tid, "verify_untrue", reason="现场无垃圾")
    assert no_photo.status_code == 422 and no_photo.json()["field"] == "photos"
    no_reason = api.post("worker_a", f"/api/v1/tickets/{tid}/actions/verify_untrue", files=PHOTO)
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    other_cell = api.post("worker_b", f"/api/v1/tickets/{tid}/actions/verify_untrue", data={"reason": "x"},
                          files=PHOTO)
    assert other_cell.status_code in (403, 404)

    r = api.post("worker_a", f"/api/v1/tickets/{tid}/actions/verify_untrue", data={"reason": "现场无垃圾，已清扫"},
                 files=PHOTO)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "verify_disputed"
    assert [p["stage"] for p in body["photos"]] == ["verify"]
    assert body["timestamps"]["verified"] is not None
    t = timers(api, tid)
    assert t["verify"]["fulfilled_at"] is not None and not t["verify"]["active"]
    assert t["register"]["active"]  # the shift lead's decision is timed like any registration
    assert body["sla"]["stage"] == "register"
    lead = api.get("shift_lead", f"/api/v1/tickets/{tid}").json()["allowed_actions"]
    assert {"reject", "register"} <= set(lead)
    assert "verify_untrue" not in api.get("worker_a", f"/api/v1/tickets/{tid}").json()["allowed_actions"]
    listed = api.get("shift_lead", "/api/v1/tickets", params={"status": "verify_disputed"}).json()
    assert [i["id"] for i in listed["items"]] == [tid]


def test_the_shift_lead_rejects_a_case_found_untrue_and_the_reason_stays_for_the_reporter(api):
    tid = hotline_case(api)["id"]
    api.post("worker_a", f"/api/v1/tickets/{tid}/actions/verify_untrue", data={"reason": "现场无垃圾"}, files=PHOTO)
    r = api.act("shift_lead", tid, "reject", reason="核实不属实")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "rejected"
    assert not any(t["active"] for t in timers(api, tid).values())
    seen = api.get("dispatcher", f"/api/v1/tickets/{tid}").json()  # the hotline operator who filed it
    finding = next(e for e in seen["timeline"] if e["action"] == "verify_untrue")
    assert (finding["actor"], finding["reason"], finding["to_status"]) == ("worker_a", "现场无垃圾", "verify_disputed")
    assert [e["action"] for e in seen["timeline"]][-1] == "reject"
    assert [p["stage"] for p in seen["photos"]] == ["verify"]


def test_the_shift_lead_may_register_a_case_found_untrue_anyway(api):
    tid = hotline_case(api)["id"]
    api.post("worker_a", f"/api/v1/tickets/{tid}/actions/verify_untrue", data={"reason": "未见问题"}, files=PHOTO)
    assert api.act("worker_a", tid, "register").status_code == 403
    r = api.act("shift_lead", tid, "register", reason="市民再次来电确认")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "registered"
    t = timers(api, tid)
    assert t["register"]["fulfilled_at"] is not None and t["dispatch"]["active"]


def test_check_pass_and_fail_keep_their_photos(api):
    case = api.report("worker_a", COMMUNITY_A, 3).json()["ticket"]
    tid = case["id"]
    assert case["status"] == "dispatched"
    api.act("sanitation", tid, "accept")
    resolve = api.post("sanitation", f"/api/v1/tickets/{tid}/actions/resolve", data={"reason": "已清运"}, files=PHOTO)
    assert resolve.status_code == 200, resolve.text
    failed = api.post("worker_a", f"/api/v1/tickets/{tid}/actions/check_fail", data={"reason": "仍有残留"},
                      files=PHOTO)
    assert failed.status_code == 200 and failed.json()["status"] == "rework"
    api.post("sanitation", f"/api/v1/tickets/{tid}/actions/resolve", data={"reason": "已清理"}, files=PHOTO)
    passed = api.post("worker_a", f"/api/v1/tickets/{tid}/actions/check_pass", files=PHOTO)
    assert passed.status_code == 200 and passed.json()["status"] == "checked"
    assert [p["stage"] for p in passed.json()["photos"]] == ["resolve", "check", "resolve", "check"]
