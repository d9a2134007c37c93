"""Citizens in the loop (issue 14), through the HTTP API: a public report followed by its tracking link,
好差评 with its window and its one-per-closing rule, the review a bad rating opens (reopen → rework → closed
again, or explain), the department's appeal both ways, the operators' call-backs, rate limits, and who sees
the reporter's name and number (the list, the case, the live feed)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from dispatch.models import LiveEvent, Rating, Ticket
from tests.support.city import COMMUNITY_A, Api, after_photo, cell_centre
from web.app import create_app
from web.public_limits import PublicLimits, RateLimited

PHONE = "13812345678"
LNG, LAT = cell_centre(COMMUNITY_A, 2)  # worker_a's cell


def file(client: TestClient, **fields) -> dict:  # noqa: ANN003
    body = {"lat": LAT, "lng": LNG, "category_code": "E0101", "description": "楼下垃圾好几天没人清",
            "contact_name": "张三", "contact_phone": PHONE, "client_id": "c-1", **fields}
    answer = client.post("/public/v1/reports", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def case_id(engine, number: str) -> int:  # noqa: ANN001
    with Session(engine) as s:
        return s.exec(select(Ticket.id).where(Ticket.case_number == number)).one()


def ok(answer) -> dict:  # noqa: ANN001
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def close_case(api: Api, tid: int, *, verify: bool = True) -> None:
    """Staff take the case from the report (or from rework) to closed."""
    status = ok(api.get("shift_lead", f"/api/v1/tickets/{tid}"))["status"]
    if verify and status == "verifying":
        ok(api.act("worker_a", tid, "verify"))
        ok(api.act("shift_lead", tid, "register"))
        ok(api.act("dispatcher", tid, "dispatch", payload={"department_code": "SANITATION"}))
        ok(api.act("sanitation", tid, "accept"))
    ok(api.resolve("sanitation", tid, reason="已清运完毕"))
    ok(api.act("worker_a", tid, "check_pass"))
    ok(api.act("shift_lead", tid, "close", payload={"close_type": "normal"}))


def appeal(api: Api, tid: int, reason: str, *, user: str = "sanitation"):  # noqa: ANN201
    """The department's appeal with its reasons and a photo."""
    return api.post(user, f"/api/v1/tickets/{tid}/actions/appeal", data={"reason": reason},
                    files=[("photos", ("proof.jpg", after_photo(), "image/jpeg"))])


def track(api: Api, token: str) -> dict:
    return ok(api.client.get(f"/public/v1/track/{token}"))


