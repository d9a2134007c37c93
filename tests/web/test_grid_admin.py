"""The grid over the API (issue 13): a file previewed before anything changes — added, changed, refused, repaired
with where and how much, overlaps cut or refused — then applied by a background job; the grid exported in each
format the import reads and read back with no change."""

from __future__ import annotations

import json

import prcoords
import pytest
import shapely
import shapely.affinity
from shapely.geometry import Polygon
from sqlmodel import Session, select

from grid.models import Area, AreaLevel
from tests.grid.test_import import shifted_cells_file
from tests.support.city import COMMUNITY_A, COMMUNITY_B, Api, cell_box, cell_code, city_features
from tests.support.server import wait_until
from web.models import Job, SecurityEvent

NEW_CELL = cell_code(COMMUNITY_A, 7)  # north of community A's first cell
BAD_CODE = "31010100100"


def geojson(*features: tuple[str, str, shapely.Geometry]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": code, "name": name},
         "geometry": json.loads(shapely.to_geojson(geom))} for code, name, geom in features]},
        ensure_ascii=False).encode()


def community_a(**replace: tuple[str, shapely.Geometry]) -> list[tuple[str, str, shapely.Geometry]]:
    """Community A's six cells as the city has them, some replaced by code."""
    return [(f.code, *replace.get(f.code, (f.name, f.geometry))) for f in city_features() if
            f.code.startswith(COMMUNITY_A)]


def form(data: bytes, name: str = "cells.geojson", **fields: str) -> dict:
    return {"files": [("file", (name, data, "application/octet-stream"))], "data": {"level": "cell", **fields}}


def preview(api: Api, data: bytes, name: str = "cells.geojson", **fields: str) -> dict:
    r = api.post("admin", "/api/v1/grid/preview", **form(data, name, **fields))
    assert r.status_code == 200, r.text
    return r.json()


def finished(api: Api, job_id: int, seconds: float = 60.0) -> dict:
    """The job once it has ended, asked for as the console would (the job runs in a thread of the app)."""
    job: dict = {}

    def ended() -> bool:
        job.update(api.get("admin", f"/api/v1/jobs/{job_id}").json())
        return job["status"] in ("done", "failed")

    assert wait_until(ended, timeout=seconds, every=0.05), f"the job did not end in {seconds} s: {job}"
    return job


def cells(engine) -> dict[str, tuple[str, str]]:  # noqa: ANN001
    with Session(engine) as session:
        return {a.code: (a.name, a.geometry) for a in session.exec(select(Area).where(Area.level == AreaLevel.cell))}


def test_a_file_previews_exactly_what_it_adds_changes_and_refuses_and_a_job_applies_it(api: Api, engine):  # noqa: ANN001
    renamed = cell_code(COMMUNITY_A, 2)
    data = geojson(*community_a(**{renamed: ("外滩源网格", cell_box(1, 0))}),
                   (NEW_CELL, "新网格", cell_box(0, 2)), (BAD_CODE, "编码少一位", cell_box(1, 2)))
    before = cells(engine)
    seen = preview(api, data)
    assert cells(engine) == before  # a preview changes nothing
    assert seen["summary"] == {"features": 8, "added": 1, "changed": 1, "moved": 0, "unchanged": 5, "not_in_file": 0,
                               "refused": 1, "repaired": 0, "overlaps": 0}
    assert [(a["code"], a["name"]) for a in seen["added"]] == [(NEW_CELL, "新网格")]
    assert seen["added"][0]["area_m2"] == pytest.approx(95 * 111, rel=0.02)
    (change,) = seen["changed"]
    assert (change["code"], change["what"], change["name_before"], change["name"]) == (
        renamed, ["name"], "网格001-2", "外滩源网格")
    (refused,) = seen["refused"]
    assert (refused["feature"], refused["code"], refused["kind"]) == (8, BAD_CODE, "bad_code")
    assert "not a 15-digit cell code" in refused["reason"] and "a community 12" in refused["reason"]
    statuses = {(f["properties"]["code"], f["properties"]["status"]) for f in seen["geojson"]["features"]}
    assert {(NEW_CELL, "added"), (renamed, "changed"), (BAD_CODE, "refused"),
            (cell_code(COMMUNITY_A, 1), "unchanged")} <= statuses
    assert seen["can_apply"] and seen["blocked"] is None

    r = api.post("admin", "/api/v1/grid/apply", **form(data, preview_id=seen["preview_id"]))
    assert r.status_code == 202, r.text
    job = finished(api, r.json()["id"])
    assert job["status"] == "done", job
    assert job["done"] == job["total"] == 8  # seven features compared, then the import
    assert {k: job["result"][k] for k in ("added", "changed", "unchanged", "refused", "removed")} == {
        "added": 1, "changed": 1, "unchanged": 5, "refused": 1, "removed": 0}
    after = cells(engine)
    assert set(after) == set(before) | {NEW_CELL} and after[renamed][0] == "外滩源网格"
    with Session(engine) as session:
        entry = session.exec(select(SecurityEvent).where(SecurityEvent.kind == "grid_import")).one()
    assert entry.actor_name == "admin" and entry.subject == "grid:cell"
    assert json.loads(entry.detail)["added"] == 1 and json.loads(entry.detail)["job"] == job["id"]

    # the same preview again: the grid is no longer what it saw, so the job writes nothing and says why
    r = api.post("admin", "/api/v1/grid/apply", **form(data, preview_id=seen["preview_id"]))
    again = finished(api, r.json()["id"])
    assert again["status"] == "failed" and "preview the file again" in again["message"]
    assert again["result"] == {"error": "preview_outdated"}  # by code, for the console to translate
    assert cells(engine) == after


