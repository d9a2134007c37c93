"""Repairs a grid file's reader makes say what was wrong, where, and what the repair changed; a file read
leniently refuses only the features it cannot use, each with its reason."""

from __future__ import annotations

import json

from shapely.geometry import Polygon, box

from geo.loaders import load_grid_file
from tests.geo.test_loaders import CELLS, CODES


def write(tmp_path, features: list[dict]):  # noqa: ANN001, ANN201
    path = tmp_path / "cells.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def feature(code: str, rings: list, kind: str = "Polygon") -> dict:
    return {"type": "Feature", "properties": {"code": code, "name": f"网格{code[-3:]}"},
            "geometry": {"type": kind, "coordinates": rings}}


def test_an_unclosed_ring_is_closed_and_said(tmp_path):
    open_ring = [[121.480, 31.230], [121.481, 31.230], [121.481, 31.231], [121.480, 31.231]]  # no last point
    loaded = load_grid_file(write(tmp_path, [feature(CODES[0], [open_ring]),
                                             feature(CODES[1], [list(CELLS[1].exterior.coords)])]))
    (fixed,) = loaded.repairs
    assert (fixed.code, fixed.feature) == (CODES[0], 1)
    assert fixed.problem == "a ring is not closed (its last point is not its first)"
    assert (fixed.lng, fixed.lat) == (121.480, 31.230)
    assert loaded.features[0].geometry.equals(CELLS[0]) and not loaded.refused


def test_a_hole_outside_its_shell_is_named_with_its_place(tmp_path):
    shell = list(CELLS[0].exterior.coords)
    hole = list(box(121.4822, 31.2302, 121.4825, 31.2305).exterior.coords)  # in the third cell's place
    loaded = load_grid_file(write(tmp_path, [feature(CODES[0], [shell, hole])]))
    (fixed,) = loaded.repairs
    assert fixed.problem == "a hole lies outside its outer ring"
    assert [fixed.lng, fixed.lat] in [list(p) for p in hole]  # one of the hole's corners
    assert f"{CODES[0]} (feature #1): a hole lies outside its outer ring near 121.48" in fixed.message
    assert fixed.area_after_m2 > fixed.area_before_m2  # the "hole" was subtracted before, it is a part now


def test_features_it_cannot_use_are_refused_with_reasons_and_the_rest_read(tmp_path):
    flat = [[121.480, 31.230], [121.481, 31.230], [121.482, 31.230], [121.480, 31.230]]
    path = write(tmp_path, [
        feature(CODES[0], [list(CELLS[0].exterior.coords)]),
        feature(CODES[1], [flat]),
        feature("", [list(CELLS[2].exterior.coords)]),
        feature(CODES[2], [121.48, 31.23], kind="Point"),
        feature("999", [list(Polygon(CELLS[2].exterior.coords).exterior.coords)]),
    ])
    loaded = load_grid_file(path, code_check=lambda c: None if len(c) == 15 else f"{c} is not 15 digits")
    assert [f.code for f in loaded.features] == [CODES[0]]
    assert [(r.feature, r.kind) for r in loaded.refused] == [(2, "unrepairable"), (3, "no_code"), (4, "not_polygon"),
                                                             (5, "bad_code")]
    assert "redraw it" in loaded.refused[0].reason and loaded.refused[3].reason == "999 is not 15 digits"
