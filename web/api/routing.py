"""Routing "try it" (admin): the department a case would go to now, and after a proposed rule edit."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, StrictFloat, StrictInt

from dispatch.effects import category_of
from geo.crs import normalize_crs, to_wgs84
from grid import routing
from grid.errors import Forbidden, InvalidInput, OutsideManagedArea
from grid.models import Role, Urgency
from web.api import errors
from web.api.deps import ActorDep, SessionDep, StateDep

router = APIRouter(prefix="/api/v1", tags=["grid"])


class RuleEditIn(BaseModel):
    """A rule to add, or (same category, area and urgency as an existing rule) that rule's new department."""

    category: str = Field(default="", max_length=5, description="minor (E0102) or major class (E01); empty: any")
    area_code: str = Field(default="", max_length=15, description="an area code of any level; empty: everywhere")
    urgency: str = Field(default="", max_length=16, description="normal, urgent or critical; empty: any")
    department_code: str = Field(max_length=40)


class RoutingTryIn(BaseModel):
    lat: StrictFloat | StrictInt | str = Field(description="latitude")
    lng: StrictFloat | StrictInt | str = Field(description="longitude")
    crs: str | None = Field(default=None, description="wgs84 (default), gcj02, bd09 or cgcs2000")
    category_code: str = Field(max_length=5, description="minor class, e.g. E0101")
    urgency: str = Field(default="normal", max_length=16, description="normal, urgent or critical")
    rule: RuleEditIn | None = Field(default=None, description="a proposed edit: the decision after it is given too")


class TriedRuleOut(BaseModel):
    id: int | None = Field(description="null: the proposed rule, not stored")
    category: str
    area_code: str
    urgency: str
    department_code: str
    proposed: bool = Field(description="the proposed edit (a new rule, or an existing rule's new department)")


class TriedDecisionOut(BaseModel):
    department_code: str | None = Field(description="null: no rule matches; the case would wait for a dispatcher")
    suggested_department_code: str | None
    rule: TriedRuleOut | None = Field(description="the rule that decided: the most specific of those that match")
    reason: str = Field(description="in English, as the service would record it")
    reason_code: str = Field(description="rule or no_rule, for the pages to say in their language")
    reason_params: dict[str, Any]


class RoutingTryOut(BaseModel):
    lat: float
    lng: float
    cell_code: str
    category_code: str
    urgency: str
    now: TriedDecisionOut = Field(description="what the service decides under the rules as they are")
    after: TriedDecisionOut | None = Field(description="what it would decide after the proposed edit (nothing is "
                                                       "saved); null without one")


def _decision(decision: routing.RouteDecision, edited: routing.RoutingRule | None) -> TriedDecisionOut:
    rule = decision.rule
    if rule is None:
        code, params = routing.reason_of(decision.reason)
    else:
        code, params = "rule", {"rule_id": rule.id, "category": rule.category, "area_code": rule.area_code,
                                "urgency": rule.urgency, "department_code": rule.department_code}
    return TriedDecisionOut(
        department_code=decision.department_code, suggested_department_code=decision.suggested_department_code,
        rule=None if rule is None else TriedRuleOut(
            id=rule.id, category=rule.category, area_code=rule.area_code, urgency=rule.urgency,
            department_code=rule.department_code, proposed=rule is edited),
        reason=decision.reason, reason_code=code, reason_params=params)


@router.post("/routing-rules/try", response_model=RoutingTryOut,
             responses=errors.responses(invalid_input="an unknown category, department, area or urgency, or a point "
                                                      "outside the managed area"))
def try_rules(body: RoutingTryIn, session: SessionDep, actor: ActorDep, state: StateDep) -> RoutingTryOut:
    """The department a case of this category at this point would be routed to now, the rule that decides
    and why (the service's own decision code), and with ``rule`` the decision after that edit. Nothing is
    saved: the edit is applied to a copy of the rules."""
    if actor.role != Role.admin:
        raise Forbidden(f"only an admin may try routing rules; you are a {actor.role}")
    lng, lat = to_wgs84(body.lng, body.lat, normalize_crs(body.crs))
    category = category_of(session, body.category_code)
    if body.urgency not in Urgency.__members__:
        raise InvalidInput(f"unknown urgency {body.urgency!r}; use one of {', '.join(Urgency)}",
                           code="unknown_urgency", field="urgency", value=body.urgency, allowed=list(Urgency))
    index = state.index.get(session)
    cell_code = index.locate(lng, lat)
    if cell_code is None:
        raise OutsideManagedArea(f"the point ({lng:.6f}, {lat:.6f}) is outside the managed area: pick a point in a "
                                 "cell", lng=round(lng, 6), lat=round(lat, 6))
    now = routing.route(session=session, category=category, cell_code=cell_code, urgency=body.urgency)
    after = None
    if body.rule is not None:
        rules, edited = routing.with_edit(session=session, department_code=body.rule.department_code,
                                          category=body.rule.category, area_code=body.rule.area_code.strip(),
                                          urgency=body.rule.urgency.strip())
        after = _decision(routing.route(session=session, category=category, cell_code=cell_code,
                                        urgency=body.urgency, rules=rules), edited)
    return RoutingTryOut(lat=lat, lng=lng, cell_code=cell_code, category_code=category.code, urgency=body.urgency,
                         now=_decision(now, None), after=after)
