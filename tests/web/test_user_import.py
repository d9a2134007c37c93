"""Users in bulk from a spreadsheet (issue 13): a preview of what will be created and what is wrong with each bad
row, then the good rows created with one-time passwords; CSV in UTF-8 or as Excel in China saves it (GB18030,
Chinese headers and role names), and XLSX."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from grid.errors import InvalidInput
from tests.support.city import COMMUNITY_A, Api, cell_code
from web.userimport import parse_cells

SHEET = f"""username,display_name,role,department,cells,is_leader
wang_wei,王伟,worker,,{cell_code(COMMUNITY_A, 1)}-{cell_code(COMMUNITY_A, 3)[-3:]},
zhao_li,赵丽,department,SANITATION,,是
qian_feng,钱峰,dispatcher,,,
sun_hao,孙浩,department,NO_SUCH_DEPT,,
""".encode()


def upload(api: Api, data: bytes, name: str = "users.csv", **query: str):  # noqa: ANN201
    return api.post("admin", "/api/v1/users/import", params=query, files=[("file", (name, data, "text/csv"))])


def usernames(api: Api) -> set[str]:
    return {u["username"] for u in api.get("admin", "/api/v1/users").json()}


def test_a_sheet_with_one_bad_row_is_previewed_then_the_rest_created(api: Api):
    before = usernames(api)
    preview = upload(api, SHEET)
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert (body["applied"], body["valid"], body["invalid"], body["created"]) == (False, 3, 1, 0)
    bad = [r for r in body["rows"] if r["errors"]]
    assert [r["row"] for r in bad] == [5] and "NO_SUCH_DEPT" in bad[0]["errors"][0]
    # each problem also by its code and parameters, which the console translates
    assert [(p["code"], p["params"]["department_code"]) for p in bad[0]["problems"]] == [
        ("unknown_department", "NO_SUCH_DEPT")]
    assert all(r["password"] is None for r in body["rows"])
    assert usernames(api) == before  # a preview creates nothing

    done = upload(api, SHEET, apply="true").json()
    assert (done["applied"], done["valid"], done["invalid"], done["created"]) == (True, 3, 1, 3)
    assert usernames(api) == before | {"wang_wei", "zhao_li", "qian_feng"}
    wang = next(r for r in done["rows"] if r["username"] == "wang_wei")
    assert wang["cell_codes"] == [cell_code(COMMUNITY_A, k) for k in (1, 2, 3)]  # the range, expanded
    zhao = next(u for u in api.get("admin", "/api/v1/users").json() if u["username"] == "zhao_li")
    assert zhao["is_leader"] and zhao["department_code"] == "SANITATION" and zhao["must_change_password"]

    # the one-time password signs in, and the first thing asked is a new one
    r = api.client.post("/api/v1/login", json={"username": "wang_wei", "password": wang["password"]})
    assert r.status_code == 200 and r.json()["must_change_password"] is True
    api.client.cookies.clear()

    again = upload(api, SHEET).json()  # the same file again: every row's user exists now
    assert again["valid"] == 0 and all(r["errors"] for r in again["rows"])
    assert {p["code"] for r in again["rows"] for p in r["problems"]} >= {"user_exists"}


def test_chinese_headers_roles_and_gb18030_and_duplicates_in_the_file(api: Api):
    sheet = f"用户名,姓名,角色,网格\nli_na,李娜,网格员,{cell_code(COMMUNITY_A, 4)}\nli_na,李娜二,网格员,\n"
    body = upload(api, sheet.encode("gb18030")).json()
    assert [r["role"] for r in body["rows"]] == ["worker", "worker"]
    assert body["rows"][0]["errors"] == [] and body["rows"][0]["display_name"] == "李娜"
    assert "already on row 2" in body["rows"][1]["errors"][0]
    assert body["rows"][1]["problems"][0]["code"] == "username_repeated"
    assert body["rows"][1]["problems"][0]["params"] == {"username": "li_na", "row": 2}


def test_an_xlsx_workbook(api: Api):
    book = Workbook()
    sheet = book.active
    sheet.append(["username", "role", "department"])
    sheet.append(["zhou_qi", "department", "WATER"])
    buf = io.BytesIO()
    book.save(buf)
    r = api.post("admin", "/api/v1/users/import", params={"apply": "true"},
                 files=[("file", ("users.xlsx", buf.getvalue(),
                                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))])
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 1 and "zhou_qi" in usernames(api)


def test_files_that_cannot_be_read_are_refused_with_what_to_do(api: Api):
    no_header = upload(api, b"wang,worker\n")
    assert no_header.status_code == 422 and "missing: username, role" in no_header.json()["message"]
    broken = upload(api, b"PK\x03\x04 not really a workbook", name="users.xlsx")
    assert broken.status_code == 422 and "XLSX" in broken.json()["message"]
    assert upload(api, b"").status_code == 422
    assert api.post("dispatcher", "/api/v1/users/import", files=[("file", ("u.csv", SHEET, "text/csv"))]
                    ).status_code == 403


def test_cell_ranges():
    first = cell_code(COMMUNITY_A, 1)
    assert parse_cells(f"{first}-003、{cell_code(COMMUNITY_A, 6)}") == [
        cell_code(COMMUNITY_A, k) for k in (1, 2, 3, 6)]
    for bad in (f"{first}-{cell_code('310101001002', 2)}", f"{cell_code(COMMUNITY_A, 3)}-001", "12345"):
        with pytest.raises(InvalidInput, match="cell"):
            parse_cells(bad)


def test_the_command_line_previews_and_imports(engine, city, gridops, tmp_path):  # noqa: ARG001
    sheet = tmp_path / "users.csv"
    sheet.write_bytes(SHEET)
    preview = gridops("user", "import", sheet)
    assert preview.exit_code == 0, preview.output
    said = " ".join(preview.output.split())
    assert "3 would be created, 1 with errors" in said and "NO_SUCH_DEPT" in said
    done = gridops("user", "import", sheet, "--apply")
    said = " ".join(done.output.split())
    assert done.exit_code == 0 and "3 created, 1 with errors" in said and "password" in said
    assert gridops("user", "list").output.count("wang_wei") == 1
