"""Routing rules as data: which department gets a case, and why.

A rule names a category (minor ``E0102``, major ``E01`` or any), an area (a code at any level, or
everywhere) and optionally an urgency. Among the rules matching a case the most specific wins, compared
in this stated order:

1. category: a minor class beats a major class beats "any category";
2. area: a cell beats a community beats a street beats a district beats "everywhere";
3. urgency: a rule for the case's urgency beats one for any urgency.

Two matching rules can never tie: a case has exactly one minor class, one major class and one ancestor
per level, and (category, area, urgency) is unique, so the comparison above is a total order on the
rules that can match. No matching rule → the case waits in the dispatcher's queue, with the category's
default department as a suggestion."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from grid import refcache
from grid.errors import InvalidInput, UnknownArea, UnknownCategory, UnknownDepartment
from grid.hierarchy import ancestor_codes, area_depth
from grid.models import Area, Category, Department, RoutingRule, Urgency


@dataclass(frozen=True)
class RouteDecision:
    department_code: str | None
    rule_id: int | None
    reason: str
    suggested_department_code: str | None
    rule: RoutingRule | None = None  # the rule that matched (id None: a proposed one, ``with_edit``)


# A decision's reason is kept as English text (routing_decision.reason, on record since the first release);
# the three texts below are the only ones written, and ``reason_of`` reads them back as a stable code and
# its parameters, which the pages put in their own words (common.js: routing.rule, routing.no_rule,
# routing.manual).
RULE_TEXT = re.compile(r"^rule #(?P<rule_id>\d+): (?P<category>\S+|any category) in (?P<area_code>\S+)"
                       r"(?:, (?P<urgency>\w+))? → (?P<department_code>\S+)$")
NO_RULE_TEXT = re.compile(r"^no routing rule matches (?P<category_code>\S+) in (?P<cell_code>\S+); left to the "
                          r"dispatcher(?: \(the category's default department is "
                          r"(?P<suggested_department_code>\S+)\))?$")
MANUAL_TEXT = re.compile(r"^dispatched by (?P<username>\S+) \((?:(?P<as_suggested>as suggested)|suggested "
                         r"(?P<suggested_department_code>\S+))\)$")


def reason_of(text: str) -> tuple[str, dict[str, Any]]:
    """A decision's reason as (code, parameters): ``rule`` (rule_id, category, area_code, urgency,
    department_code; "" for any), ``no_rule`` (category_code, cell_code, suggested_department_code or None),
    ``manual`` (username, as_suggested, suggested_department_code); ``other`` for a text none of them wrote."""
    if found := RULE_TEXT.match(text):
        params: dict[str, Any] = found.groupdict()
        params["rule_id"] = int(params["rule_id"])
        params["category"] = "" if params["category"] == "any category" else params["category"]
        params["area_code"] = "" if params["area_code"] == "everywhere" else params["area_code"]
        params["urgency"] = params["urgency"] or ""
        return "rule", params
    if found := NO_RULE_TEXT.match(text):
        return "no_rule", found.groupdict()
    if found := MANUAL_TEXT.match(text):
        params = found.groupdict()
        params["as_suggested"] = bool(params["as_suggested"])
        return "manual", params
    return "other", {}


def manual_reason(*, username: str, department_code: str, suggested_department_code: str | None) -> str:
    """The reason of a dispatcher's own choice of department."""
    return f"dispatched by {username}" + (" (as suggested)" if department_code == suggested_department_code
                                          else f" (suggested {suggested_department_code})")


def specificity(rule: RoutingRule) -> tuple[int, int, int]:
    category_level = 2 if len(rule.category) == 5 else 1 if len(rule.category) == 3 else 0
    return category_level, area_depth(rule.area_code), 1 if rule.urgency else 0


def describe(rule: RoutingRule) -> str:
    what = rule.category or "any category"
    where = rule.area_code or "everywhere"
    urgency = f", {rule.urgency}" if rule.urgency else ""
    name = f"rule #{rule.id}" if rule.id is not None else "the proposed rule"
    return f"{name}: {what} in {where}{urgency} → {rule.department_code}"


def current_rules(session: Session) -> list[RoutingRule]:
    """Every routing rule, from the reference cache (shared, read-only rows)."""
    return refcache.cached(session, "routing_rules", lambda s: refcache.rows(s, RoutingRule))


