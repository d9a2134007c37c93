"""People sign in with a password: an HttpOnly SameSite session cookie, and a CSRF token for changes."""

from __future__ import annotations

from sqlmodel import Session, select

from grid.models import User
from web.auth import hash_password


def set_password(engine, name: str, password: str) -> None:  # noqa: ANN001
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == name)).one()
        user.password_hash = hash_password(password)
        session.add(user)
        session.commit()


def test_login_cookie_csrf_and_logout(api, engine):
    set_password(engine, "worker_a", "correct horse")
    client = api.client
    assert client.post("/api/v1/login", json={"username": "worker_a", "password": "wrong"}).status_code == 401
    assert client.post("/api/v1/login", json={"username": "nobody", "password": "x"}).status_code == 401
    r = client.post("/api/v1/login", json={"username": "worker_a", "password": "correct horse"})
    assert r.status_code == 200
    me = r.json()
    assert me["role"] == "worker" and me["landing"] == "/m/" and len(me["cell_codes"]) == 6
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert client.get("/api/v1/tickets").status_code == 200  # reads need only the cookie
    body = {"lat": 31.2305, "lng": 121.4805, "category_code": "E0101", "description": "垃圾"}
    refused = client.post("/api/v1/reports", json=body)
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["message"]
    assert client.post("/api/v1/reports", json=body, headers={"X-CSRF-Token": "guess"}).status_code == 403
    ok = client.post("/api/v1/reports", json=body, headers={"X-CSRF-Token": me["csrf_token"]})
    assert ok.status_code == 201
    assert client.get("/api/v1/me").json()["csrf_token"] == me["csrf_token"]
    assert client.post("/api/v1/logout").status_code == 403  # a cross-site page cannot sign anyone out
    assert client.get("/api/v1/tickets").status_code == 200
    assert client.post("/api/v1/logout", headers={"X-CSRF-Token": me["csrf_token"]}).status_code == 204
    assert client.get("/api/v1/tickets").status_code == 401


def test_landing_pages_by_role(api, engine):
    for name, landing in [("dispatcher", "/map"), ("sanitation", "/desk"), ("shift_lead", "/map"),
                          ("admin", "/admin")]:
        set_password(engine, name, "long enough")
        r = api.client.post("/api/v1/login", json={"username": name, "password": "long enough"})
        assert r.json()["landing"] == landing
        api.client.post("/api/v1/logout")


def test_users_without_a_password_cannot_sign_in(api):
    r = api.client.post("/api/v1/login", json={"username": "supervisor", "password": ""})
    assert r.status_code == 401
