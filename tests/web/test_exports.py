"""Case exports (issue 15): GET /api/v1/exports/tickets.{csv,xlsx,geojson} with the case list's filters and
scope, the reporter's name and number only for those who see them in full, and ``gridops export tickets``."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from tests.support.city import COMMUNITY_A, COMMUNITY_B, Api, cell_centre

URL = "/api/v1/exports/tickets"
LNG, LAT = cell_centre(COMMUNITY_A, 2)  # worker_a's cell


def ok(answer) -> dict:  # noqa: ANN001
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def rows_of(answer) -> list[dict[str, str]]:  # noqa: ANN001
    """The CSV's rows by header, after checking the BOM."""
    assert answer.status_code == 200, answer.text
    assert answer.content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))


@pytest.fixture
def cases(api: Api) -> dict[str, dict]:
    """A: worker_a's report (E0101, SANITATION); B: worker_b's (C0101, WATER); plain and secret: citizens'
    reports with a name and number in worker_a's cell, dispatched to SANITATION, the second confidential."""
    made = {"A": ok(api.report("worker_a", description="=HYPERLINK(\"x\") 垃圾"))["ticket"],
            "B": ok(api.report("worker_b", COMMUNITY_B, 1, category_code="C0101", description="井盖缺失"))["ticket"]}
    for name, secret in (("plain", False), ("secret", True)):
        number = ok(api.client.post("/public/v1/reports", json={
            "lat": LAT, "lng": LNG, "category_code": "E0102", "description": f"公众上报 {name}",
            "contact_name": f"联系人{name}", "contact_phone": "13911112222" if not secret else "13933334444",
            "confidential": secret, "client_id": f"c-{name}"}))["case_number"]
        found = ok(api.get("operator", "/api/v1/tickets", params={"q": number}))["items"][0]
        ok(api.act("worker_a", found["id"], "verify"))
        ok(api.act("shift_lead", found["id"], "register"))
        made[name] = ok(api.act("dispatcher", found["id"], "dispatch", payload={"department_code": "SANITATION"}))
    return made


def test_csv_has_the_bom_zh_headers_and_every_case_for_the_centre(api: Api, cases):  # noqa: ANN001
    answer = api.get("dispatcher", f"{URL}.csv")
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'attachment; filename="gridops-tickets-' in answer.headers["content-disposition"]
    rows = rows_of(answer)
    assert {r["案件编号"] for r in rows} == {c["case_number"] for c in cases.values()}
    a = next(r for r in rows if r["案件编号"] == cases["A"]["case_number"])
    assert a["状态代码"] == "dispatched" and a["状态"] == "待签收" and a["类别"] == "暴露垃圾"
    assert a["网格代码"] == cases["A"]["cell_code"] and a["处置部门"] == "SANITATION"
    assert a["问题描述"].startswith("'=HYPERLINK")  # a spreadsheet shows it, never runs it
    assert len(a["上报时间"]) == 19 and a["结案时间"] == ""
    assert "上报人电话" not in a  # a dispatcher sees them masked: no such column


def test_filters_and_english_headers(api: Api, cases):  # noqa: ANN001
    rows = rows_of(api.get("supervisor", f"{URL}.csv", params={"category": "C", "lang": "en"}))
    assert [r["Case number"] for r in rows] == [cases["B"]["case_number"]]
    assert rows[0]["Status"] == "To accept" and rows[0]["Category"]
    rows = rows_of(api.get("supervisor", f"{URL}.csv", params={"area": COMMUNITY_B}))
    assert [r["案件编号"] for r in rows] == [cases["B"]["case_number"]]
    rows = rows_of(api.get("supervisor", f"{URL}.csv", params={"status": "dispatched", "department": "WATER"}))
    assert len(rows) == 1
    assert rows_of(api.get("supervisor", f"{URL}.csv", params={"created_to": "2000-01-01T00:00:00Z"})) == []
    refused = api.get("supervisor", f"{URL}.csv", params={"status": "nonsense"})
    assert refused.status_code == 422 and refused.json()["field"] == "status"


