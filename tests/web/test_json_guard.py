"""JSON no route can use is refused once, before any route reads it (issue 11, defects 2 and 3, and the
JSON part of 4): a lone UTF-16 surrogate, a number too large for a float or a 64-bit integer, NaN, and a
body over the limit also when it comes chunked. 422 naming the field (413 for size), nothing written."""

from __future__ import annotations

import json

import pytest

from tests.support.city import COMMUNITY_A, cell_centre
from tests.web.test_bad_input import counts, jpeg

LONE = '"\\ud800"'  # as a client writes it in JSON: an escape without its pair


def raw(api, user: str | None, url: str, text: str):  # noqa: ANN001, ANN201
    headers = {"Content-Type": "application/json", **(api.as_(user) if user else {})}
    return api.client.post(url, content=text.encode(), headers=headers)


def report_body(**fields: str) -> str:
    """A valid report's JSON with some fields' JSON text replaced as written."""
    lng, lat = cell_centre(COMMUNITY_A, 1)
    base = {"lat": lat, "lng": lng, "category_code": "E0101", "description": "暴露垃圾"}
    text = json.dumps(base, ensure_ascii=False)
    for name, value in fields.items():
        text = text.replace(json.dumps(base[name], ensure_ascii=False), value, 1)
    return text


@pytest.mark.parametrize(("field", "value"), [
    ("description", LONE), ("description", '"垃圾\\udc00堆"'), ("lat", "1" + "0" * 400), ("lng", "1e400"),
    ("lat", "NaN"),
])
def test_a_report_with_a_value_no_route_can_take_is_refused_naming_the_field(api, engine, field, value):
    before = counts(engine)
    r = raw(api, "worker_a", "/api/v1/reports", report_body(**{field: value}))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "invalid_input" and body["message"]
    if value != "NaN":  # a NaN literal is refused by the parser, before a field is known
        assert body["field"] == field and field in body["message"]
    assert counts(engine) == before


def test_a_pair_of_surrogates_is_a_character_and_is_kept(api):
    r = raw(api, "worker_a", "/api/v1/reports", report_body(description='"垃圾 \\ud83d\\uddd1"'))
    assert r.status_code == 201, r.text
    assert r.json()["ticket"]["description"] == "垃圾 🗑"


def test_the_same_rule_holds_on_every_route(api):
    tid = api.report("worker_a").json()["ticket"]["id"]
    r = raw(api, "dispatcher", f"/api/v1/tickets/{tid}/actions/urge", '{"reason": ' + LONE + "}")
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = raw(api, None, "/api/v1/login", '{"username": ' + LONE + ', "password": "x"}')  # no sign-in needed
    assert r.status_code == 422 and r.json()["field"] == "username"
    r = raw(api, "sanitation", f"/api/v1/tickets/{tid}/actions/request_extension",
            '{"reason": "需要协调", "payload": {"hours": 1' + "0" * 400 + "}}")
    assert r.status_code == 422 and r.json()["field"] == "payload.hours"
    r = raw(api, "dispatcher", f"/api/v1/tickets/{tid}/actions/urge", '{"reason": "x", "' + "\\ud800" + '": 1}')
    assert r.status_code == 422


def test_a_json_body_over_the_limit_is_refused_while_it_streams(api, engine):
    before = counts(engine)
    sent = 0

    def chunks():  # no Content-Length: sent chunked
        nonlocal sent
        yield b'{"description": "'
        for _ in range(40):
            sent += 64_000
            yield b"x" * 64_000
        yield b'"}'

    r = api.client.post("/api/v1/reports", content=chunks(),
                        headers={**api.as_("worker_a"), "Content-Type": "application/json"})
    assert r.status_code == 413 and "1 MB" in r.json()["message"]
    assert counts(engine) == before


def test_the_same_rules_hold_for_a_form_and_a_body_without_a_content_type(api, engine):
    tid = api.report("worker_a").json()["ticket"]["id"]
    before = counts(engine)
    r = api.client.post(f"/api/v1/tickets/{tid}/actions/request_extension", headers=api.as_("sanitation"),
                        data={"reason": "需要协调", "payload": '{"hours": 1' + "0" * 400 + "}"},
                        files=[("photos", ("a.jpg", jpeg(), "image/jpeg"))])  # multipart
    assert r.status_code == 422 and r.json()["field"] == "payload.hours", r.text
    r = api.client.post("/api/v1/reports", headers=api.as_("worker_a"),
                        content=report_body(description=LONE).encode())  # no Content-Type at all
    assert r.status_code == 422 and r.json()["field"] == "description", r.text
    r = api.client.get("/api/v1/nearby", headers=api.as_("worker_a"),
                       params={"lat": "1" + "0" * 400, "lng": "121.45", "category_code": "E0101"})
    assert r.status_code == 422, r.text
    assert counts(engine) == before


def test_a_chunked_upload_over_the_limit_is_refused_before_it_is_read_to_the_end(api, engine):
    """Issue 11, defect 4: a multipart upload without a Content-Length was read to its end before its 413.
    Now the count stops it at the limit (6 photos of 300 kB + 1 MB here)."""
    before = counts(engine)
    pulled = 0
    boundary = "gridopsboundary"

    def chunks():
        nonlocal pulled
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.jpg\"\r\n"
               "Content-Type: image/jpeg\r\n\r\n").encode()
        for _ in range(200):  # 12.8 MB
            pulled += 1
            yield b"\xff" * 64_000
        yield f"\r\n--{boundary}--\r\n".encode()

    r = api.client.post("/api/v1/reports", content=chunks(),
                        headers={**api.as_("worker_a"), "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 413 and r.json()["error"] == "too_large", r.text
    assert counts(engine) == before