def test_a_citizen_report_goes_round_the_loop_is_rated_reviewed_reopened_and_rated_again(api: Api, engine):
    made = file(api.client)
    token = made["tracking_token"]
    assert made["tracking_url"] == f"/c/t/{token}" and made["public_status"] == "verifying"
    seen = track(api, token)
    assert seen["public_label"]["zh-CN"] == "核实中" and seen["can_rate"] is False
    assert seen["cannot_rate"] == "not_closed"
    tid = case_id(engine, made["case_number"])
    with Session(engine) as s:  # the token is kept only as its hash
        assert s.get(Ticket, tid).tracking_hash != token
    # a rating before closing
    early = api.client.post(f"/public/v1/track/{token}/rating", json={"level": "satisfied"})
    assert early.status_code == 409 and early.json()["error"] == "not_closed"

    close_case(api, tid)
    seen = track(api, token)
    assert seen["public_status"] == "closed" and seen["public_label"]["zh-CN"] == "已办结"
    assert seen["department_name"] and seen["can_rate"] and seen["rate_until"]
    assert [n["text"] for n in seen["notes"]] == ["已清运完毕"]  # the department's reply, no staff name
    assert {p["stage"] for p in seen["photos"]} == {"resolve"}
    photo = api.client.get(seen["photos"][0]["url"])
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert "sanitation" not in json.dumps(seen) and "worker_a" not in json.dumps(seen)

    bad = ok(api.client.post(f"/public/v1/track/{token}/rating", json={"level": "dissatisfied",
                                                                       "comment": "还是有垃圾"}))
    assert bad["public_status"] == "reviewing" and bad["rating"]["level"] == "dissatisfied"
    again = api.client.post(f"/public/v1/track/{token}/rating", json={"level": "satisfied"})
    assert again.status_code == 409 and again.json()["error"] == "already_rated"
    assert track(api, token)["cannot_rate"] == "already_rated"
    lead = ok(api.get("shift_lead", f"/api/v1/tickets/{tid}"))
    assert lead["status"] == "reviewing" and {"reopen", "explain"} <= set(lead["allowed_actions"])
    assert any(t["stage"] == "review" and t["active"] for t in lead["timers"])

    reopened = ok(api.act("shift_lead", tid, "reopen", reason="请彻底清理并消毒"))
    assert reopened["status"] == "rework"
    rectify = next(t for t in reopened["timers"] if t["stage"] == "rectify")
    assert rectify["active"] and rectify["limit_s"] == 120 * 3600  # 15 working days of 8 hours
    seen = track(api, token)  # the citizen is told when the rectification is due
    assert seen["public_status"] == "rework" and seen["expected_at"][:16] == rectify["due_at"][:16]
    close_case(api, tid)
    seen = track(api, token)
    assert seen["public_status"] == "closed" and seen["can_rate"] and seen["rating"] is None
    assert "请彻底清理并消毒" in [n["text"] for n in seen["notes"]]
    good = ok(api.client.post(f"/public/v1/track/{token}/rating", json={"level": "satisfied"}))
    assert good["public_status"] == "closed" and good["rating"]["level"] == "satisfied"
    timeline = ok(api.get("supervisor", f"/api/v1/tickets/{tid}"))["timeline"]
    assert [e["action"] for e in timeline].count("rate") == 2
    assert [e["role"] for e in timeline if e["action"] == "rate"] == ["citizen", "citizen"]


def test_explain_keeps_the_case_closed_and_tells_the_reporter(api: Api, engine):
    made = file(api.client, contact_phone="13900001111")
    tid = case_id(engine, made["case_number"])
    close_case(api, tid)
    with Session(engine) as s:
        closed_at = s.get(Ticket, tid).closed_at
    ok(api.client.post(f"/public/v1/track/{made['tracking_token']}/rating", json={"level": "very_dissatisfied"}))
    ok(api.act("shift_lead", tid, "explain", reason="该处为私人用地，已告知物业"))
    seen = track(api, made["tracking_token"])
    assert seen["public_status"] == "closed" and seen["cannot_rate"] == "already_rated"
    assert seen["notes"][-1]["text"] == "该处为私人用地，已告知物业"
    with Session(engine) as s:
        assert s.get(Ticket, tid).closed_at == closed_at  # still closed when it first closed


