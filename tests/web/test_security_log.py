"""The security log (issue 11): every admin change to the configuration, through the API or the CLI, is an
entry naming who made it, from where and what changed; admins read it; ``gridops audit verify`` checks it."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from shapely.geometry import mapping
from sqlalchemy import Engine, text
from sqlmodel import Session

from tests.support.city import COMMUNITY_A, DISTRICT, cell_box, cell_code, city_features
from tests.web.conftest import OS_USER
from web import seclog
from web.models import SecurityEvent
from web.seclog import SecurityKind, Source

SH = ZoneInfo("Asia/Shanghai")


def log(engine: Engine, **filters) -> list[SecurityEvent]:  # noqa: ANN003
    """The entries, oldest first."""
    with Session(engine) as session:
        return list(reversed(seclog.entries(session, limit=500, **filters)))


def detail(entry: SecurityEvent) -> dict:
    return json.loads(entry.detail)


def by_cli(entry: SecurityEvent) -> bool:
    return (entry.channel, entry.client, entry.actor_id, entry.actor_name) == ("cli", OS_USER, None, "")


# ---- changes through the API ------------------------------------------------------------------------------

def test_a_calendar_change_names_the_admin_the_client_and_only_what_changed(api, city, engine):
    admin = city.actors["admin"]
    body = {"name": "夜班", "periods": "20:00-23:59", "weekdays": "1,2,3,4,5,6,7"}
    assert api.client.put("/api/v1/calendars/Night", json=body, headers=api.as_("admin")).status_code == 200
    changed = {**body, "periods": "19:00-23:59"}
    assert api.client.put("/api/v1/calendars/night", json=changed, headers=api.as_("admin")).status_code == 200
    assert api.client.put("/api/v1/calendars/night", json=changed, headers=api.as_("admin")).status_code == 200

    created, edited = log(engine)  # saving what is already there is no change
    for e in (created, edited):
        assert (e.kind, e.subject) == ("calendar_change", "calendar:night")
        assert (e.actor_id, e.actor_name, e.channel, e.client) == (admin.user_id, "admin", "api", "testclient")
    assert detail(created) == {"before": None, "after": {"name": "夜班", "timezone": "Asia/Shanghai",
                                                         "periods": "20:00-23:59", "weekdays": "1,2,3,4,5,6,7",
                                                         "always_on": False}}
    assert detail(edited) == {"before": {"periods": "20:00-23:59"}, "after": {"periods": "19:00-23:59"}}


def test_calendar_days_set_changed_and_removed_are_entries(api, engine):
    url = "/api/v1/calendars/standard/days/2031-10-08"
    assert api.client.put(url, json={"kind": "holiday", "name": "国庆"}, headers=api.as_("admin")).status_code == 200
    assert api.client.put(url, json={"kind": "workday", "name": "国庆"}, headers=api.as_("admin")).status_code == 200
    assert api.client.delete(url, headers=api.as_("admin")).status_code == 204

    entries = log(engine, kind=SecurityKind.calendar_change)
    assert [(e.subject, detail(e)) for e in entries] == [
        ("calendar:standard", {"day": "2031-10-08", "before": None, "after": {"kind": "holiday", "name": "国庆"}}),
        ("calendar:standard", {"day": "2031-10-08", "before": {"kind": "holiday"}, "after": {"kind": "workday"}}),
        ("calendar:standard", {"day": "2031-10-08", "before": {"kind": "workday", "name": "国庆"}, "after": None}),
    ]


def test_an_sla_policy_change_shows_the_limit_and_ladder_before_and_after(api, engine):
    body = {"stage": "handle", "category": "e01", "limit_hours": 6, "ladder": {"yellow_ratio": 0.5}}
    assert api.client.put("/api/v1/sla-policies", json=body, headers=api.as_("admin")).status_code == 200
    body |= {"limit_hours": 8, "note": "winter"}
    assert api.client.put("/api/v1/sla-policies", json=body, headers=api.as_("admin")).status_code == 200

    created, edited = log(engine)
    assert {created.kind, edited.kind} == {"sla_policy_change"}
    assert created.subject == edited.subject == "sla_policy:handle/E01/*"
    assert detail(created)["after"] == {"limit_hours": 6, "basis": "working", "ladder": {"yellow_ratio": 0.5},
                                        "note": ""}
    assert detail(edited) == {"before": {"limit_hours": 6, "note": ""}, "after": {"limit_hours": 8, "note": "winter"}}


def test_a_refused_change_leaves_no_entry(api, engine):
    admin = api.as_("admin")
    assert api.client.put("/api/v1/calendars/night", json={"periods": "late"}, headers=admin).status_code == 422
    assert api.client.put("/api/v1/calendars/night", json={}, headers=api.as_("dispatcher")).status_code == 403
    assert api.client.put("/api/v1/calendars/standard/days/2031-10-08", json={"kind": "feast"},
                          headers=admin).status_code == 422
    assert api.client.delete("/api/v1/calendars/standard/days/2031-10-09", headers=admin).status_code == 404
    assert api.client.put("/api/v1/sla-policies", json={"stage": "lunch", "limit_hours": 1},
                          headers=admin).status_code == 422
    assert log(engine) == []


# ---- reading the log through the API ----------------------------------------------------------------------

def test_only_admins_read_the_log_newest_first_with_filters(api, city, engine):
    with Session(engine) as session:
        for i, (kind, actor, subject) in enumerate([
            (SecurityKind.sign_in, city.actors["dispatcher"], "user:dispatcher"),
            (SecurityKind.calendar_change, city.actors["admin"], "calendar:standard"),
            (SecurityKind.user_change, city.actors["admin"], "user:dispatcher"),
            (SecurityKind.sla_policy_change, city.actors["admin"], "sla_policy:handle/*/*"),
        ]):
            seclog.record(session, kind=kind, source=Source("web", "10.0.0.7"), actor=actor, subject=subject,
                          detail={"before": {"n": i}, "after": {"n": i + 1}},
                          at=datetime(2026, 11, 23, 8 + i, tzinfo=SH))
        session.commit()

    for role in ("dispatcher", "shift_lead", "worker_a", "supervisor"):
        assert api.get(role, "/api/v1/security-events").status_code == 403
        assert api.get(role, "/api/v1/security-events?kind=nonsense").status_code == 403
    assert api.client.get("/api/v1/security-events").status_code == 401

    def seqs(**params) -> list[int]:  # noqa: ANN003
        r = api.get("admin", "/api/v1/security-events", params=params)
        assert r.status_code == 200, r.text
        return [e["seq"] for e in r.json()]

    everything = api.get("admin", "/api/v1/security-events").json()
    assert [e["seq"] for e in everything] == [4, 3, 2, 1]
    assert everything[3] | {"at": None, "hash": None, "prev_hash": None} == {
        "seq": 1, "at": None, "kind": "sign_in", "actor_id": city.actors["dispatcher"].user_id,
        "actor_name": "dispatcher", "channel": "web", "client": "10.0.0.7", "subject": "user:dispatcher",
        "detail": {"before": {"n": 0}, "after": {"n": 1}}, "hash": None, "prev_hash": None}
    assert datetime.fromisoformat(everything[3]["at"]) == datetime(2026, 11, 23, 8, tzinfo=SH)
    assert everything[0]["prev_hash"] == everything[1]["hash"]
    assert seqs(kind="calendar_change") == [2]
    assert seqs(user="dispatcher") == [3, 1]  # who acted, or who was acted on
    assert seqs(since="2026-11-23T09:00:00+08:00", until="2026-11-23T11:00:00+08:00") == [3, 2]
    assert seqs(limit=2) == [4, 3] and seqs(before=3) == [2, 1]

    wrong = api.get("admin", "/api/v1/security-events", params={"kind": "sign_on"})
    assert wrong.status_code == 422 and "calendar_change" in wrong.json()["message"]
    naive = api.get("admin", "/api/v1/security-events", params={"since": "2026-11-23T09:00:00"})
    assert naive.status_code == 422 and "time zone" in naive.json()["message"]
    edge = api.get("admin", "/api/v1/security-events", params={"since": "0001-01-01T00:00:00+01:00"})
    assert edge.status_code == 422 and "since is out of range" in edge.json()["message"]
    for limit in (0, 501):
        assert api.get("admin", "/api/v1/security-events", params={"limit": limit}).status_code == 422


# ---- changes through the CLI ------------------------------------------------------------------------------

def test_calendar_and_policy_commands_name_the_os_user_and_the_channel_cli(api, engine, gridops):
    assert gridops("calendar", "save", "night", "--periods", "20:00-23:59").exit_code == 0
    assert gridops("calendar", "save", "night", "--periods", "19:00-23:59").exit_code == 0
    assert gridops("calendar", "save", "night", "--periods", "late").exit_code == 1  # refused: no entry
    assert gridops("calendar", "set-day", "2031-10-08", "--kind", "holiday", "--calendar", "night").exit_code == 0
    assert gridops("calendar", "remove-day", "2031-10-08", "--calendar", "night").exit_code == 0
    assert gridops("sla", "policy", "--stage", "accept", "--hours", "2").exit_code == 0
    assert gridops("sla", "policy", "--stage", "accept", "--hours", "3", "--basis", "natural").exit_code == 0
    assert gridops("department", "calendar", "WATER", "24x7").exit_code == 0

    entries = log(engine)
    assert all(by_cli(e) for e in entries)
    assert [(e.kind, e.subject, detail(e)) for e in entries[1:]] == [
        ("calendar_change", "calendar:night", {"before": {"periods": "20:00-23:59"},
                                               "after": {"periods": "19:00-23:59"}}),
        ("calendar_change", "calendar:night", {"day": "2031-10-08", "before": None,
                                               "after": {"kind": "holiday", "name": ""}}),
        ("calendar_change", "calendar:night", {"day": "2031-10-08", "before": {"kind": "holiday", "name": ""},
                                               "after": None}),
        ("sla_policy_change", "sla_policy:accept/*/*", {"before": None, "after": {
            "limit_hours": 2, "basis": "working", "ladder": None, "note": ""}}),
        ("sla_policy_change", "sla_policy:accept/*/*", {"before": {"limit_hours": 2, "basis": "working"},
                                                        "after": {"limit_hours": 3, "basis": "natural"}}),
        ("department_change", "department:WATER", {"before": {"calendar_code": None},
                                                   "after": {"calendar_code": "24x7"}}),
    ]
    assert (entries[0].subject, detail(entries[0])["after"]["periods"]) == ("calendar:night", "20:00-23:59")


def test_rule_add_records_a_new_rule_and_a_replaced_one(api, engine, gridops):
    assert gridops("rule", "add", "WATER", "--category", "e01", "--area", DISTRICT).exit_code == 0  # was SANITATION
    assert gridops("rule", "add", "WATER", "--category", "E0504", "--note", "积水").exit_code == 0
    assert gridops("rule", "add", "NOBODY", "--category", "E0504").exit_code == 1

    replaced, added = log(engine)
    assert by_cli(replaced) and by_cli(added)
    assert (replaced.kind, replaced.subject) == ("routing_rule_change", f"routing_rule:E01/{DISTRICT}/*")
    assert detail(replaced) == {"before": {"department_code": "SANITATION"}, "after": {"department_code": "WATER"}}
    assert (added.subject, detail(added)) == ("routing_rule:E0504/*/*", {
        "before": None, "after": {"department_code": "WATER", "note": "积水"}})


def test_a_webhook_change_shows_the_receiver_and_what_happened_to_the_secret_never_its_value(api, engine, gridops):
    first = "https://hooks.example.com/t/PATHTOKEN"
    assert gridops("department", "webhook", "WATER", first, "--secret", "s3cret-one").exit_code == 0
    assert gridops("department", "webhook", "WATER", first, "--secret", "s3cret-one").exit_code == 0  # no change
    assert gridops("department", "webhook", "WATER", first).exit_code == 0  # a new random secret
    assert gridops("department", "webhook", "WATER", "http://10.1.2.3:8080/other", "--secret", "two").exit_code == 0
    assert gridops("department", "webhook", "WATER", "http://10.1.2.3:8080/moved", "--secret", "two").exit_code == 0
    assert gridops("department", "webhook", "WATER", "").exit_code == 0

    entries = log(engine)
    assert all(by_cli(e) and (e.kind, e.subject) == ("webhook_change", "department:WATER") for e in entries)
    assert [detail(e) for e in entries] == [
        {"before": {"receiver": None}, "after": {"receiver": "https://hooks.example.com"}, "secret": "set"},
        {"secret": "rotated"},
        {"before": {"receiver": "https://hooks.example.com"}, "after": {"receiver": "http://10.1.2.3:8080"},
         "secret": "rotated"},
        {"receiver": "http://10.1.2.3:8080", "path": "changed"},
        {"before": {"receiver": "http://10.1.2.3:8080"}, "after": {"receiver": None}, "secret": "removed"},
    ]
    assert not any(s in e.detail for e in entries for s in ("s3cret-one", "two", "PATHTOKEN", "/moved"))


def test_catalogue_load_records_what_it_added_and_changed(engine, gridops):
    assert gridops("catalogue", "load").exit_code == 0  # an empty database
    entries = log(engine)
    assert all(by_cli(e) for e in entries)
    calendars = [e for e in entries if e.kind == "calendar_change"]
    assert [e.subject for e in calendars] == ["calendar:24x7", "calendar:standard"]
    assert detail(calendars[1])["before"] is None and detail(calendars[1])["official_days_added"] > 50
    departments, categories = (next(e for e in entries if e.kind == k) for k in ("department_change",
                                                                                 "category_change"))
    assert (departments.subject, len(detail(departments)["added"])) == ("catalogue:departments", 12)
    assert (categories.subject, len(detail(categories)["added"])) == ("catalogue:categories", 41)
    assert "E0101" in detail(categories)["added"] and detail(categories)["changed"] == {}

    with engine.begin() as conn:  # someone edited a category by hand, another went missing
        conn.execute(text("UPDATE category SET limit_hours_normal = 99, name_en = 'Rubbish' WHERE code = 'E0101'"))
        conn.execute(text("DELETE FROM category WHERE code = 'E0601'"))
    count = len(entries)
    assert gridops("catalogue", "load").exit_code == 0
    (reloaded,) = log(engine)[count:]  # the departments and calendars did not change: no entry for them
    assert (reloaded.kind, reloaded.subject) == ("category_change", "catalogue:categories")
    assert detail(reloaded) == {"from": "the default catalogue", "added": ["E0601"], "removed": [], "changed": {
        "E0101": {"before": {"limit_hours_normal": 99, "name_en": "Rubbish"},
                  "after": {"limit_hours_normal": 4, "name_en": "Exposed rubbish"}}}}


def _cells_file(path: Path, renamed: str = "") -> Path:
    features = [{"type": "Feature", "geometry": mapping(f.geometry),
                 "properties": {"code": f.code, "name": renamed if renamed and i == 0 else f.name}}
                for i, f in enumerate(city_features())]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_grid_import_records_a_summary_of_the_file(engine, gridops, tmp_path):
    first = _cells_file(tmp_path / "cells.geojson")
    assert gridops("grid", "import", first).exit_code == 0
    assert gridops("grid", "import", first).exit_code == 0  # the same file again changes nothing: no entry
    extra = {"type": "Feature", "geometry": mapping(cell_box(0, 2)),
             "properties": {"code": cell_code(COMMUNITY_A, 7), "name": "新网格"}}
    second = _cells_file(tmp_path / "cells-2027.geojson", renamed="改名网格")
    collection = json.loads(second.read_text())
    collection["features"].append(extra)
    second.write_text(json.dumps(collection))
    assert gridops("grid", "import", second).exit_code == 0

    imported, changed = log(engine)
    assert by_cli(imported) and (imported.kind, imported.subject) == ("grid_import", "grid:cell")
    assert detail(imported) == {"file": "cells.geojson", "sha256": hashlib.sha256(first.read_bytes()).hexdigest(),
                                "features": 12, "added": 12, "changed": 0, "unchanged": 0, "removed": 0,
                                "parents_derived": 4}
    assert {k: detail(changed)[k] for k in ("file", "features", "added", "changed", "unchanged")} == {
        "file": "cells-2027.geojson", "features": 13, "added": 1, "changed": 1, "unchanged": 11}


# ---- verifying and reading the log with the CLI -----------------------------------------------------------

def _three_entries(engine: Engine) -> None:
    with Session(engine) as session:
        for code in ("standard", "24x7", "night"):
            seclog.record(session, kind=SecurityKind.calendar_change, source=Source.cli(),
                          subject=f"calendar:{code}", detail={"before": {"name": "a"}, "after": {"name": "b"}})
        session.commit()


def test_audit_verify_checks_the_security_log_and_names_an_edited_entry(engine, gridops):
    _three_entries(engine)
    ok = gridops("audit", "verify")
    assert ok.exit_code == 0, ok.output
    assert "every case's hash chain intact" in ok.output
    assert "security log: 3 entries, its hash chain intact" in ok.output

    with engine.begin() as conn:  # someone hides what was changed
        conn.execute(text("UPDATE security_event SET detail = '{}' WHERE seq = 2"))
    bad = gridops("audit", "verify")
    assert bad.exit_code == 1
    assert "security log entry 2: its content does not match its hash" in bad.output


@pytest.mark.parametrize(("seq", "message"), [(2, "security log entry 2 is missing"),
                                              (3, "records 3 entries but holds 2: entries were removed")])
def test_audit_verify_finds_a_removed_entry(engine, gridops, seq, message):
    _three_entries(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM security_event WHERE seq = :seq"), {"seq": seq})
    bad = gridops("audit", "verify")
    assert bad.exit_code == 1 and message in bad.output


def test_audit_security_prints_the_log_filtered(api, engine, gridops):
    assert gridops("calendar", "save", "night", "--periods", "20:00-23:59").exit_code == 0
    assert gridops("calendar", "save", "night", "--periods", "19:00-23:59").exit_code == 0
    assert gridops("sla", "policy", "--stage", "accept", "--hours", "2").exit_code == 0

    shown = gridops("audit", "security", "--kind", "calendar_change")
    assert shown.exit_code == 0, shown.output
    assert f"cli {OS_USER}" in shown.output and "periods: 20:00-23:59 → 19:00-23:59" in shown.output
    assert "sla_policy" not in shown.output
    newest, oldest = shown.output.index("periods: 20:00-23:59 → "), shown.output.index("created: always_on=false")
    assert newest < oldest

    later = (datetime.now(SH) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert "no entries match" in gridops("audit", "security", "--since", later).output
    assert "sla_policy:accept/*/*" in gridops("audit", "security", "--limit", "1").output
    wrong = gridops("audit", "security", "--kind", "calendar")
    assert wrong.exit_code == 1 and "calendar_change" in wrong.output
    by_os_user = gridops("audit", "security", "--user", OS_USER)  # what this person did on the command line
    assert "periods: 20:00-23:59 → 19:00-23:59" in by_os_user.output and "sla_policy:accept" in by_os_user.output
    assert "no entries match" in gridops("audit", "security", "--user", "somebody-else").output
