"""The catalogue for admins (issue 13): public names for citizens, an admin changing a class (every change on
the security log, before → after), a disabled class kept by its cases and refused for new reports, and the
catalogue as a file: exported, imported back unchanged, edited and previewed, applied; a bad file refused
with its bad entries named."""

from __future__ import annotations

import copy
import json

from sqlalchemy import Engine
from sqlmodel import Session

from tests.support.city import COMMUNITY_A, Api
from web import seclog
from web.models import SecurityEvent

IMPORT, EXPORT = "/api/v1/catalogue/import", "/api/v1/catalogue/export"


def log(engine: Engine) -> list[SecurityEvent]:
    """The category changes on the security log, oldest first."""
    with Session(engine) as session:
        return list(reversed(seclog.entries(session, kind=seclog.SecurityKind.category_change, limit=100)))


def catalogue(api: Api, **params: str) -> dict[str, dict]:
    return {c["code"]: c for c in api.get("dispatcher", "/api/v1/categories", params=params).json()}


def minor(document: dict, code: str) -> dict:
    return next(m for major in document["majors"] for m in major["minors"] if m["code"] == code)


def test_every_class_of_the_default_catalogue_has_public_names(api):
    classes = catalogue(api)
    assert len(classes) == 41
    assert all(c["public_name"] and c["public_name_en"] for c in classes.values())
    assert len({c["public_name"] for c in classes.values()}) == 41  # a citizen can tell them apart
    assert (classes["E0101"]["name"], classes["E0101"]["public_name"]) == ("暴露垃圾", "垃圾没人清")
    assert classes["E0503"]["public_name_en"] == "Smell of gas"


def test_an_admin_changes_a_class_and_the_log_says_what_changed(api, engine):
    change = {"public_name": "垃圾堆着没人管", "limit_hours_normal": 6, "default_department_code": "STREET_OFFICE",
              "after_photo_required": False, "time_basis": "natural"}
    r = api.client.patch("/api/v1/categories/e0101", headers=api.as_("admin"), json=change)
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in change} == {**change, "limit_hours_normal": 6.0}
    assert r.json()["name"] == "暴露垃圾" and r.json()["limit_hours_urgent"] == 2  # what was left out stays
    assert {k: catalogue(api)["E0101"][k] for k in change} == {**change, "limit_hours_normal": 6.0}

    (entry,) = log(engine)
    assert (entry.kind, entry.subject, entry.actor_name, entry.channel) == ("category_change", "category:E0101",
                                                                            "admin", "api")
    assert json.loads(entry.detail) == {
        "before": {"public_name": "垃圾没人清", "default_department_code": "SANITATION", "limit_hours_normal": 4.0,
                   "time_basis": "working", "after_photo_required": True},
        "after": {"public_name": "垃圾堆着没人管", "default_department_code": "STREET_OFFICE",
                  "limit_hours_normal": 6.0, "time_basis": "natural", "after_photo_required": False}}
    again = api.client.patch("/api/v1/categories/E0101", headers=api.as_("admin"), json=change)
    assert again.status_code == 200 and len(log(engine)) == 1  # nothing changed: nothing logged


def test_a_bad_change_is_refused_with_what_to_do_and_changes_nothing(api, engine):
    def patch(code: str, body: dict):  # noqa: ANN202
        return api.client.patch(f"/api/v1/categories/{code}", headers=api.as_("admin"), json=body)

    r = patch("E0101", {"default_department_code": "NOBODY"})
    assert r.status_code == 422 and r.json()["field"] == "default_department_code"
    assert "SANITATION" in r.json()["message"]  # the departments there are
    r = patch("E0101", {"limit_hours_urgent": 5})  # more than the normal 4 hours
    assert r.status_code == 422 and r.json()["field"] == "limit_hours_urgent"
    assert "normal ≥ urgent ≥ critical" in r.json()["message"]
    for body in ({"limit_hours_normal": 0}, {"limit_hours_critical": 1e9}, {"name": ""}, {"name": "长" * 41},
                 {"time_basis": "lunar"}, {"code": "E0102"}, {"active": "maybe"}):
        r = patch("E0101", body)
        assert r.status_code == 422 and r.json()["error"] == "invalid_input", (body, r.text)
        assert next(iter(body)) in r.json()["message"]
    assert patch("E0199", {"active": False}).status_code == 404
    assert patch("E01", {"active": False}).status_code == 422
    assert catalogue(api)["E0101"]["limit_hours_urgent"] == 2 and log(engine) == []