@pytest.mark.parametrize("decision", ["uphold_appeal", "dismiss_appeal"])
def test_the_department_appeals_a_bad_rating_and_a_supervisor_decides(api: Api, engine, decision: str):
    made = file(api.client, contact_phone="13900002222")
    tid = case_id(engine, made["case_number"])
    close_case(api, tid)
    not_yet = appeal(api, tid, "已按标准处置")
    assert not_yet.status_code == 409 and not_yet.json()["error"] == "no_rating_to_appeal"
    ok(api.client.post(f"/public/v1/track/{made['tracking_token']}/rating", json={"level": "dissatisfied"}))
    assert appeal(api, tid, "x", user="water").status_code == 404
    early = api.post("supervisor", f"/api/v1/tickets/{tid}/actions/{decision}", json={"reason": "x"})
    assert early.status_code == 409 and early.json()["error"] == "no_appeal_pending"
    bare = api.post("sanitation", f"/api/v1/tickets/{tid}/actions/appeal", json={"reason": "现场已清理干净"})
    assert bare.status_code == 422  # reasons and photos: at least one photo
    assert (bare.json()["error"], bare.json()["field"], bare.json()["action"]) == ("photo_required", "photos", "appeal")
    appealed = ok(appeal(api, tid, "现场已清理干净"))
    assert appealed["appeal_pending"] and any(p["stage"] == "appeal" for p in appealed["photos"])
    twice = appeal(api, tid, "再申诉")
    assert twice.status_code == 409 and twice.json()["error"] == "already_appealed"
    sup = ok(api.get("supervisor", f"/api/v1/tickets/{tid}"))
    assert {"uphold_appeal", "dismiss_appeal"} <= set(sup["allowed_actions"])
    decided = ok(api.post("supervisor", f"/api/v1/tickets/{tid}/actions/{decision}", json={"reason": "经核查"}))
    assert not decided["appeal_pending"]
    assert not {"uphold_appeal", "dismiss_appeal"} & set(decided["allowed_actions"])
    with Session(engine) as s:
        rating = s.exec(select(Rating).where(Rating.ticket_id == tid)).one()
        assert rating.appeal_state == ("upheld" if decision == "uphold_appeal" else "dismissed")
        assert rating.excluded is (decision == "uphold_appeal")
    assert [e["action"] for e in decided["timeline"]][-3:] == ["rate", "appeal", decision]


def test_appeals_and_ratings_have_their_windows(api: Api, engine):
    made = file(api.client, contact_phone="13900003333")
    tid = case_id(engine, made["case_number"])
    close_case(api, tid)
    ok(api.client.post(f"/public/v1/track/{made['tracking_token']}/rating", json={"level": "dissatisfied"}))
    with Session(engine) as s:
        rating = s.exec(select(Rating).where(Rating.ticket_id == tid)).one()
        assert rating.appeal_until > rating.at + timedelta(days=2)  # 3 working days
        rating.appeal_until = rating.at - timedelta(seconds=1)
        s.add(rating)
        s.commit()
    late = appeal(api, tid, "已按标准处置")
    assert late.status_code == 409 and late.json()["error"] == "appeal_window_closed"
    with Session(engine) as s:  # a rating with no appeal deadline (no department was rated) is never appealable
        rating = s.exec(select(Rating).where(Rating.ticket_id == tid)).one()
        rating.appeal_until = None
        s.add(rating)
        s.commit()
    never = appeal(api, tid, "已按标准处置")
    assert never.status_code == 409 and never.json()["error"] == "not_appealable"

    other = file(api.client, contact_phone="13900004444")
    oid = case_id(engine, other["case_number"])
    close_case(api, oid)
    with Session(engine) as s:
        ticket = s.get(Ticket, oid)
        ticket.closed_at -= timedelta(days=8)
        s.add(ticket)
        s.commit()
    assert track(api, other["tracking_token"])["cannot_rate"] == "rating_window_closed"
    answer = api.client.post(f"/public/v1/track/{other['tracking_token']}/rating", json={"level": "satisfied"})
    assert answer.status_code == 409 and answer.json()["error"] == "rating_window_closed"
    assert "7" in answer.json()["message"]


def test_a_rejected_report_keeps_its_record_and_says_why(api: Api, engine):
    made = file(api.client, contact_phone="13900008888")
    tid = case_id(engine, made["case_number"])
    assert api.act("worker_a", tid, "verify_untrue", reason="现场未见垃圾").status_code == 422  # (needs a photo)
    disputed = api.post("worker_a", f"/api/v1/tickets/{tid}/actions/verify_untrue", data={"reason": "现场未见垃圾"},
                        files=[("photos", ("site.jpg", after_photo(), "image/jpeg"))])
    assert disputed.status_code == 200, disputed.text
    ok(api.act("shift_lead", tid, "reject", reason="经现场核实，该处已清理"))
    seen = track(api, made["tracking_token"])
    assert seen["public_status"] == "rejected" and seen["public_label"]["zh-CN"] == "不予受理"
    assert [n["text"] for n in seen["notes"]] == ["经现场核实，该处已清理"]  # not the worker's words
    assert seen["cannot_rate"] == "ended" and seen["expected_at"] is None  # (never rated: no rating card)


