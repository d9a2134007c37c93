"""Issue 11, accounts and sessions: sign-in throttling, expiring sessions and tokens, logout and
deactivation that close live connections, password policy and forced change, token management."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from starlette.websockets import WebSocketDisconnect

from grid.models import User
from tests.support.city import COMMUNITY_A, cell_code
from tests.web.conftest import OS_USER
from web.models import SecurityEvent
from web.passwords import hash_password
from web.throttle import LoginThrottle

PASSWORD = "tidy-lantern-harbour"


def give_password(engine, name: str, password: str = PASSWORD) -> None:  # noqa: ANN001
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == name)).one()
        user.password_hash = hash_password(password)
        session.add(user)
        session.commit()


def browser(api) -> TestClient:  # noqa: ANN001
    """Another browser on the same app (its own cookies). Websockets need ``api.client``, whose event loop
    runs the app's live hub."""
    return TestClient(api.client.app)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> dict:
    r = client.post("/api/v1/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return r.json()


def log(engine, kind: str) -> list[SecurityEvent]:  # noqa: ANN001
    with Session(engine) as session:
        return list(session.exec(select(SecurityEvent).where(SecurityEvent.kind == kind).order_by(SecurityEvent.seq)))


def close_code(ws) -> int:  # noqa: ANN001
    """Read until the server closes the socket; its close code."""
    while True:
        try:
            ws.receive_text()
        except WebSocketDisconnect as closed:
            return closed.code


# --- throttling ---------------------------------------------------------------------------------------------

def test_failed_sign_ins_slow_down_then_lock_the_user_name_the_same_way_whether_or_not_it_exists(api, engine):
    give_password(engine, "dispatcher")
    client = api.client
    for name in ("dispatcher", "no-such-user"):
        answers = [client.post("/api/v1/login", json={"username": name, "password": "wrong-guess"}) for _ in range(4)]
        assert [r.status_code for r in answers] == [401, 401, 401, 429]
        assert answers[0].json()["message"] == "wrong user name or password"
        assert 0 < int(answers[3].headers["Retry-After"]) <= 60
        assert "too many failed sign-ins" in answers[3].json()["message"]
    # while slowed down even the right password waits (an attacker learns nothing from a success)
    assert client.post("/api/v1/login", json={"username": "dispatcher", "password": PASSWORD}).status_code == 429
    failed = log(engine, "sign_in_failed")
    assert [e.actor_name for e in failed] == ["dispatcher"] * 3 + ["no-such-user"] * 3
    assert failed[0].client and failed[0].channel == "web" and failed[0].actor_id is None

    # an admin unlocks the user name: the right password works at once
    r = api.post("admin", "/api/v1/users/dispatcher/unlock", json={})
    assert r.status_code == 204
    sign_in(client, "dispatcher")
    assert log(engine, "user_unlock")[0].actor_name == "admin"
    assert log(engine, "sign_in")[-1].actor_name == "dispatcher"
    assert api.post("dispatcher", "/api/v1/users/shift_lead/unlock", json={}).status_code == 403


def test_the_lock_follows_the_settings_and_an_address_is_refused_after_its_own_limit(api, engine):
    state = api.client.app.state.gridops
    state.throttle = LoginThrottle(redis_url=None, lock_failures=2, lock_minutes=15, address_failures=4)
    client = api.client
    for _ in range(2):
        assert client.post("/api/v1/login", json={"username": "water", "password": "x"}).status_code == 401
    locked = client.post("/api/v1/login", json={"username": "water", "password": "x"})
    assert locked.status_code == 429 and 60 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert "15 minutes" in locked.json()["message"]
    assert '"locked":true' in log(engine, "sign_in_failed")[-1].detail
    for name in ("a1", "a2"):  # other user names from the same address: the address's own limit
        assert client.post("/api/v1/login", json={"username": name, "password": "x"}).status_code == 401
    assert client.post("/api/v1/login", json={"username": "a3", "password": "x"}).status_code == 429


def test_failures_are_counted_across_processes_in_redis():
    """Two app processes share one count through Redis (here two throttles, as two processes hold them)."""
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    one, two = (LoginThrottle(redis_url="redis://127.0.0.1:6379/0", lock_failures=5, lock_minutes=15,
                              address_failures=30) for _ in range(2))
    name = f"user-{uuid.uuid4().hex[:8]}"
    for _ in range(3):
        one.failed(name, "")
    assert two.wait(name, "") > 0
    two.unlock(name)
    assert one.wait(name, "") == 0


# --- sessions and tokens expire --------------------------------------------------------------------------

def test_a_session_ends_after_its_idle_limit_and_its_absolute_limit(api, engine, clock):
    give_password(engine, "supervisor")
    client = browser(api)
    sign_in(client, "supervisor")
    for _ in range(3):  # in use: kept alive past the idle limit (60 min) as long as requests keep coming
        clock.advance(minutes=45)
        assert client.get("/api/v1/me").status_code == 200
    clock.advance(minutes=61)
    r = client.get("/api/v1/me")
    assert r.status_code == 401 and "session has ended" in r.json()["message"]

    sign_in(client, "supervisor")
    for _ in range(25):  # 12 h 30 min of steady use: the absolute limit (12 h) ends it anyway
        clock.advance(minutes=30)
        if client.get("/api/v1/me").status_code == 401:
            break
    else:
        raise AssertionError("the session outlived its absolute limit")
    assert clock.now - timedelta(hours=12) < clock.now  # (ended within the loop, i.e. by 12 h 30 min)


def test_a_token_expires_and_idles_out_and_shows_when_it_was_last_used(api, clock):
    made = api.post("water", "/api/v1/tokens", json={"name": "pump station sync", "days": 2})
    assert made.status_code == 201
    token, token_id = made.json()["token"], made.json()["id"]
    assert made.json()["expires_at"] and made.json()["last_used_at"] is None
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/v1/me", headers=headers).status_code == 200
    listed = {t["id"]: t for t in api.get("water", "/api/v1/tokens").json()}
    assert listed[token_id]["last_used_at"] is not None and "token" not in listed[token_id]
    clock.advance(days=2, minutes=1)
    r = api.client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401 and "expired" in r.json()["message"]

    idle = api.post("admin", "/api/v1/tokens", json={"name": "quiet one"}).json()["token"]
    clock.advance(days=91)
    assert api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {idle}"}).status_code == 401


# --- logout, deactivation and live connections -------------------------------------------------------------

@pytest.mark.timeout(60)
def test_logout_ends_the_session_and_closes_its_websocket(api, engine):
    give_password(engine, "dispatcher")
    client = api.client
    me = sign_in(client, "dispatcher")
    with client.websocket_connect("/ws") as ws:
        assert ws.receive_json()["kind"] == "hello"
        assert client.post("/api/v1/logout", headers={"X-CSRF-Token": me["csrf_token"]}).status_code == 204
        assert close_code(ws) == 4401
    assert client.get("/api/v1/me").status_code == 401
    assert log(engine, "sign_out")[-1].actor_name == "dispatcher"


@pytest.mark.timeout(60)
def test_a_deactivated_user_is_refused_at_once_everywhere_and_can_be_reactivated(api, engine):
    give_password(engine, "sanitation")
    client = browser(api)
    sign_in(client, "sanitation")
    token = api.tokens["sanitation"]
    with api.client.websocket_connect(f"/ws?token={token}") as ws:
        assert ws.receive_json()["kind"] == "hello"
        r = api.post("admin", "/api/v1/users/sanitation/deactivate", json={"reason": "left the department"})
        assert r.status_code == 200 and r.json()["active"] is False
        assert close_code(ws) == 4401
    assert api.get("sanitation", "/api/v1/tickets").status_code == 401
    assert client.get("/api/v1/me").status_code == 401
    assert client.post("/api/v1/login", json={"username": "sanitation", "password": PASSWORD}).status_code == 401
    entry = log(engine, "user_deactivate")[-1]
    assert entry.actor_name == "admin" and entry.subject == "user:sanitation" and "left the department" in entry.detail

    assert api.post("admin", "/api/v1/users/sanitation/reactivate").json()["active"] is True
    assert api.get("sanitation", "/api/v1/tickets").status_code == 200
    assert api.post("admin", "/api/v1/users/admin/deactivate", json={}).status_code == 409  # not oneself
    assert api.post("dispatcher", "/api/v1/users/water/deactivate", json={}).status_code == 403
    assert api.post("admin", "/api/v1/users/nobody/deactivate", json={}).status_code == 404
    users = {u["username"]: u for u in api.get("admin", "/api/v1/users", params={"q": "sanit"}).json()}
    assert set(users) == {"sanitation", "sanitation_chief"} and "password_hash" not in users["sanitation"]


# --- passwords ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("new, says", [
    ("short1", "at least 10 characters"),
    ("dispatcher1", "user name"),
    ("password123", "common passwords"),
    ("aaaaaaaaaaaa", "too easy to guess"),
])
def test_a_new_password_meets_the_policy(api, engine, new, says):
    give_password(engine, "dispatcher")
    client = browser(api)
    me = sign_in(client, "dispatcher")
    r = client.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": new},
                    headers={"X-CSRF-Token": me["csrf_token"]})
    assert r.status_code == 422 and says in r.json()["message"] and r.json()["field"] == "password"
    assert r.json()["rule"] in ("too_short", "contains_username", "common", "guessable")  # the pages translate it


