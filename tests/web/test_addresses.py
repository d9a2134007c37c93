"""The address gazetteer (issue 13): import from CSV and GeoJSON (a file with a bad row refused whole, the row
named with its reason), reverse geocoding, search, and a report without an address given the nearest one."""

from __future__ import annotations

import json

import prcoords
from sqlmodel import Session, select

from grid.models import Address
from tests.support.city import COMMUNITY_A, COMMUNITY_B, Api, cell_centre, cell_code
from web.models import SecurityEvent

LNG, LAT = cell_centre(COMMUNITY_A, 1)  # 121.4805, 31.2305
M_PER_DEG_LNG = 111_320 * 0.8550  # at 31.23° north


def gazetteer(rows: list[str]) -> bytes:
    return ("name,kind,road,number,lng,lat\n" + "".join(r + "\n" for r in rows)).encode()


CITY_ROWS = [
    f",address,中山南路,123,{LNG},{LAT}",  # the name is made from road and number: 中山南路123号
    f"中山南路125号,address,中山南路,125,{LNG + 0.0006},{LAT}",
    f"金陵大厦,building,金陵东路,88,{cell_centre(COMMUNITY_B, 1)[0]},{cell_centre(COMMUNITY_B, 1)[1]}",
    f"老西门地铁站,poi,,,{cell_centre(COMMUNITY_A, 5)[0]},{cell_centre(COMMUNITY_A, 5)[1]}",
]


def upload(api: Api, data: bytes, name: str = "city.csv", **form: str):  # noqa: ANN201
    return api.post("admin", "/api/v1/addresses/import", files=[("file", (name, data, "text/csv"))], data=form)


def test_reverse_geocoding_finds_the_address_next_to_a_point_and_none_far_away(api: Api, engine) -> None:  # noqa: ANN001
    r = upload(api, gazetteer(CITY_ROWS))
    assert r.status_code == 200, r.text
    assert r.json() == {"added": 4, "replaced": 0, "source": "city.csv", "dry_run": False}
    with Session(engine) as session:
        row = session.exec(select(Address).where(Address.number == "123")).one()
        assert (row.name, row.cell_code, row.source) == ("中山南路123号", cell_code(COMMUNITY_A, 1), "city.csv")

    # 20 m east of 中山南路123号 (and 37 m west of 125号)
    near = api.get("worker_a", "/api/v1/addresses/nearest", params={"lat": LAT, "lng": LNG + 20 / M_PER_DEG_LNG})
    assert near.status_code == 200, near.text
    assert near.json()["address"]["name"] == "中山南路123号"
    assert abs(near.json()["distance_m"] - 20) < 0.5
    # 40 m east of 125号: 125号 now
    near = api.get("dispatcher", "/api/v1/addresses/nearest",
                   params={"lat": LAT, "lng": LNG + 0.0006 + 40 / M_PER_DEG_LNG})
    assert near.json()["address"]["name"] == "中山南路125号"
    assert abs(near.json()["distance_m"] - 40) < 0.5
    # the middle of cell B6: 200 m and more from every address
    far_lng, far_lat = cell_centre(COMMUNITY_B, 6)
    far = api.get("worker_a", "/api/v1/addresses/nearest", params={"lat": far_lat, "lng": far_lng})
    assert far.status_code == 200 and far.json() is None
    # unless one asks for a wider circle
    wide = api.get("worker_a", "/api/v1/addresses/nearest", params={"lat": far_lat, "lng": far_lng, "radius_m": 400})
    assert wide.json()["address"]["name"] == "金陵大厦"
    bad = api.get("worker_a", "/api/v1/addresses/nearest", params={"lat": "north", "lng": LNG})
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_coordinates"


def test_search_by_part_of_a_name_a_road_or_a_number(api: Api) -> None:
    assert upload(api, gazetteer(CITY_ROWS)).status_code == 200
    names = lambda q: [a["name"] for a in api.get("dispatcher", "/api/v1/addresses", params={"q": q}).json()]  # noqa: E731
    assert names("中山南") == ["中山南路123号", "中山南路125号"]
    assert names("125") == ["中山南路125号"]
    assert names("中山 123") == ["中山南路123号"]  # every word must appear
    assert names("中山南路１２３") == ["中山南路123号"]  # full-width digits, as an input method types them
    assert names("金陵") == ["金陵大厦"]
    assert names("地铁") == ["老西门地铁站"]
    assert names("人民路") == []
    assert names("100%") == []  # a % is a character, not a wildcard
    empty = api.get("dispatcher", "/api/v1/addresses", params={"q": "  "})
    assert empty.status_code == 422 and empty.json()["error"] == "text_required"