def test_a_wrong_or_guessed_token_is_404(api: Api):
    file(api.client)
    for token in ("A" * 32, "not-a-token-at-all", "x" * 64):
        answer = api.client.get(f"/public/v1/track/{token}")
        assert answer.status_code == 404 and answer.json()["error"] == "not_found"
        assert api.client.post(f"/public/v1/track/{token}/rating", json={"level": "satisfied"}).status_code == 404
    assert api.client.get("/public/v1/track/short").status_code == 422


def test_bad_public_input_is_refused_and_leaves_nothing(api: Api, engine):
    with Session(engine) as s:
        before = len(s.exec(select(Ticket.id)).all())
    bot = api.client.post("/public/v1/reports", json={"lat": LAT, "lng": LNG, "category_code": "E0101",
                                                      "description": "x", "website": "http://spam"})
    assert bot.status_code == 422 and bot.json()["error"] == "form_not_accepted"
    phone = api.client.post("/public/v1/reports", json={"lat": LAT, "lng": LNG, "category_code": "E0101",
                                                        "description": "x", "contact_phone": "12345"})
    assert phone.status_code == 422 and phone.json()["error"] == "invalid_phone"
    outside = api.client.post("/public/v1/reports", json={"lat": 40.0, "lng": 116.0, "category_code": "E0101",
                                                          "description": "x"})
    assert outside.status_code == 422 and outside.json()["error"] == "outside_managed_area"
    many = api.client.post("/public/v1/reports", data={"lat": str(LAT), "lng": str(LNG), "category_code": "E0101",
                                                       "description": "x"},
                           files=[("photos", (f"{i}.jpg", after_photo(), "image/jpeg")) for i in range(4)])
    assert many.status_code == 422 and many.json()["error"] == "too_many_photos"
    with Session(engine) as s:
        assert len(s.exec(select(Ticket.id)).all()) == before


def test_the_public_helpers_answer_without_an_account(api: Api):
    cats = ok(api.client.get("/public/v1/categories"))
    assert cats and all(c["name"] for c in cats) and set(cats[0]) == {"code", "kind", "name", "name_en"}
    where = ok(api.client.get("/public/v1/locate", params={"lat": LAT, "lng": LNG}))
    assert where["inside"] and where["cell_code"].startswith(COMMUNITY_A) and where["community_name"]
    assert not ok(api.client.get("/public/v1/locate", params={"lat": 40.0, "lng": 116.0}))["inside"]
    outline = ok(api.client.get("/public/v1/outline"))
    assert outline["features"] and set(outline["features"][0]["properties"]) == {"code", "name"}
    made = file(api.client, description="我的私人描述 MARKER-DESC", contact_name="MARKER-NAME")
    near = ok(api.client.get("/public/v1/nearby", params={"lat": LAT, "lng": LNG, "category_code": "E0101"}))
    assert made["case_number"] in [i["case_number"] for i in near["items"]]
    assert "MARKER" not in json.dumps(near) and set(near["items"][0]) == {"case_number", "category_code",
                                                                          "public_status", "distance_m"}


def test_a_public_support_counts_once_per_number_or_client(api: Api, engine):
    made = file(api.client, contact_phone="13900005555")  # (client c-1)
    url = f"/public/v1/cases/{made['case_number']}/support"
    for own in ({"client_id": "c-1"}, {"contact_phone": "13900005555", "client_id": "c-9"}):  # the reporter's own
        assert api.client.post(url, json=own).status_code == 409
    assert ok(api.client.post(url, json={"contact_phone": "139 0000 6666", "client_id": "c-2"}))["support_count"] == 1
    twice = api.client.post(url, json={"contact_phone": "+8613900006666", "client_id": "c-3"})
    assert twice.status_code == 409 and twice.json()["error"] == "already_supported"
    assert ok(api.client.post(url, json={"client_id": "c-4"}))["support_count"] == 2
    assert api.client.post(url, json={"client_id": "c-4"}).status_code == 409
    assert api.client.post("/public/v1/cases/E0101209901010001/support", json={"client_id": "c-5"}).status_code == 404


