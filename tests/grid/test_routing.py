"""Routing rules: the most specific wins, in the stated order; no rule leaves the case to the dispatcher."""

from __future__ import annotations

import pytest
from sqlmodel import select

from grid.errors import UnknownArea, UnknownCategory, UnknownDepartment
from grid.models import Category
from grid.routing import add_rule, route
from tests.support.city import COMMUNITY_A, DISTRICT, STREET, build_city, cell_code

CELL = cell_code(COMMUNITY_A, 2)


def decide(session, code="E0101", cell=CELL, urgency="normal"):  # noqa: ANN001, ANN201
    category = session.exec(select(Category).where(Category.code == code)).one()
    return route(session=session, category=category, cell_code=cell, urgency=urgency)


def test_no_rule_goes_to_the_dispatcher_with_the_default_as_suggestion(session):
    build_city(session, rules=False)
    d = decide(session)
    assert d.department_code is None and d.rule_id is None
    assert d.suggested_department_code == "SANITATION"
    assert "left to the dispatcher" in d.reason


def test_most_specific_rule_wins(session):
    build_city(session, rules=False)
    everywhere = add_rule(session=session, department_code="STREET_OFFICE")
    assert decide(session).rule_id == everywhere.id
    district_major = add_rule(session=session, department_code="SANITATION", category="E01", area_code=DISTRICT)
    assert decide(session).rule_id == district_major.id
    street_major = add_rule(session=session, department_code="ENFORCEMENT", category="E01", area_code=STREET)
    assert decide(session).rule_id == street_major.id
    # a minor class anywhere beats a major class in the cell itself: category first, then area
    cell_major = add_rule(session=session, department_code="GREENING", category="E01", area_code=CELL)
    minor_anywhere = add_rule(session=session, department_code="WATER", category="E0101")
    assert decide(session).rule_id == minor_anywhere.id
    minor_community = add_rule(session=session, department_code="HOUSING", category="E0101", area_code=COMMUNITY_A)
    assert decide(session).department_code == "HOUSING"
    urgent = add_rule(session=session, department_code="EMERGENCY", category="E0101", area_code=COMMUNITY_A,
                      urgency="critical")
    assert decide(session, urgency="critical").rule_id == urgent.id
    assert decide(session, urgency="normal").rule_id == minor_community.id
    # other cells and categories fall back along the same order
    assert decide(session, cell=cell_code("310101001002", 1)).rule_id == minor_anywhere.id
    assert decide(session, code="E0102").rule_id == cell_major.id
    assert decide(session, code="E0102", cell=cell_code(COMMUNITY_A, 3)).rule_id == street_major.id
    assert decide(session, code="C0101").rule_id == everywhere.id


def test_same_keys_replace_rather_than_tie(session):
    build_city(session, rules=False)
    a = add_rule(session=session, department_code="SANITATION", category="E01", area_code=DISTRICT)
    b = add_rule(session=session, department_code="ENFORCEMENT", category="E01", area_code=DISTRICT)
    assert a.id == b.id and decide(session).department_code == "ENFORCEMENT"
    # a lower-case code (SQLite's LIKE ignores case, PostgreSQL's does not) is the same rule and matches
    c = add_rule(session=session, department_code="SANITATION", category="e01", area_code=DISTRICT)
    assert c.id == a.id and c.category == "E01" and decide(session).department_code == "SANITATION"


def test_rules_are_validated(session):
    build_city(session, rules=False)
    with pytest.raises(UnknownDepartment):
        add_rule(session=session, department_code="NOPE")
    with pytest.raises(UnknownCategory):
        add_rule(session=session, department_code="WATER", category="X99")
    with pytest.raises(UnknownArea):
        add_rule(session=session, department_code="WATER", area_code="999999")
