"""`gridops grid generate` (issue 13): cells over a community's irregular outline, numbered under its code row
by row from the north-west, with no sliver left; the same codes when run again; a street done community by
community; refusals that say what to do."""

from __future__ import annotations

import json

import pytest
import shapely
from shapely.affinity import translate
from sqlmodel import Session, col, select

from geo.loaders import GridFeature
from grid.hierarchy import import_areas
from grid.models import Area, AreaLevel
from tests.geo.test_generate import IRREGULAR
from web.models import SecurityEvent

NEW_STREET = "310101009"
BAY, NECK = f"{NEW_STREET}001", f"{NEW_STREET}002"


def communities(engine, *codes_and_shapes: tuple[str, shapely.Geometry]) -> None:  # noqa: ANN001
    with Session(engine) as session:
        import_areas(session=session, level=AreaLevel.community,
                     features=[GridFeature(code, f"测试{code[-3:]}社区", geom) for code, geom in codes_and_shapes])
        session.commit()


def said(result) -> str:  # noqa: ANN001
    """The command's output as one line (the terminal wraps long messages)."""
    return " ".join(result.output.split())


def cells(engine, community: str) -> list[Area]:  # noqa: ANN001
    with Session(engine) as session:
        return list(session.exec(select(Area).where(Area.level == AreaLevel.cell, Area.parent_code == community)
                                 .order_by(col(Area.code))))


def test_cells_over_an_irregular_community_have_no_sliver_and_the_same_codes_each_time(engine, gridops):
    communities(engine, (BAY, IRREGULAR))
    dry = gridops("grid", "generate", BAY, "--cell-area", "10000", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would be added" in said(dry) and cells(engine, BAY) == []
    assert gridops("grid", "generate", BAY, "--cell-area", "10000", "--dry-run").output == dry.output

    done = gridops("grid", "generate", BAY, "--cell-area", "10000")
    assert done.exit_code == 0, done.output
    made = cells(engine, BAY)
    assert len(made) > 80
    assert [c.code for c in made] == [f"{BAY}{k:03d}" for k in range(1, len(made) + 1)]
    assert min(c.area_m2 for c in made) >= 2_000  # 20 % of the cell area: the slivers were merged
    assert sum(c.area_m2 for c in made) == pytest.approx(
        sum(a.area_m2 for a in _areas(engine, BAY)), rel=1e-4)
    north = max(shapely.from_geojson(c.geometry).centroid.y for c in made)
    assert shapely.from_geojson(made[0].geometry).centroid.y > north - 0.001  # 001 is in the northmost row
    with Session(engine) as session:
        entry = session.exec(select(SecurityEvent).where(SecurityEvent.kind == "grid_generate")).one()
        assert entry.subject == f"grid:{BAY}" and json.loads(entry.detail)["added"] == len(made)

    again = gridops("grid", "generate", BAY)
    assert again.exit_code == 1 and "already has" in said(again) and "gridops grid import" in said(again)

    # the same outline elsewhere in the street gives the same cells under the same numbers
    communities(engine, (NECK, IRREGULAR))
    assert gridops("grid", "generate", NECK, "--cell-area", "10000").exit_code == 0
    twin = cells(engine, NECK)
    assert [(c.code[-3:], c.geometry) for c in twin] == [(c.code[-3:], c.geometry) for c in made]


def _areas(engine, code: str) -> list[Area]:  # noqa: ANN001
    with Session(engine) as session:
        return list(session.exec(select(Area).where(Area.code == code)))


def test_a_street_is_generated_community_by_community_and_hexagons_too(engine, gridops):
    communities(engine, (BAY, IRREGULAR), (NECK, translate(IRREGULAR, xoff=0.02)))
    result = gridops("grid", "generate", NEW_STREET, "--shape", "hex", "--cell-area", "20000")
    assert result.exit_code == 0, result.output
    for community in (BAY, NECK):
        made = cells(engine, community)
        assert made and made[0].code == f"{community}001"
        assert min(c.area_m2 for c in made) >= 4_000


def test_refusals_say_what_to_do(engine, gridops):
    communities(engine, (BAY, IRREGULAR))
    too_many = gridops("grid", "generate", BAY, "--cell-area", "500")
    assert too_many.exit_code == 1
    assert "more than the 999" in said(too_many) and "at least about" in said(too_many)
    assert cells(engine, BAY) == []  # nothing half-written
    cell_level = gridops("grid", "generate", f"{BAY}001")
    assert cell_level.exit_code == 1 and "over a community (12 digits)" in said(cell_level)
    bad_code = gridops("grid", "generate", "31010A")
    assert bad_code.exit_code == 1 and "12 for a community" in said(bad_code)  # the code format, quoted
    bad_shape = gridops("grid", "generate", BAY, "--shape", "triangle")
    assert bad_shape.exit_code == 1 and "square or hex" in said(bad_shape)
    unknown = gridops("grid", "generate", "310101009099")
    assert unknown.exit_code == 1 and "310101009099" in said(unknown)
    empty_street = gridops("grid", "generate", "310101008")
    assert empty_street.exit_code == 1 and "310101008" in said(empty_street)