def test_the_public_endpoints_are_rate_limited(engine, city, settings):  # noqa: ANN001
    tight = settings.model_copy(update={"public_reports_per_hour": 2, "public_requests_per_minute": 6})
    with TestClient(create_app(tight)) as client:
        for k in range(2):
            assert client.post("/public/v1/reports", json={
                "lat": LAT, "lng": LNG, "category_code": "E0101", "description": f"垃圾 {k}"}).status_code == 201
        third = client.post("/public/v1/reports", json={"lat": LAT, "lng": LNG, "category_code": "E0101",
                                                        "description": "垃圾 3"})
        assert third.status_code == 429 and third.json()["error"] == "rate_limited"
        assert int(third.headers["Retry-After"]) > 0 and third.json()["retry_after_s"] > 0
        answers = [client.get("/public/v1/categories").status_code for _ in range(4)]
        assert answers[-1] == 429 and 200 in answers


def test_a_refused_report_does_not_use_up_the_reports_but_endless_refused_ones_are_stopped(engine, city, settings):  # noqa: ANN001
    """A wrong phone number, a file that is not a photo: the citizen corrects the form and sends it again. Those
    refusals used up the hourly reports (操作太频繁了，请 3222 秒后再试); they count only against the looser limit
    on attempts (three for each report), so that refused forms cannot be sent without end."""
    tight = settings.model_copy(update={"public_reports_per_hour": 2, "public_requests_per_minute": 100})
    body = {"lat": LAT, "lng": LNG, "category_code": "E0101", "description": "垃圾"}
    with TestClient(create_app(tight)) as client:
        bad_phone = client.post("/public/v1/reports", json={**body, "contact_phone": "12345"})
        assert bad_phone.status_code == 422 and bad_phone.json()["error"] == "invalid_phone"
        not_a_photo = client.post("/public/v1/reports", data={k: str(v) for k, v in body.items()},
                                  files=[("photos", ("a.jpg", b"not an image", "image/jpeg"))])
        assert not_a_photo.status_code == 422, not_a_photo.text
        assert client.post("/public/v1/reports", json={**body, "category_code": "X9999"}).status_code == 422
        for _ in range(2):  # the two reports of the hour are still there
            assert client.post("/public/v1/reports", json={**body, "contact_phone": PHONE}).status_code == 201
        spent = client.post("/public/v1/reports", json=body)
        assert spent.status_code == 429 and spent.json()["limit"] == 2  # the reports' limit
        # six attempts so far (three refused, two filed, one over the limit): the attempts' limit is reached
        refused = client.post("/public/v1/reports", json={**body, "contact_phone": "12345"})
        assert refused.status_code == 429 and refused.json()["limit"] == 6
        assert client.get("/public/v1/track/abc").status_code == 422  # the API's token stays strict


def test_a_report_over_the_limit_files_nothing(engine, city, settings):  # noqa: ANN001
    """The report is counted once accepted, inside its transaction: over the limit by then, nothing is kept."""
    tight = settings.model_copy(update={"public_reports_per_hour": 1, "public_requests_per_minute": 100})
    body = {"lat": LAT, "lng": LNG, "category_code": "E0101", "description": "垃圾", "contact_phone": PHONE}
    with TestClient(create_app(tight)) as client:
        assert client.post("/public/v1/reports", json=body).status_code == 201
        limits = client.app.state.gridops.public_limits
        limits.attempt = lambda address: None  # as if a second request had passed the check at the same moment
        assert client.post("/public/v1/reports", json=body).status_code == 429
    with Session(engine) as s:
        assert len(s.exec(select(Ticket).where(Ticket.description == "垃圾")).all()) == 1