def test_scope_a_department_its_own_a_worker_its_cells(api: Api, cases):  # noqa: ANN001
    water = rows_of(api.get("water", f"{URL}.csv"))
    assert [r["案件编号"] for r in water] == [cases["B"]["case_number"]]
    worker = {r["案件编号"] for r in rows_of(api.get("worker_a", f"{URL}.csv"))}
    assert worker == {cases[k]["case_number"] for k in ("A", "plain", "secret")}
    assert api.get("worker_a", f"{URL}.pdf").status_code == 422
    assert api.client.get(f"{URL}.csv").status_code == 401


def test_reporters_name_and_number_only_for_those_who_see_them_in_full(api: Api, cases):  # noqa: ANN001
    numbers = {"13911112222", "13933334444"}
    for user in ("operator", "shift_lead", "supervisor"):
        rows = rows_of(api.get(user, f"{URL}.csv"))
        assert {r["上报人电话"] for r in rows} == numbers | {""}, user
        assert "联系人secret" in {r["上报人姓名"] for r in rows}
    # a department: its non-confidential cases' reporter in full, nothing of a confidential one
    rows = {r["案件编号"]: r for r in rows_of(api.get("sanitation", f"{URL}.csv"))}
    assert rows[cases["plain"]["case_number"]]["上报人电话"] == "13911112222"
    secret = rows[cases["secret"]["case_number"]]
    assert secret["上报人电话"] == secret["上报人姓名"] == ""
    for user in ("dispatcher", "admin", "worker_a", "sanitation"):
        for fmt in ("csv", "geojson"):
            text = api.get(user, f"{URL}.{fmt}").content.decode("utf-8-sig")
            assert "13933334444" not in text and "****" not in text and "联系人secret" not in text, (user, fmt)
            if user != "sanitation":
                assert "13911112222" not in text and "contact_phone" not in text and "上报人电话" not in text


def test_xlsx_opens_with_its_rows(api: Api, cases):  # noqa: ANN001
    answer = api.get("supervisor", f"{URL}.xlsx", params={"lang": "en"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True).active
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][:2] == ("Case number", "Status code") and "Reporter's phone" in table[0]
    assert {r[0] for r in table[1:]} == {c["case_number"] for c in cases.values()}
    description = table[0].index("Description")
    assert all(not str(r[description]).startswith("=") for r in table[1:])  # no formula from a citizen's text


def test_geojson_is_a_collection_of_points(api: Api, cases):  # noqa: ANN001
    answer = api.get("dispatcher", f"{URL}.geojson", params={"category": "E01"})
    assert answer.headers["content-type"].startswith("application/geo+json")
    document = json.loads(answer.content)
    assert document["type"] == "FeatureCollection"
    features = {f["properties"]["case_number"]: f for f in document["features"]}
    assert set(features) == {cases[k]["case_number"] for k in ("A", "plain", "secret")}
    point = features[cases["A"]["case_number"]]["geometry"]
    assert point["type"] == "Point" and point["coordinates"] == [cases["A"]["lng"], cases["A"]["lat"]]


def test_the_cli_writes_every_case(api: Api, cases, gridops, tmp_path):  # noqa: ANN001
    out = tmp_path / "cases.csv"
    result = gridops("export", "tickets", "--format", "csv", "--out", out, "--category", "E")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert {r["案件编号"] for r in rows} == {cases[k]["case_number"] for k in ("A", "plain", "secret")}
    assert "上报人电话" not in rows[0]  # the system: no reporter's contact
    geo = tmp_path / "cases.geojson"
    result = gridops("export", "tickets", "--out", geo, "--area", COMMUNITY_B, "--from", "2000-01-01")
    assert result.exit_code == 0, result.output
    assert len(json.loads(geo.read_text(encoding="utf-8"))["features"]) == 1
    assert gridops("export", "tickets", "--out", tmp_path / "x.pdf").exit_code == 1