def test_a_self_intersecting_cell_is_repaired_saying_where_and_the_area_before_and_after(api: Api):
    first = cell_code(COMMUNITY_A, 1)
    x0, y0, x1, y1 = cell_box(0, 0).bounds
    bowtie = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])  # its edges cross in the middle of the cell
    seen = preview(api, geojson(*community_a(**{first: ("网格001-1", bowtie)})))
    (fixed,) = seen["repairs"]
    assert fixed["code"] == first and fixed["problem"] == "the boundary crosses itself"
    assert (fixed["lng"], fixed["lat"]) == pytest.approx(((x0 + x1) / 2, (y0 + y1) / 2), abs=1e-9)
    assert fixed["area_before_m2"] == 0  # a bow-tie's two halves cancel out
    assert fixed["area_after_m2"] == pytest.approx(95 * 111 / 2, rel=0.02)
    assert f"near {(x0 + x1) / 2:.6f}, {(y0 + y1) / 2:.6f}" in fixed["message"]
    assert "area 0.0 m² → 5," in fixed["message"] and "split into 2 polygons" in fixed["message"]
    (change,) = seen["changed"]
    assert change["what"] == ["geometry"] and change["area_after_m2"] == fixed["area_after_m2"]


def test_overlaps_are_listed_and_can_be_refused_or_cut(api: Api, engine):  # noqa: ANN001
    second = cell_code(COMMUNITY_A, 2)
    x0, y0, x1, y1 = cell_box(1, 0).bounds
    wider = shapely.box(x0 - (x1 - x0) / 2, y0, x1, y1)  # reaches halfway into the first cell
    data = geojson(*community_a(**{second: ("网格001-2", wider)}))
    refused = preview(api, data, overlaps="refuse")
    ((a, b, area),) = [(o["a"], o["b"], o["area_m2"]) for o in refused["overlaps"]]
    assert (a, b) == (cell_code(COMMUNITY_A, 1), second) and area == pytest.approx(95 * 111 / 2, rel=0.02)
    assert not refused["can_apply"] and "overlap" in refused["blocked"]
    cut = preview(api, data, overlaps="clip")
    assert cut["can_apply"] and cut["summary"]["changed"] == 0  # the earlier cell kept the overlap: no change
    (repair,) = cut["repairs"]
    assert repair["code"] == second and "overlaps 310101001001001" in repair["problem"]
    assert repair["area_after_m2"] == pytest.approx(95 * 111, rel=0.02)


def test_a_file_that_is_not_a_grid_file_is_refused_with_what_to_send(api: Api):
    r = api.post("admin", "/api/v1/grid/preview", **form(b"code,name\n", name="cells.csv"))
    assert r.status_code == 422 and r.json()["error"] == "unsupported_grid_file"
    assert "zipped Shapefile" in r.json()["message"]
    r = api.post("admin", "/api/v1/grid/preview", **form(b'{"type": "FeatureCollection", "features": [', ))
    assert r.status_code == 422 and r.json()["error"] == "grid_file_error"
    r = api.post("admin", "/api/v1/grid/preview", **form(geojson(*community_a()), code_field="BM"))
    assert r.status_code == 422 and "its fields are: code, name" in r.json()["message"]