def test_operators_take_calls_and_call_back(api: Api, engine):
    lng, lat = cell_centre(COMMUNITY_A, 3)
    first = ok(api.post("operator", "/api/v1/reports", json={
        "lat": lat, "lng": lng, "category_code": "E0101", "description": "来电反映路边垃圾堆积",
        "contact_name": "李四", "contact_phone": "021-5555 1234", "confidential": True}))
    ticket = first["ticket"]
    assert ticket["source"] == "hotline" and ticket["status"] == "verifying"
    # the caller's own tracking link (the operator texts it): the case as a citizen's, followed and rated there
    token = first["tracking_url"].removeprefix("/c/t/")
    assert track(api, token)["case_number"] == ticket["case_number"] and "李四" not in str(track(api, token))
    assert ok(api.report("worker_a", community=COMMUNITY_A, k=1))["tracking_url"] is None  # staff's: none
    assert ticket["contact"] == {"name": "李四", "phone": "02155551234", "confidential": True, "masked": False}
    earlier = ok(api.get("operator", "/api/v1/tickets", params={"phone": "021-55551234"}))
    assert [t["case_number"] for t in earlier["items"]] == [ticket["case_number"]]
    assert api.get("dispatcher", "/api/v1/tickets", params={"phone": "02155551234"}).status_code == 403
    supported = ok(api.act("operator", ticket["id"], "support", payload={"contact_phone": "13700001111"}))
    assert supported["support_count"] == 1
    assert api.act("operator", ticket["id"], "support", payload={"contact_phone": "13700001111"}).status_code == 409
    close_case(api, ticket["id"])
    waiting = ok(api.get("operator", "/api/v1/callbacks"))
    assert [t["reply"] for t in waiting["items"] if t["id"] == ticket["id"]] == ["已清运完毕"]
    with Session(engine) as s:  # past the rating window it can no longer be rated: off the list
        row = s.get(Ticket, ticket["id"])
        closed_at, row.closed_at = row.closed_at, row.closed_at - timedelta(days=8)
        s.add(row)
        s.commit()
    assert ticket["id"] not in [t["id"] for t in ok(api.get("operator", "/api/v1/callbacks"))["items"]]
    with Session(engine) as s:
        row = s.get(Ticket, ticket["id"])
        row.closed_at = closed_at
        s.add(row)
        s.commit()
    ok(api.act("operator", ticket["id"], "call_back", payload={"reached": False, "tries": 1}))
    rated = ok(api.act("operator", ticket["id"], "rate", payload={"level": "very_satisfied", "channel": "phone"}))
    assert rated["callback_state"] == "done"
    assert track(api, token)["rating"]["level"] == "very_satisfied"  # the link shows the rating given by phone
    assert ticket["id"] not in [t["id"] for t in ok(api.get("operator", "/api/v1/callbacks"))["items"]]
    with Session(engine) as s:
        assert s.exec(select(Rating).where(Rating.ticket_id == ticket["id"])).one().channel == "phone"
    twice = api.act("operator", ticket["id"], "rate", payload={"level": "satisfied"})
    assert twice.status_code == 409 and twice.json()["error"] == "already_rated"


def test_unreachable_after_the_last_try_leaves_the_list(api: Api, engine):
    made = file(api.client, contact_phone="13900007777")
    tid = case_id(engine, made["case_number"])
    close_case(api, tid)
    for tries in (1, 2, 3):
        ok(api.act("operator", tid, "call_back", payload={"reached": False, "tries": tries}))
    assert tid not in [t["id"] for t in ok(api.get("operator", "/api/v1/callbacks"))["items"]]
    gone = api.act("operator", tid, "call_back", payload={"reached": False, "tries": 4})
    assert gone.status_code == 409 and gone.json()["error"] == "no_callback_pending"


