"""Resolving needs photo evidence of the result where the category says so (the default)."""

from __future__ import annotations

from sqlmodel import Session, select

from grid.models import Category


def test_resolve_without_an_after_photo_is_refused_where_the_category_requires_one(api, engine):
    tid = api.report("worker_a").json()["ticket"]["id"]
    assert api.act("sanitation", tid, "accept").status_code == 200
    r = api.act("sanitation", tid, "resolve", reason="已清运")
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "after_photo_required" and body["field"] == "photos" and body["category_code"] == "E0101"
    detail = api.get("sanitation", f"/api/v1/tickets/{tid}").json()
    assert detail["status"] == "accepted" and [e["action"] for e in detail["timeline"]][-1] == "accept"
    done = api.resolve("sanitation", tid, reason="已清运")
    assert done.status_code == 200 and [p["stage"] for p in done.json()["photos"]] == ["resolve"]


def test_a_category_without_the_rule_resolves_without_a_photo_and_the_catalogue_says_which(api, engine):
    with Session(engine) as session:
        session.exec(select(Category).where(Category.code == "E0102")).one().after_photo_required = False
        session.commit()
    rules = {c["code"]: c["after_photo_required"] for c in api.get("sanitation", "/api/v1/categories").json()}
    assert rules["E0101"] is True and rules["E0102"] is False
    tid = api.report("worker_a", category_code="E0102", description="道路不洁").json()["ticket"]["id"]
    assert api.act("sanitation", tid, "accept").status_code == 200
    r = api.act("sanitation", tid, "resolve", reason="已清扫")
    assert r.status_code == 200 and r.json()["status"] == "resolved" and r.json()["photos"] == []