def test_a_disabled_class_stays_with_its_cases_and_is_refused_for_new_reports(api, engine):
    open_case = api.report("worker_a").json()["ticket"]  # E0101, dispatched to SANITATION at once
    hotline = api.report("dispatcher", COMMUNITY_A, 2, description="市民来电：路边垃圾堆").json()["ticket"]
    r = api.client.patch("/api/v1/categories/E0101", headers=api.as_("admin"), json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False

    assert "E0101" not in catalogue(api) and catalogue(api, include_inactive="true")["E0101"]["active"] is False
    refused = api.report("worker_a")
    assert refused.status_code == 422, refused.text
    assert (refused.json()["error"], refused.json()["field"]) == ("category_disabled", "category_code")
    assert "disabled" in refused.json()["message"] and "暴露垃圾" in refused.json()["message"]

    # the cases that have it go on round the loop with it
    assert api.act("worker_a", hotline["id"], "verify", reason="现场属实").status_code == 200
    registered = api.act("shift_lead", hotline["id"], "register", reason="立案")
    assert registered.status_code == 200, registered.text
    assert registered.json()["category_code"] == "E0101"
    assert api.act("sanitation", open_case["id"], "accept").status_code == 200
    no_photo = api.act("sanitation", open_case["id"], "resolve", reason="已清运")
    assert no_photo.json()["error"] == "after_photo_required"  # its photo rule still holds
    assert api.resolve("sanitation", open_case["id"]).json()["status"] == "resolved"

    assert api.client.patch("/api/v1/categories/E0101", headers=api.as_("admin"),
                            json={"active": True}).status_code == 200
    assert api.report("worker_a").status_code == 201
    assert [json.loads(e.detail)["after"] for e in log(engine)] == [{"active": False}, {"active": True}]


def test_the_catalogue_exported_and_imported_back_is_unchanged(api, engine):
    exported = api.get("admin", EXPORT)
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    document = exported.json()
    assert document["format"] == "gridops-catalogue/1"
    assert [m["code"] for m in document["majors"]] == sorted(m["code"] for m in document["majors"])
    assert {d["code"] for d in document["departments"]} >= {"SANITATION", "WATER"}
    assert minor(document, "E0101") == {
        "code": "E0101", "name": "暴露垃圾", "name_en": "Exposed rubbish", "public_name": "垃圾没人清",
        "public_name_en": "Rubbish nobody has cleared", "default_department_code": "SANITATION",
        "limit_hours_normal": 4.0, "limit_hours_urgent": 2.0, "limit_hours_critical": 1.0, "time_basis": "working",
        "after_photo_required": True, "active": True}
    assert api.get("admin", EXPORT).content == exported.content  # the same catalogue, the same file

    for apply in ("false", "true"):
        r = api.post("admin", IMPORT, params={"apply": apply}, json=document)
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["applied"], body["added"], body["changed"], body["refused"]) == (apply == "true", [], [], [])
        assert len(body["unchanged"]) == 41 and body["not_in_file"] == []
    assert log(engine) == []  # nothing changed: nothing logged


def test_an_edited_file_previews_the_change_then_applies_it(api, engine):
    document = api.get("admin", EXPORT).json()
    before = api.get("admin", EXPORT).json()
    minor(document, "E0101").update(limit_hours_normal=5, public_name="垃圾堆了好几天")
    minor(document, "C0303")["active"] = False
    others = next(m for m in document["majors"] if m["code"] == "E06")
    others["minors"].append({**minor(document, "E0601"), "code": "E0602", "name": "共享单车堆积",
                             "name_en": "Heaps of shared bikes", "public_name": "共享单车堆成山",
                             "public_name_en": "Shared bikes piled up"})
    document["majors"] = [m for m in document["majors"] if m["code"] != "C01"]  # left out: kept as they are

    preview = api.post("admin", IMPORT, json=document)
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["applied"] is False and [a["code"] for a in body["added"]] == ["E0602"]
    assert body["added"][0]["values"]["name"] == "共享单车堆积"
    assert body["changed"] == [
        {"code": "C0303", "changes": [{"field": "active", "before": True, "after": False}]},
        {"code": "E0101", "changes": [{"field": "public_name", "before": "垃圾没人清", "after": "垃圾堆了好几天"},
                                      {"field": "limit_hours_normal", "before": 4.0, "after": 5.0}]}]
    assert body["refused"] == [] and len(body["unchanged"]) == 41 - 6 - 2
    assert body["not_in_file"] == ["C0101", "C0102", "C0103", "C0104", "C0105", "C0106"]
    assert api.get("admin", EXPORT).json() == before and log(engine) == []  # a preview changes nothing

    upload = json.dumps(document, ensure_ascii=False).encode()
    applied = api.post("admin", IMPORT, params={"apply": "true"},
                       files=[("file", ("catalogue.json", upload, "application/json"))])
    assert applied.status_code == 200, applied.text
    assert applied.json()["applied"] is True and applied.json()["changed"] == body["changed"]
    after = catalogue(api, include_inactive="true")
    assert after["E0101"]["limit_hours_normal"] == 5 and after["C0303"]["active"] is False
    assert after["E0602"]["name"] == "共享单车堆积" and after["E0602"]["kind"] == "event"
    assert after["C0101"]["active"] is True
    assert api.report("worker_a", category_code="E0602", description="共享单车堆积").status_code == 201

    (entry,) = log(engine)
    detail = json.loads(entry.detail)
    assert (entry.subject, detail["from"], detail["added"], detail["removed"]) == (
        "catalogue:categories", "file catalogue.json", ["E0602"], [])
    assert detail["changed"]["E0101"] == {"before": {"public_name": "垃圾没人清", "limit_hours_normal": 4.0},
                                          "after": {"public_name": "垃圾堆了好几天", "limit_hours_normal": 5.0}}
    again = api.post("admin", IMPORT, params={"apply": "true"}, json=document).json()
    assert (again["added"], again["changed"]) == ([], [])