def test_a_password_change_ends_every_other_session_and_token(api, engine):
    give_password(engine, "shift_lead")
    here, there = browser(api), browser(api)
    me = sign_in(here, "shift_lead")
    sign_in(there, "shift_lead")
    csrf = {"X-CSRF-Token": me["csrf_token"]}
    wrong = here.post("/api/v1/me/password", json={"current_password": "not-it-at-all", "new_password": "x" * 12},
                      headers=csrf)
    assert wrong.status_code == 401
    r = here.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "quiet-river-stone-42"},
                  headers=csrf)
    assert r.status_code == 200, r.text
    assert here.get("/api/v1/me").status_code == 200  # this browser stays
    assert there.get("/api/v1/me").status_code == 401
    assert api.get("shift_lead", "/api/v1/me").status_code == 401  # its API token too
    entry = log(engine, "password_change")[-1]
    assert entry.actor_name == "shift_lead"
    assert '"sessions_ended":1' in entry.detail and '"tokens_revoked":1' in entry.detail
    sign_in(browser(api), "shift_lead", "quiet-river-stone-42")


def test_an_admin_can_force_a_password_change_at_the_next_sign_in(api, engine):
    r = api.post("admin", "/api/v1/users/worker_b/password", json={"password": "first-day-Lantern-7"})
    assert r.status_code == 200 and r.json()["must_change_password"] is True
    client = browser(api)
    me = sign_in(client, "worker_b", "first-day-Lantern-7")
    assert me["must_change_password"] is True
    blocked = client.get("/api/v1/tickets")
    assert blocked.status_code == 403 and blocked.json()["error"] == "password_change_required"
    assert client.get("/api/v1/me").json()["must_change_password"] is True
    r = client.post("/api/v1/me/password", json={"current_password": "first-day-Lantern-7",
                                                 "new_password": "my-own-bicycle-bell"},
                    headers={"X-CSRF-Token": me["csrf_token"]})
    assert r.status_code == 200 and r.json()["must_change_password"] is False
    assert client.get("/api/v1/tickets").status_code == 200
    assert [e.subject for e in log(engine, "password_reset")] == ["user:worker_b"]


