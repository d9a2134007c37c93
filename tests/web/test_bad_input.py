"""Each kind of bad input gets a clear 4xx and leaves nothing half-written."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from dispatch.models import Photo, Ticket, TicketEvent
from tests.support.city import X0, Y0, D


def counts(engine) -> tuple[int, int, int]:  # noqa: ANN001
    with engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (Ticket.__table__, TicketEvent.__table__, Photo.__table__))


def jpeg(size=(64, 48), exif: bool = False) -> bytes:  # noqa: ANN001
    img = Image.new("RGB", size, (200, 80, 40))
    out = io.BytesIO()
    if exif:
        info = Image.Exif()
        info[0x010F] = "PhoneMaker"  # Make
        info[0x8825] = {2: (31.0, 13.0, 48.0), 4: (121.0, 28.0, 48.0)}  # GPS
        img.save(out, "JPEG", exif=info)
    else:
        img.save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"lat": 95, "lng": 121.48}, "lat"),
        ({"lat": 31.23, "lng": 181}, "lng"),
        ({"lat": "north", "lng": 121.48}, "lat"),
        ({"lat": "NaN", "lng": 121.48}, "lat"),
        ({"lat": True, "lng": 121.48}, "lat"),
        ({"lat": 31.23, "lng": 121.48, "crs": "EPSG:3857"}, "gcj02"),
        ({"category_code": "Z9999"}, "unknown category"),
        ({"description": "   "}, "description is empty"),
        ({"description": "很" * 10_001}, "keep it under"),
        ({"urgency": "yesterday"}, "urgency"),
    ],
)
def test_bad_report_fields(api, engine, fields, fragment):
    body = {"lat": 31.2305, "lng": 121.4805, "category_code": "E0101", "description": "垃圾", **fields}
    r = api.post("worker_a", "/api/v1/reports", json=body)
    assert r.status_code == 422, r.text
    assert fragment in r.json()["message"]
    assert counts(engine) == (0, 0, 0)


def test_missing_field_and_broken_json(api, engine):
    r = api.post("worker_a", "/api/v1/reports", json={"lat": 31.2305, "lng": 121.4805, "description": "x"})
    assert r.status_code == 422 and "category_code" in r.json()["message"]
    r = api.post("worker_a", "/api/v1/reports", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "not valid JSON" in r.json()["message"]
    assert counts(engine) == (0, 0, 0)


def test_point_outside_the_managed_area(api, engine):
    r = api.report("worker_a", lat=31.2305, lng=121.4905)  # about 430 m east of the last cell
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "outside_managed_area" and "outside the managed area" in body["message"]
    assert body["nearest_cell"] == "310101001002003"
    assert 400 < body["distance_m"] < 460  # 0.0045° of longitude at 31.23° N ≈ 429 m
    assert counts(engine) == (0, 0, 0)
    assert api.get("worker_a", "/api/v1/locate", params={"lat": 31.2305, "lng": 121.4905}).status_code == 422


def test_gcj02_input_is_converted(api):
    from prcoords import wgs_gcj

    gcj_lat, gcj_lng = wgs_gcj((31.2305, 121.4805))
    r = api.report("worker_a", lat=gcj_lat, lng=gcj_lng, crs="gcj02")
    assert r.status_code == 201, r.text
    t = r.json()["ticket"]
    assert t["cell_code"] == "310101001001001"
    assert abs(t["lat"] - 31.2305) < 1e-5 and abs(t["lng"] - 121.4805) < 1e-5


def _multipart(api, files, **extra):  # noqa: ANN001, ANN003, ANN202
    data = {"lat": "31.2305", "lng": "121.4805", "category_code": "E0101", "description": "有照片的上报", **extra}
    return api.post("worker_a", "/api/v1/reports", data=data, files=files)


def test_photos_are_checked_by_content_and_stripped_of_exif(api, engine, media_dir):
    r = _multipart(api, [("photos", ("a.jpg", jpeg(exif=True), "image/jpeg")),
                         ("photos", ("b.jpg", jpeg((32, 32)), "image/jpeg"))])
    assert r.status_code == 201, r.text
    tid = r.json()["ticket"]["id"]
    detail = api.get("worker_a", f"/api/v1/tickets/{tid}").json()
    assert len(detail["photos"]) == 2
    served = api.get("worker_a", detail["photos"][0]["url"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    img = Image.open(io.BytesIO(served.content))
    assert img.size == (64, 48) and len(img.getexif()) == 0
    assert api.get("water", detail["photos"][0]["url"]).status_code == 404  # another department's case


def test_non_image_photo(api, engine, media_dir):
    r = _multipart(api, [("photos", ("evil.jpg", b"MZ\x90\x00 not an image at all", "image/jpeg"))])
    assert r.status_code == 422 and "not an image" in r.json()["message"]
    assert counts(engine) == (0, 0, 0)
    assert not any(p.is_file() for p in media_dir.rglob("*")) if media_dir.exists() else True


def test_oversized_photo(api, engine, media_dir):
    noise = Image.effect_noise((800, 800), 100).convert("RGB")
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert len(out.getvalue()) > 300_000
    r = _multipart(api, [("photos", ("big.png", out.getvalue(), "image/png"))])
    assert r.status_code == 413 and "MB" in r.json()["message"]
    assert counts(engine) == (0, 0, 0)


def test_one_bad_photo_among_good_ones_stores_nothing(api, engine, media_dir):
    r = _multipart(api, [("photos", ("ok.jpg", jpeg(), "image/jpeg")),
                         ("photos", ("bad.jpg", b"GIF89a....", "image/jpeg"))])
    assert r.status_code == 422
    assert counts(engine) == (0, 0, 0)
    assert not media_dir.exists() or not any(p.is_file() for p in media_dir.rglob("*"))


def test_database_failure_after_saving_photos_leaves_no_files(api, engine, media_dir, monkeypatch):
    from dispatch import service

    def broken(**kwargs):  # noqa: ANN003, ANN202
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "number_case", broken)  # the last step: the photos are saved by then
    with pytest.raises(RuntimeError):
        _multipart(api, [("photos", ("ok.jpg", jpeg(), "image/jpeg"))])
    assert counts(engine) == (0, 0, 0)
    assert not media_dir.exists() or not any(p.is_file() for p in media_dir.rglob("*"))


def test_action_the_role_may_not_take(api, engine):
    tid = api.report("worker_a").json()["ticket"]["id"]
    before = counts(engine)
    r = api.act("worker_a", tid, "close")
    assert r.status_code == 403 and "worker may not close" in r.json()["message"]
    assert counts(engine) == before


def test_action_illegal_in_the_current_state(api, engine):
    tid = api.report("worker_a").json()["ticket"]["id"]
    before = counts(engine)
    r = api.act("sanitation", tid, "resolve", reason="done")
    assert r.status_code == 409
    body = r.json()
    assert body["status"] == "dispatched" and "accept" in body["allowed_actions"]
    assert counts(engine) == before
    assert api.act("sanitation", tid, "teleport").status_code == 404
    r = api.act("sanitation", tid, "request_return")
    assert r.status_code == 422 and "reason" in r.json()["message"]


def test_another_departments_ticket_is_404(api):
    tid = api.report("worker_a").json()["ticket"]["id"]
    assert api.get("water", f"/api/v1/tickets/{tid}").status_code == 404
    r = api.act("water", tid, "accept")
    assert r.status_code == 404 and r.json()["message"] == f"no case with id {tid}"
    assert api.get("water", "/api/v1/tickets/999999").json()["message"] == "no case with id 999999"


def test_stale_version_is_refused(api):
    t = api.report("worker_a").json()["ticket"]
    r = api.act("sanitation", t["id"], "accept", version=t["version"] - 1)
    assert r.status_code == 409 and "reload" in r.json()["message"]
    assert api.act("sanitation", t["id"], "accept", version=t["version"]).status_code == 200


def test_bad_query_parameters(api):
    assert api.get("dispatcher", "/api/v1/tickets", params={"status": "lost"}).status_code == 422
    assert api.get("dispatcher", "/api/v1/tickets", params={"bbox": "1,2,3"}).status_code == 422
    assert api.get("dispatcher", "/api/v1/tickets", params={"limit": 0}).status_code == 422
    r = api.get("dispatcher", "/api/v1/tickets", params={"created_from": "2026-11-22T08:00:00"})
    assert r.status_code == 422 and "time zone" in r.json()["message"]


def test_reporting_roles(api, engine):
    r = api.report("sanitation")
    assert r.status_code == 403
    r = api.report("worker_a", source="hotline")
    assert r.status_code == 201 and r.json()["ticket"]["source"] == "worker"


def test_nul_characters_and_huge_ids(api, engine):
    r = api.report("worker_a", description="垃圾\x00")
    assert r.status_code == 422 and "NUL" in r.json()["message"]
    assert api.get("dispatcher", "/api/v1/tickets", params={"department": "A\x00B"}).status_code == 422
    assert api.get("dispatcher", "/api/v1/tickets/99999999999999").status_code == 422
    assert api.get("dispatcher", "/api/v1/tickets", params={"category": "E%"}).json()["total"] == 0
    assert counts(engine) == (0, 0, 0)


def test_malformed_action_payloads_are_422_and_change_nothing(api, engine):
    lng, lat = X0 + 4.5 * D, Y0 + 0.5 * D
    case = api.report("worker_b", lat=lat, lng=lng, category_code="E0601").json()["ticket"]  # waits for dispatch
    for payload in ({"department_code": ["SANITATION"]}, {"department_code": {"x": 1}}, {"department_code": 7}):
        r = api.act("dispatcher", case["id"], "dispatch", payload=payload)
        assert r.status_code == 422 and "department" in r.json()["message"], r.text
    r = api.act("dispatcher", case["id"], "merge", payload={"into": "99999999999999999999"})
    assert r.status_code == 422 and "no case" in r.json()["message"]
    detail = api.get("dispatcher", f"/api/v1/tickets/{case['id']}").json()
    assert detail["status"] == "registered" and detail["version"] == case["version"]


def test_duplicates_offered_with_a_report_are_only_cases_the_reporter_may_see(api):
    """worker_b's case lies 20 m away across the edge between the two communities: worker_a may not see
    it, so it is not offered to them (they could not support it anyway)."""
    edge = X0 + 3 * D
    theirs = api.report("worker_b", lng=edge + 0.0001, lat=Y0 + 0.5 * D).json()["ticket"]
    mine = api.report("worker_a", lng=edge - 0.0001, lat=Y0 + 0.5 * D).json()
    assert mine["duplicates"] == []
    seen = api.report("dispatcher", lng=edge - 0.0001, lat=Y0 + 0.5 * D, source="hotline")
    assert seen.status_code == 201, seen.text
    assert {d["id"] for d in seen.json()["duplicates"]} >= {theirs["id"], mine["ticket"]["id"]}


def test_too_many_photos_is_a_clear_422(api, engine):
    for n in (7, 8, 12):
        r = _multipart(api, [("photos", (f"p{i}.jpg", jpeg(), "image/jpeg")) for i in range(n)])
        assert r.status_code == 422 and "at most 6" in r.json()["message"], (n, r.text)
    assert counts(engine) == (0, 0, 0)
