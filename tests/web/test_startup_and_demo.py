"""Start-up refuses an un-migrated database; the demo city is complete and consistent."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from dispatch.audit import verify
from dispatch.models import Rating, Ticket
from grid.models import Address, Area, AreaLevel, User
from web.app import create_app
from web.cli.demo import DESCRIPTIONS, build_demo
from web.db import NotMigrated
from web.settings import Settings

TICKETS = 50  # enough for every state the demo shows (the demo itself makes 300)


def test_refuses_an_unmigrated_database(tmp_path):
    with pytest.raises(NotMigrated, match="Run: gridops db upgrade"):
        create_app(Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}"))


def test_demo_city(engine, database_url, tmp_path):
    with Session(engine, expire_on_commit=False) as session:
        tokens = build_demo(session=session, media_dir=tmp_path, tickets=TICKETS, progress=lambda _: None)
        cells = session.exec(select(func.count()).select_from(Area).where(Area.level == AreaLevel.cell)).one()
        streets = session.exec(select(func.count()).select_from(Area).where(Area.level == AreaLevel.street)).one()
        statuses = set(session.exec(select(Ticket.status)).all())
        described = session.exec(select(Ticket.category_code, Ticket.description)).all()
        cases, events, problems = verify(session=session)
        gazetteer = session.exec(select(Address.kind, func.count()).group_by(Address.kind)).all()
        addressed = session.exec(select(func.count()).select_from(Ticket).where(Ticket.address != "")).one()
        sources = set(session.exec(select(Ticket.source)).all())
        rated = session.exec(select(func.count()).select_from(Rating)).one()
        contacts = session.exec(select(func.count()).select_from(Ticket).where(Ticket.contact_phone != "")).one()
        names = dict(session.exec(select(User.username, User.display_name)).all())
    assert cells > 800 and streets == 6
    # issue 13: door numbers along the demo's roads and a few buildings and places; most cases are near one
    assert 300 < dict(gazetteer)["address"] < 1000 and {"building", "poi"} <= dict(gazetteer).keys()
    assert addressed > TICKETS / 2
    assert cases == TICKETS and events > 3 * TICKETS and problems == []
    assert {"closed", "dispatched", "accepted", "verifying", "registered", "checked"} <= statuses
    # issue 12: the descriptions match their categories (a gas leak no longer reads "a burst water main")
    assert all(text in DESCRIPTIONS[code] for code, text in described)
    assert {role for _, role, _ in tokens} == {"worker", "dispatcher", "shift_lead", "department", "supervisor",
                                               "admin", "operator"}
    # the control room, the timelines and the case sheets name the demo's staff in Chinese, not by user name
    assert all(shown and shown != user for user, shown in names.items()), names
    # issue 14: the public's cases carry their reporter and are rated, and some wait for a call-back
    assert {"citizen", "hotline"} <= sources and rated and contacts
    settings = Settings(database_url=database_url, media_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        for user, role, token in tokens:
            r = client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200, (user, r.text)
            assert r.json()["total"] > 0, (user, role)
            if user == "worker":  # the demo's own grid worker has a case at each step of the path in their cells
                assert r.json()["total"] >= 8, r.json()["total"]
        # every handled case shows its after-photo (resolving needs one)
        admin = dict((role, token) for _, role, token in tokens)["admin"]
        auth = {"Authorization": f"Bearer {admin}"}
        closed = client.get("/api/v1/tickets", params={"status": "closed", "limit": 1}, headers=auth).json()["items"]
        photos = client.get(f"/api/v1/tickets/{closed[0]['id']}", headers=auth).json()["photos"]
        after = [p for p in photos if p["stage"] == "resolve"]
        assert after and client.get(after[0]["url"], headers=auth).headers["content-type"] == "image/jpeg"
    with Session(engine) as session:  # running it again keeps the city and hands out new tokens
        again = build_demo(session=session, media_dir=tmp_path, tickets=TICKETS, progress=lambda _: None)
        assert session.exec(select(func.count()).select_from(Ticket)).one() == TICKETS
    assert {t for _, _, t in again}.isdisjoint({t for _, _, t in tokens})
