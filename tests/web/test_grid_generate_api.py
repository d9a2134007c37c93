"""Cells generated from the console (issue 13): POST /grid/generate/preview answers what an upload's preview
answers (the generated cells are the features a file would give), /grid/generate/apply runs the same kind of
job; the same options preview no change afterwards; refusals carry a code and their numbers."""

from __future__ import annotations

import json

import shapely
from sqlmodel import Session, select

from geo.loaders import GridFeature
from grid.hierarchy import import_areas
from grid.models import AreaLevel
from tests.support.city import COMMUNITY_A, Api
from tests.web.test_grid_admin import finished
from tests.web.test_grid_generate import BAY, IRREGULAR, NEW_STREET, cells, communities
from web.models import SecurityEvent

OPTIONS = {"area_code": BAY, "shape": "square", "cell_area_m2": 10_000, "sliver_ratio": 0.2}


def generate(api: Api, user: str = "admin", **body: object) -> dict:
    r = api.post(user, "/api/v1/grid/generate/preview", json={**OPTIONS, **body})
    assert r.status_code == 200, r.text
    return r.json()


def test_generated_cells_are_previewed_applied_by_a_job_and_previewed_again_as_no_change(api: Api, engine):  # noqa: ANN001
    communities(engine, (BAY, IRREGULAR))
    seen = generate(api)
    added = seen["summary"]["added"]
    assert added > 80 and seen["can_apply"] and seen["level"] == "cell"
    assert seen["summary"] | {"added": 0} == {"features": added, "added": 0, "changed": 0, "moved": 0,
                                              "unchanged": 0, "not_in_file": 0, "refused": 0, "repaired": 0,
                                              "overlaps": 0}
    assert [a["code"] for a in seen["added"]] == [f"{BAY}{k:03d}" for k in range(1, added + 1)]
    assert min(a["area_m2"] for a in seen["added"]) >= 2_000  # no piece under 20 % of 10,000 m² is left
    assert {f["properties"]["status"] for f in seen["geojson"]["features"]} == {"added"}
    assert cells(engine, BAY) == []  # a preview changes nothing

    r = api.post("admin", "/api/v1/grid/generate/apply", json={**OPTIONS, "preview_id": seen["preview_id"]})
    assert r.status_code == 202, r.text
    job = finished(api, r.json()["id"])
    assert job["status"] == "done", job["message"]
    assert job["kind"] == "grid_generate" and job["result"]["added"] == added
    assert [c.code for c in cells(engine, BAY)] == [a["code"] for a in seen["added"]]
    with Session(engine) as session:
        entry = session.exec(select(SecurityEvent).where(SecurityEvent.kind == "grid_generate")).one()
        assert entry.subject == f"grid:{BAY}" and json.loads(entry.detail)["added"] == added

    again = generate(api)  # the codes are stable: nothing to do
    assert again["summary"]["unchanged"] == added and again["summary"]["added"] == 0 == again["summary"]["changed"]
    # a stale preview fails its job, which says why, and writes nothing
    r = api.post("admin", "/api/v1/grid/generate/apply", json={**OPTIONS, "preview_id": seen["preview_id"]})
    stale = finished(api, r.json()["id"])
    assert stale["status"] == "failed" and "preview again" in stale["message"]


def test_refusals_have_codes_and_numbers(api: Api, engine):  # noqa: ANN001
    communities(engine, (BAY, IRREGULAR))

    def refused(status: int, user: str = "admin", path: str = "preview", **body: object) -> dict:
        r = api.post(user, f"/api/v1/grid/generate/{path}", json={**OPTIONS, **body})
        assert r.status_code == status, r.text
        return r.json()

    too_many = refused(422, cell_area_m2=1_000)
    assert too_many["error"] == "too_many_cells" and too_many["limit"] == 999 and too_many["cells"] > 999
    assert f"would get {too_many['cells']} cells, more than the 999" in too_many["message"]
    assert refused(422, path="apply", cell_area_m2=1_000, preview_id="0" * 64)["error"] == "too_many_cells"
    assert cells(engine, BAY) == []
    assert refused(422, area_code="310101009099")["error"] == "unknown_area"
    assert refused(422, area_code=f"{BAY}001")["error"] == "not_generatable"
    assert refused(422, area_code="310101")["error"] == "not_generatable"
    assert refused(422, area_code="310101008")["error"] in ("unknown_area", "street_without_communities")
    assert refused(422, area_code="31010A")["error"] == "invalid_input"
    assert refused(422, shape="triangle")["error"] == "invalid_input"
    assert refused(422, cell_area_m2=10)["error"] == "invalid_input"
    assert refused(422, sliver_ratio=0.95)["error"] == "invalid_input"
    assert refused(403, user="dispatcher")["error"] == "forbidden"
    assert refused(403, user="dispatcher", path="apply", preview_id="0" * 64)["error"] == "forbidden"


def test_a_street_without_communities_and_one_with_cells(api: Api, engine):  # noqa: ANN001
    with Session(engine) as session:
        import_areas(session=session, level=AreaLevel.street,
                     features=[GridFeature(NEW_STREET, "测试街道", shapely.buffer(IRREGULAR, 0.001))])
        session.commit()
    r = api.post("admin", "/api/v1/grid/generate/preview", json={**OPTIONS, "area_code": NEW_STREET})
    assert r.status_code == 422 and r.json()["error"] == "street_without_communities"
    assert r.json()["area"] == NEW_STREET
    # a community with cells is previewed against them: the city's cells are changed, the rest added
    seen = generate(api, area_code=COMMUNITY_A, cell_area_m2=5_000)
    assert seen["summary"]["changed"] + seen["summary"]["unchanged"] > 0