# --- tokens ---------------------------------------------------------------------------------------------------

def test_tokens_are_listed_and_revoked_by_their_owner_and_by_admins_only(api, engine):
    mine = api.post("dispatcher", "/api/v1/tokens", json={"name": "wall display"}).json()
    theirs = api.post("admin", "/api/v1/tokens", json={"name": "for water", "username": "water"})
    assert theirs.status_code == 201 and theirs.json()["username"] == "water"
    assert api.post("dispatcher", "/api/v1/tokens", json={"name": "x", "username": "water"}).status_code == 403
    names = {t["name"] for t in api.get("dispatcher", "/api/v1/tokens").json()}
    assert "wall display" in names and "for water" not in names
    assert api.get("dispatcher", "/api/v1/tokens", params={"username": "water"}).status_code == 403
    assert api.client.delete(f"/api/v1/tokens/{theirs.json()['id']}", headers=api.as_("dispatcher")).status_code == 404
    assert api.client.delete(f"/api/v1/tokens/{mine['id']}", headers=api.as_("dispatcher")).status_code == 204
    assert api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {mine['token']}"}).status_code == 401
    assert api.client.delete(f"/api/v1/tokens/{theirs.json()['id']}", headers=api.as_("admin")).status_code == 204
    everyone = api.get("admin", "/api/v1/tokens", params={"username": "*", "include_revoked": True}).json()
    assert {t["name"]: t["revoked"] for t in everyone if t["name"] in ("wall display", "for water")} == {
        "wall display": True, "for water": True}
    assert [e.actor_name for e in log(engine, "token_revoke")] == ["dispatcher", "admin"]