def test_a_csv_with_one_bad_row_is_refused_whole_and_the_row_named(api: Api, engine) -> None:  # noqa: ANN001
    rows = [*CITY_ROWS[:2], f"外滩1号,address,中山东一路,1,{LNG + 0.5},{LAT}", *CITY_ROWS[2:]]
    r = upload(api, gazetteer(rows))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "address_rows_refused"
    assert body["refused"] == 1 and body["total"] == 5
    assert [p["row"] for p in body["rows"]] == [4]  # the header is line 1
    assert "outside the managed area" in body["rows"][0]["reason"]
    with Session(engine) as session:
        assert session.exec(select(Address)).first() is None  # nothing half-written
    bad_kind = upload(api, gazetteer([f"某处,house,,,{LNG},{LAT}", f"某处,poi,,,{LNG},abc"]))
    assert [(p["row"], p["reason"][:12]) for p in bad_kind.json()["rows"]] == [(2, "unknown kind"), (3, "lat must be ")]
    # once corrected, the file imports; importing it again replaces its entries instead of adding them
    assert upload(api, gazetteer(CITY_ROWS)).json()["added"] == 4
    again = upload(api, gazetteer(CITY_ROWS[:3]))
    assert again.json() == {"added": 3, "replaced": 4, "source": "city.csv", "dry_run": False}
    with Session(engine) as session:
        assert len(session.exec(select(Address)).all()) == 3
        logged = session.exec(select(SecurityEvent).where(SecurityEvent.kind == "address_import")).all()
        assert [json.loads(e.detail)["added"] for e in logged] == [4, 3]
    assert api.post("dispatcher", "/api/v1/addresses/import",
                    files=[("file", ("x.csv", gazetteer(CITY_ROWS), "text/csv"))]).status_code == 403


def test_geojson_points_in_gcj02(api: Api) -> None:
    """A GeoJSON file of points digitised on AMap (GCJ-02): stored in WGS-84, within a metre."""
    gcj = prcoords.wgs_gcj((LAT, LNG))
    document = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [gcj.lon, gcj.lat]},
         "properties": {"name": "豫园", "kind": "poi"}}]}
    r = upload(api, json.dumps(document, ensure_ascii=False).encode(), name="pois.geojson", crs="gcj02")
    assert r.status_code == 200, r.text
    found = api.get("worker_a", "/api/v1/addresses", params={"q": "豫园"}).json()[0]
    assert abs(found["lng"] - LNG) * M_PER_DEG_LNG < 1 and abs(found["lat"] - LAT) * 110_574 < 1
    assert found["cell_code"] == cell_code(COMMUNITY_A, 1)


def test_a_report_without_an_address_gets_the_nearest_one(api: Api) -> None:
    assert upload(api, gazetteer(CITY_ROWS)).status_code == 200
    r = api.post("worker_a", "/api/v1/reports", json={
        "lat": LAT + 0.0001, "lng": LNG + 0.0001, "category_code": "E0101", "description": "暴露垃圾"})
    assert r.status_code == 201, r.text
    ticket = api.get("dispatcher", f"/api/v1/tickets/{r.json()['ticket']['id']}").json()
    assert ticket["address"] == "中山南路123号"
    given = api.report("worker_a", address="中山南路123号对面弄堂口")
    assert given.json()["ticket"]["address"] == "中山南路123号对面弄堂口"  # an address given is kept
    far = api.report("worker_b", COMMUNITY_B, 6)  # 200 m and more from every address
    assert far.json()["ticket"]["address"] == ""


def test_cli_import_lists_the_bad_rows_and_writes_nothing(gridops, city, engine, tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "doors.csv"
    path.write_bytes(gazetteer([*CITY_ROWS, f",address,中山南路,,{LNG},{LAT}"]))
    result = gridops("address", "import", path)
    assert result.exit_code == 1, result.output
    assert "6" in result.output and "no name (or road and number) given" in result.output
    with Session(engine) as session:
        assert session.exec(select(Address)).first() is None
    path.write_bytes(gazetteer(CITY_ROWS))
    assert gridops("address", "import", path, "--dry-run").exit_code == 0
    with Session(engine) as session:
        assert session.exec(select(Address)).first() is None
    result = gridops("address", "import", path)
    assert result.exit_code == 0, result.output
    assert "4 addresses imported" in result.output
