"""Geometry a grid file gets wrong, put right and said in words: what was wrong and where, what the repair
changed (area before → after); and overlapping cells cut apart (the earlier feature in the file keeps the
shared part)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import shapely

from geo.metric import to_metric

#: GEOS's reasons (shapely.is_valid_reason) in words a surveyor knows
PROBLEMS = {
    "Self-intersection": "the boundary crosses itself",
    "Ring Self-intersection": "a ring touches itself at a point",
    "Hole lies outside shell": "a hole lies outside its outer ring",
    "Nested holes": "a hole lies inside another hole",
    "Interior is disconnected": "holes cut the polygon into pieces",
    "Nested shells": "one part lies inside another part",
    "Duplicate Rings": "a ring is repeated",
    "Too few points in geometry component": "a ring has fewer than 4 points",
    "Invalid Coordinate": "a coordinate is not a number",
    "Ring is not closed": "a ring is not closed (its last point is not its first)",
}
UNCLOSED = "Ring is not closed"
_REASON = re.compile(r"^(?P<what>[^\[]+?)\s*(\[(?P<x>[-+\d.eE]+) (?P<y>[-+\d.eE]+)\])?$")


@dataclass(frozen=True)
class Repair:
    """One feature put right: ``problem`` says what was wrong, ``lng``/``lat`` where (when GEOS says),
    ``fix`` what was done, and the area before and after in m²."""

    feature: int  # its number in the file, from 1
    code: str
    problem: str
    fix: str
    area_before_m2: float
    area_after_m2: float
    lng: float | None = None
    lat: float | None = None

    @property
    def message(self) -> str:
        where = f" near {self.lng:.6f}, {self.lat:.6f} (lng, lat)" if self.lng is not None else ""
        return (f"{self.code} (feature #{self.feature}): {self.problem}{where}; {self.fix}: area "
                f"{self.area_before_m2:,.1f} m² → {self.area_after_m2:,.1f} m²")


def area_m2(geom: shapely.Geometry) -> float:
    """The area in m², also of an invalid polygon (the rings' signed areas, as GEOS sums them: a bow-tie's
    two halves cancel out)."""
    if geom is None or geom.is_empty:
        return 0.0
    return round(float(to_metric(geom)[0].area), 1)


def polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    """The areal part of a geometry (a repair or a cut may leave lines and points beside it)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else None


def describe_invalid(geom: shapely.Geometry) -> tuple[str, float | None, float | None]:
    """(what is wrong, lng, lat) of an invalid geometry, from GEOS's reason."""
    reason = shapely.is_valid_reason(geom) or "invalid"
    found = _REASON.match(reason.strip())
    if not found:
        return reason, None, None
    what = found["what"].strip()
    problem = PROBLEMS.get(what, what[:1].lower() + what[1:])
    if found["x"] is None:
        return problem, None, None
    return problem, float(found["x"]), float(found["y"])


def repair(feature: int, code: str, geom: shapely.Geometry, *, unclosed: bool = False
           ) -> tuple[shapely.Geometry | None, Repair | None]:
    """(the usable polygon, the repair made) for a geometry; (None, None) when nothing areal remains.
    ``unclosed``: the reader closed a ring the file left open (said, even when the result is valid)."""
    if geom.is_valid:
        if not unclosed:
            return geom, None
        first = shapely.get_coordinates(geom)[0]
        area = area_m2(geom)
        return geom, Repair(feature, code, PROBLEMS[UNCLOSED], "closed it back to its first point", area, area,
                            float(first[0]), float(first[1]))
    problem, lng, lat = describe_invalid(geom)
    fixed = polygonal(shapely.make_valid(geom))
    if fixed is None or fixed.is_empty or fixed.area == 0:
        return None, None
    parts = len(shapely.get_parts(fixed))
    how = f"split into {parts} polygons" if parts > 1 else "redrawn as a valid polygon"
    return fixed, Repair(feature, code, problem, f"{how} (shapely make_valid)", area_m2(geom), area_m2(fixed),
                         lng, lat)


def clip_overlaps(numbers: list[int], codes: list[str], geoms: list[shapely.Geometry], tolerance_m2: float
                  ) -> tuple[list[shapely.Geometry | None], list[Repair]]:
    """Each feature loses the part it shares with features before it in the file (the earlier one keeps
    it): an overlap of more than ``tolerance_m2`` is cut from the later feature. A feature wholly covered
    comes back as None."""
    tree = shapely.STRtree(np.array(geoms, dtype=object))
    out: list[shapely.Geometry | None] = []
    repairs: list[Repair] = []
    for i, geom in enumerate(geoms):
        earlier = [int(j) for j in tree.query(geom, predicate="intersects") if j < i and out[j] is not None]
        cut, names, shared_m2 = geom, [], 0.0
        for j in sorted(earlier):
            shared = shapely.intersection(cut, out[j])
            shared_area = area_m2(polygonal(shared) or shapely.Polygon()) if not shared.is_empty else 0.0
            if shared_area > tolerance_m2:
                cut = polygonal(shapely.difference(cut, out[j])) or shapely.Polygon()
                names.append(codes[j])
                shared_m2 += shared_area
        if not names:
            out.append(geom)
            continue
        after = area_m2(cut)
        repairs.append(Repair(numbers[i], codes[i], f"overlaps {', '.join(names)} by {shared_m2:,.1f} m²",
                              "the overlap was cut from it (the earlier feature in the file keeps it)",
                              area_m2(geom), after))
        out.append(None if cut.is_empty or after <= tolerance_m2 else cut)
    return out, repairs