def test_sessions_are_listed_and_ended_by_their_owner(api, engine):
    give_password(engine, "supervisor")
    laptop, phone = browser(api), browser(api)
    me = sign_in(laptop, "supervisor")
    sign_in(phone, "supervisor")
    listed = laptop.get("/api/v1/sessions").json()
    assert len(listed) == 2 and sum(s["current"] for s in listed) == 1
    other = next(s for s in listed if not s["current"])
    ended = laptop.delete(f"/api/v1/sessions/{other['id']}", headers={"X-CSRF-Token": me["csrf_token"]})
    assert ended.status_code == 204
    assert phone.get("/api/v1/me").status_code == 401
    assert laptop.get("/api/v1/me").status_code == 200
    assert api.get("dispatcher", "/api/v1/sessions", params={"username": "supervisor"}).status_code == 403
    assert len(api.get("admin", "/api/v1/sessions", params={"username": "supervisor"}).json()) == 1


# --- users: create and change (API and CLI) -------------------------------------------------------------------

def test_admins_create_and_change_users_and_the_log_says_what_changed(api, engine):
    body = {"username": "worker_c", "role": "worker", "display_name": "王五", "password": "short"}
    cells = [cell_code(COMMUNITY_A, k) for k in (1, 2)]
    refused = api.post("admin", "/api/v1/users", json={**body, "cell_codes": cells})
    assert refused.status_code == 422 and "10 characters" in refused.json()["message"]
    assert api.post("admin", "/api/v1/users", json={**body, "password": None}).status_code == 422  # no cells
    r = api.post("admin", "/api/v1/users", json={**body, "password": "patrol-morning-route", "cell_codes": cells})
    assert r.status_code == 201 and r.json()["must_change_password"] is True and r.json()["has_password"] is True
    assert api.post("admin", "/api/v1/users", json={**body, "password": None, "cell_codes": cells}).status_code == 409
    assert api.post("dispatcher", "/api/v1/users", json={**body, "username": "x", "cell_codes": cells}
                    ).status_code == 403

    moved = [cell_code(COMMUNITY_A, 3)]
    r = api.client.patch("/api/v1/users/worker_c", json={"display_name": "王五（东片）", "cell_codes": moved},
                         headers=api.as_("admin"))
    assert r.status_code == 200 and r.json()["display_name"] == "王五（东片）" and r.json()["cell_codes"] == moved
    listed = api.get("admin", "/api/v1/users", params={"q": "worker_"}).json()  # the list carries each one's cells
    assert {u["username"]: u["cell_codes"] for u in listed}["worker_c"] == moved
    r = api.client.patch("/api/v1/users/worker_c", json={"role": "department"}, headers=api.as_("admin"))
    assert r.status_code == 422 and "needs a department" in r.json()["message"]
    r = api.client.patch("/api/v1/users/worker_c", json={"role": "dispatcher"}, headers=api.as_("admin"))
    assert r.status_code == 200 and r.json()["role"] == "dispatcher"

    created = log(engine, "user_create")[-1]
    assert created.subject == "user:worker_c" and '"password":true' in created.detail
    assert "patrol-morning-route" not in created.detail and "$argon2" not in created.detail
    cells_changed = log(engine, "cells_assign")
    assert [e.subject for e in cells_changed] == ["user:worker_c"] * 2
    assert f'"removed":["{cells[0]}","{cells[1]}"]' in cells_changed[1].detail
    changed = log(engine, "user_change")
    assert len(changed) == 2  # the refused change left nothing
    assert '"before":{"role":"worker"}' in changed[1].detail and '"after":{"role":"dispatcher"}' in changed[1].detail


def test_the_command_line_manages_users_and_tokens_and_names_the_operating_system_user(api, engine, gridops):
    made = gridops("token", "create", "water", "--name", "night sync", "--days", "30")
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    assert api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listed = gridops("token", "list", "water")
    assert "night sync" in listed.output and token not in listed.output
    token_id = next(line.strip("│ ").split()[0] for line in listed.output.splitlines() if "night sync" in line)
    assert gridops("token", "revoke", token_id).exit_code == 0
    assert api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401

    assert gridops("user", "deactivate", "water", "--reason", "retired").exit_code == 0
    assert api.get("water", "/api/v1/me").status_code == 401
    assert "deactivated" in gridops("user", "list", "--inactive").output
    assert gridops("user", "reactivate", "water").exit_code == 0
    weak = gridops("user", "password", "water", input="water12345\nwater12345\n")
    assert weak.exit_code == 1 and "user name" in weak.output
    assert gridops("user", "update", "water", "--display-name", "供水公司", "--leader").exit_code == 0
    assert gridops("user", "update", "nobody", "--leader").exit_code == 1

    entries = [e for kind in ("token_create", "token_revoke", "user_deactivate", "user_reactivate", "user_change")
               for e in log(engine, kind)]
    assert entries and all((e.channel, e.client, e.actor_name) == ("cli", OS_USER, "") for e in entries)