def test_reached_but_declined_to_rate_ends_the_call_back(api: Api, engine):
    made = file(api.client, contact_phone="13900006666")
    tid = case_id(engine, made["case_number"])
    close_case(api, tid)
    odd = api.act("operator", tid, "call_back", payload={"reached": False, "declined": True})
    assert odd.status_code == 422 and odd.json()["error"] == "declined_not_reached"
    done = ok(api.act("operator", tid, "call_back", payload={"reached": True, "declined": True, "tries": 2}))
    assert done["callback_state"] == "declined" and done["status"] == "closed"
    assert done["timeline"][-1]["action"] == "call_back"
    assert done["timeline"][-1]["payload"] == {"reached": True, "tries": 2, "declined": True}
    assert tid not in [t["id"] for t in ok(api.get("operator", "/api/v1/callbacks"))["items"]]
    again = api.act("operator", tid, "call_back", payload={"reached": True, "declined": True})
    assert again.status_code == 409 and again.json()["error"] == "no_callback_pending"
    with Session(engine) as s:
        assert s.exec(select(Rating).where(Rating.ticket_id == tid)).first() is None


def test_who_sees_the_reporters_name_and_number(api: Api, engine):
    plain = file(api.client, contact_name="王五", contact_phone="13911112222")
    secret = file(api.client, contact_name="赵六", contact_phone="13933334444", confidential=True)
    ids = {case_id(engine, plain["case_number"]): False, case_id(engine, secret["case_number"]): True}
    for tid in ids:
        ok(api.act("worker_a", tid, "verify"))
        ok(api.act("shift_lead", tid, "register"))
        ok(api.act("dispatcher", tid, "dispatch", payload={"department_code": "SANITATION"}))
    full = {"operator", "shift_lead", "supervisor"}
    for user in ("operator", "shift_lead", "supervisor", "dispatcher", "admin", "sanitation", "worker_a"):
        listed = {t["id"]: t["contact"] for t in ok(api.get(user, "/api/v1/tickets", params={"limit": 500}))["items"]}
        for tid, confidential in ids.items():
            one = ok(api.get(user, f"/api/v1/tickets/{tid}"))["contact"]
            assert listed[tid] == one, user
            if user == "worker_a":
                assert one is None
            elif user in full or (user == "sanitation" and not confidential):
                assert one["phone"] in ("13911112222", "13933334444") and not one["masked"], user
            else:
                assert one["masked"] and "****" in one["phone"] and one["name"].endswith("*"), (user, one)
    with Session(engine) as s:  # the live feed carries no contact to anyone
        payloads = " ".join(e.payload for e in s.exec(select(LiveEvent).where(LiveEvent.ticket_id.in_(list(ids)))))
    assert payloads and not any(x in payloads for x in ("13911112222", "13933334444", "王五", "赵六", "3911"))
    for user in ("shift_lead", "sanitation"):  # … nor the websocket, even to those who see it in full
        with api.client.websocket_connect(f"/ws?token={api.tokens[user]}") as ws:
            assert ws.receive_json()["kind"] == "hello"
            for tid in ids:
                ok(api.act("supervisor", tid, "urge", reason="请加快办理"))
            received = [ws.receive_json() for _ in ids]
        assert {m.get("ticket_id") for m in received} == set(ids), received
        seen = json.dumps(received, ensure_ascii=False)
        assert not any(x in seen for x in ("13911112222", "13933334444", "王五", "赵六")), user
    timeline = json.dumps(ok(api.get("dispatcher", f"/api/v1/tickets/{next(iter(ids))}"))["timeline"])
    assert "13911112222" not in timeline and "王五" not in timeline


def test_a_phone_number_is_limited_whatever_address_it_comes_from():
    limits = PublicLimits(redis_url=None, requests_per_minute=100, reports_per_hour=2)
    for address in ("10.0.0.1", "10.0.0.2"):
        limits.report(address)
        limits.phone("13812345678")
    limits.report("10.0.0.3")  # a new address is fine …
    with pytest.raises(RateLimited) as refused:
        limits.phone("13812345678")  # … but not the number a third time within the hour
    assert refused.value.details["retry_after_s"] > 0
    limits.phone("")  # no number: nothing to count
    limits.phone("13900001111", count=False)  # only whether one is left: nothing counted
    limits.phone("13900001111")
    limits.phone("13900001111")