def test_a_bad_file_is_refused_naming_its_bad_entries_and_nothing_is_written(api, engine):
    good = api.get("admin", EXPORT).json()
    document = copy.deepcopy(good)
    minor(document, "E0101")["limit_hours_normal"] = 7  # a good change, in a file that is refused as a whole
    minor(document, "E0102")["default_department_code"] = "NOBODY"
    minor(document, "E0103")["limit_hours_critical"] = 99
    del minor(document, "E0104")["active"]
    e01 = next(m for m in document["majors"] if m["code"] == "E01")
    e01["minors"].append({**minor(document, "E0105")})  # twice
    e01["minors"].append({**minor(document, "E0105"), "code": "E0299"})  # under the wrong major
    document["majors"].append({"code": "X01", "kind": "event", "name": "错", "name_en": "Wrong",
                               "minors": [{**minor(document, "E0105"), "code": "X0101"}]})

    preview = api.post("admin", IMPORT, json=document)
    assert preview.status_code == 200, preview.text
    refused = {(r["entry"], r["code"]): " ".join(r["reasons"]) for r in preview.json()["refused"]}
    assert sorted(refused) == sorted([("majors[6].minors[1]", "E0102"), ("majors[6].minors[2]", "E0103"),
                                      ("majors[6].minors[3]", "E0104"), ("majors[6].minors[5]", "E0105"),
                                      ("majors[6].minors[6]", "E0299"), ("majors[12].minors[0]", "X0101")])
    assert "no department 'NOBODY'" in refused["majors[6].minors[1]", "E0102"]
    assert "normal ≥ urgent ≥ critical, not 8 / 4 / 99 hours" in refused["majors[6].minors[2]", "E0103"]
    assert "active" in refused["majors[6].minors[3]", "E0104"]
    assert "also at majors[6].minors[4]" in refused["majors[6].minors[5]", "E0105"]
    assert "not under its major class E01" in refused["majors[6].minors[6]", "E0299"]
    assert "X01" in refused["majors[12].minors[0]", "X0101"]
    assert [c["code"] for c in preview.json()["changed"]] == ["E0101"]

    applied = api.post("admin", IMPORT, params={"apply": "true"}, json=document)
    assert applied.status_code == 422
    body = applied.json()
    assert body["error"] == "catalogue_entries_refused" and len(body["refused"]) == 6
    assert "majors[6].minors[1] (E0102)" in body["message"] and "nothing was changed" in body["message"]
    assert api.get("admin", EXPORT).json() == good and log(engine) == []

    for bad, says in ((b"not json", "not JSON"), (b'{"format": "gridops-catalogue/9", "majors": []}', "format"),
                      (b'{"format": "gridops-catalogue/1", "majors": {}}', "lists"), (b"[1, 2]", "JSON object")):
        r = api.post("admin", IMPORT, params={"apply": "true"}, files=[("file", ("c.json", bad, "application/json"))])
        assert r.status_code == 422 and r.json()["error"] == "invalid_catalogue_file", (bad, r.text)
        assert says in r.json()["message"]


def test_the_command_line_exports_previews_and_imports(engine, gridops, tmp_path):
    assert gridops("catalogue", "load").exit_code == 0
    path = tmp_path / "catalogue.json"
    exported = gridops("catalogue", "export", path)
    assert exported.exit_code == 0 and "41 classes in 12 major classes" in exported.output
    same = gridops("catalogue", "import", path)
    assert same.exit_code == 0 and "0 added, 0 changed, 41 unchanged, 0 refused" in same.output

    document = json.loads(path.read_text(encoding="utf-8"))
    minor(document, "E0302")["time_basis"] = "working"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    preview = gridops("catalogue", "import", path)
    assert preview.exit_code == 0 and "E0302 time_basis: 'natural' → 'working'" in preview.output
    assert "a preview" in preview.output and log(engine)[-1].subject == "catalogue:categories"  # from the load
    count = len(log(engine))
    applied = gridops("catalogue", "import", path, "--apply")
    assert applied.exit_code == 0 and "0 added, 1 changed" in applied.output
    assert len(log(engine)) == count + 1 and log(engine)[-1].channel == "cli"

    minor(document, "E0302")["limit_hours_urgent"] = -1
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    bad = gridops("catalogue", "import", path, "--apply")
    assert bad.exit_code == 1 and "E0302" in bad.output and "limit_hours_urgent" in bad.output
    assert len(log(engine)) == count + 1