def route(*, session: Session, category: Category, cell_code: str, urgency: str,
          rules: list[RoutingRule] | None = None) -> RouteDecision:
    """The decision for a case of ``category`` in ``cell_code`` at ``urgency``, under the current rules or
    under ``rules`` when given (``with_edit``: what a proposed edit would decide)."""
    categories, areas = {category.code, category.major_code, ""}, {*ancestor_codes(cell_code), ""}
    rules = [r for r in (current_rules(session) if rules is None else rules)
             if r.category in categories and r.area_code in areas and r.urgency in (urgency, "")]
    if not rules:
        suggestion = category.default_department_code
        return RouteDecision(
            department_code=None,
            rule_id=None,
            reason=f"no routing rule matches {category.code} in {cell_code}; left to the dispatcher"
            + (f" (the category's default department is {suggestion})" if suggestion else ""),
            suggested_department_code=suggestion,
        )
    best = max(rules, key=specificity)
    return RouteDecision(
        department_code=best.department_code,
        rule_id=best.id,
        reason=describe(best),
        suggested_department_code=best.department_code,
        rule=best,
    )


def find_rule(session: Session, *, category: str = "", area_code: str = "", urgency: str = "") -> RoutingRule | None:
    """The rule with these keys (what ``add_rule`` would replace), or None."""
    category = (category or "").strip().upper()
    return session.exec(select(RoutingRule).where(RoutingRule.category == category,
                                                  RoutingRule.area_code == area_code,
                                                  RoutingRule.urgency == urgency)).first()


def _checked_keys(*, session: Session, department_code: str, category: str, area_code: str,
                  urgency: str) -> str:
    """Check a rule's department, category, area and urgency; the category as stored (upper case)."""
    if not session.exec(select(Department).where(Department.code == department_code)).first():
        raise UnknownDepartment(f"unknown department {department_code!r}")
    category = (category or "").strip().upper()  # category codes are upper case (E0101)
    if category:
        if len(category) == 5:
            found = session.exec(select(Category).where(Category.code == category)).first()
        elif len(category) == 3:
            found = session.exec(select(Category).where(col(Category.code).startswith(category))).first()
        else:
            found = None
        if not found:
            raise UnknownCategory(
                f"unknown category {category!r}: give a minor class like E0101 or a major class like E01"
            )
    if area_code and not session.exec(select(Area).where(Area.code == area_code)).first():
        raise UnknownArea(f"unknown area code {area_code!r}")
    if urgency and urgency not in Urgency.__members__:
        raise InvalidInput(f"unknown urgency {urgency!r}; use one of {', '.join(Urgency.__members__)}")
    return category


def with_edit(*, session: Session, department_code: str, category: str = "", area_code: str = "",
              urgency: str = "") -> tuple[list[RoutingRule], RoutingRule]:
    """The current rules as they would be after ``add_rule`` with these values, and the added or changed
    rule (id None when it is new), checked as ``add_rule`` checks them; nothing is stored."""
    category = _checked_keys(session=session, department_code=department_code, category=category,
                             area_code=area_code, urgency=urgency)
    rules, edited = [], None
    for rule in current_rules(session):
        if (rule.category, rule.area_code, rule.urgency) == (category, area_code, urgency):
            rule = edited = RoutingRule(id=rule.id, category=rule.category, area_code=rule.area_code,
                                        urgency=rule.urgency, department_code=department_code, note=rule.note,
                                        created_at=rule.created_at)
        rules.append(rule)
    if edited is None:
        edited = RoutingRule(category=category, area_code=area_code, urgency=urgency, department_code=department_code)
        rules.append(edited)
    return rules, edited


def add_rule(
    *,
    session: Session,
    department_code: str,
    category: str = "",
    area_code: str = "",
    urgency: str = "",
    note: str = "",
) -> RoutingRule:
    """Validate and store a rule. A rule with the same keys is replaced (its department updated)."""
    category = _checked_keys(session=session, department_code=department_code, category=category,
                             area_code=area_code, urgency=urgency)
    rule = find_rule(session, category=category, area_code=area_code, urgency=urgency) or RoutingRule(
        category=category, area_code=area_code, urgency=urgency, department_code="")
    rule.department_code, rule.note = department_code, note
    session.add(rule)
    session.flush()
    return rule