@pytest.mark.parametrize(("fmt", "name"), [("geojson", "cells.geojson"), ("gpkg", "cells.gpkg"), ("shp", "cells.zip")])
def test_the_grid_exported_and_imported_again_changes_nothing(api: Api, fmt: str, name: str):
    r = api.get("admin", "/api/v1/grid/export", params={"level": "cell", "format": fmt})
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == f'attachment; filename="gridops-cell{name[5:]}"'
    seen = preview(api, r.content, name=name)
    assert seen["summary"] == {"features": 12, "added": 0, "changed": 0, "moved": 0, "unchanged": 12,
                               "not_in_file": 0, "refused": 0, "repaired": 0, "overlaps": 0}


def test_the_cli_exports_a_level_that_the_cli_imports_unchanged(engine, city, gridops, tmp_path):  # noqa: ANN001
    path = tmp_path / "communities.gpkg"
    done = gridops("grid", "export", path, "--level", "community")
    assert done.exit_code == 0, done.output
    assert "2 community areas written" in " ".join(done.output.split())
    again = gridops("grid", "import", path, "--level", "community")
    assert again.exit_code == 0, again.output
    # derived communities become surveyed ones (the file is the level now), with the same outlines
    assert "0 added, 2 updated" in again.output
    with Session(engine) as session:
        rows = session.exec(select(Area).where(Area.level == AreaLevel.community)).all()
    assert sorted(a.code for a in rows) == [COMMUNITY_A, COMMUNITY_B] and not any(a.derived for a in rows)
    assert "0 added, 0 updated, 2 unchanged" in gridops("grid", "import", path, "--level", "community").output
    assert gridops("grid", "export", tmp_path / "x.csv").exit_code == 1


def test_jobs_are_the_admins(api: Api, engine):  # noqa: ANN001
    with Session(engine) as session:
        job = Job(kind="grid_apply", status="running", done=3, total=10)
        session.add(job)
        session.commit()
        job_id = job.id
    got = api.get("admin", f"/api/v1/jobs/{job_id}").json()
    assert (got["status"], got["done"], got["total"], got["result"]) == ("running", 3, 10, {})
    assert api.get("dispatcher", f"/api/v1/jobs/{job_id}").status_code == 403


def test_a_cell_drawn_elsewhere_is_a_move_with_its_shift_in_metres_and_missing_cells_stay(api: Api, engine):  # noqa: ANN001
    third = cell_code(COMMUNITY_A, 3)
    shifted = shapely.affinity.translate(cell_box(2, 0), xoff=0.0001)  # some 9.5 m east
    kept = [f for f in community_a(**{third: ("网格001-3", shifted)}) if f[0] != cell_code(COMMUNITY_A, 6)]
    seen = preview(api, geojson(*kept))
    (change,) = seen["changed"]
    assert change["code"] == third and change["what"] == ["geometry"] and change["moved"]
    assert change["centroid_shift_m"] == pytest.approx(9.5, abs=0.3)
    assert change["area_after_m2"] == pytest.approx(change["area_before_m2"], rel=1e-3)
    assert seen["summary"]["moved"] == 1
    (missing,) = seen["not_in_file"]  # community A's sixth cell; community B is not the file's
    assert missing["code"] == cell_code(COMMUNITY_A, 6) and missing["workers"] == 1
    before = {f["properties"]["code"]: f for f in seen["geojson"]["features"] if f["properties"]["status"] == "before"}
    assert set(before) == {third}
    r = api.post("admin", "/api/v1/grid/apply", **form(geojson(*kept), preview_id=seen["preview_id"]))
    assert finished(api, r.json()["id"])["result"]["removed"] == 0
    assert cell_code(COMMUNITY_A, 6) in cells(engine) and cell_code(COMMUNITY_B, 1) in cells(engine)


def test_cells_digitised_on_amap_preview_unchanged_with_crs_gcj02(api: Api, tmp_path):  # noqa: ANN001
    data = shifted_cells_file(tmp_path, prcoords.wgs_gcj).read_bytes()  # every vertex some 500 m off
    shifted = preview(api, data)["summary"]
    assert (shifted["changed"], shifted["moved"]) == (12, 12)
    back = preview(api, data, crs="gcj02")["summary"]  # brought back to WGS-84: the grid as it is
    assert (back["added"], back["changed"], back["unchanged"]) == (0, 0, 12)
