"""整改: a finished period's poor results open rectification items for their owners; an item is closed with a
written account, and is listed with the next period's figure beside it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from dispatch.evaluation import periods
from dispatch.evaluation.periods import Period
from dispatch.evaluation.scheme import in_force
from dispatch.evaluation.scores import Result, evaluate
from dispatch.models import Rectification
from grid.errors import Conflict, InvalidInput, NotFound

#: the objects whose poor results open items, and who owns them: a department itself, an area's street
OWNED = ("department", "street", "community")


def owner_of(obj: str, subject: str) -> str:
    return subject if obj == "department" else subject[:9]


def _items_for(obj: str, result: Result, period: Period, version: int, scheme: Any) -> list[Rectification]:
    due = period.last + timedelta(days=scheme.rectify_days)
    base = dict(object=obj, subject=result.subject, subject_name=result.name[:120], owner=owner_of(obj, result.subject),
                period=period.label, scheme_version=version, grade=result.grade or "", score=result.score or 0.0,
                due_on=due)
    items = []
    if result.grade in scheme.rectify_grades:
        items.append(Rectification(reason="grade", **base))
    part = scheme.part(obj)
    for spec in part.indicators if part else []:
        fig = result.figure(spec.key)
        value = fig.value if fig else None
        if value is None:
            continue
        if spec.rectify_below is not None and value < spec.rectify_below:
            items.append(Rectification(reason=spec.key, indicator=spec.key, value=value,
                                       threshold=spec.rectify_below, **base))
        elif spec.rectify_above is not None and value > spec.rectify_above:
            items.append(Rectification(reason=spec.key, indicator=spec.key, value=value,
                                       threshold=spec.rectify_above, **base))
    return items


def due_items(*, session: Session, period: Period, now: datetime) -> list[Rectification]:
    """The items a finished period's results call for (not saved: reads only, to run in a reading transaction)."""
    if not period.complete(now):
        raise InvalidInput(f"the period {period.label} is not over yet (it ends {period.last}); rectification "
                           "follows a finished period", code="period_not_over", field="period", period=period.label)
    version, scheme = in_force(session, period.first)
    return [item for obj in OWNED for r in evaluate(session=session, obj=obj, period=period)[1] if r.score is not None
            for item in _items_for(obj, r, period, version.version, scheme)]


def open_items(*, session: Session, items: list[Rectification]) -> list[Rectification]:
    """Save the items not opened yet (once each: a second run opens nothing new). Returns those opened."""
    made = []
    for item in items:
        known = session.exec(select(Rectification.id).where(
            Rectification.object == item.object, Rectification.subject == item.subject,
            Rectification.period == item.period, Rectification.reason == item.reason)).first()
        if known is None:
            session.add(item)
            made.append(item)
    session.flush()
    return made


def close(*, session: Session, item_id: int, account: str, by: str, now: datetime) -> Rectification:
    item = session.get(Rectification, item_id)
    if item is None:
        raise NotFound(f"no rectification item {item_id}", code="rectification_unknown")
    if item.state == "closed":
        raise Conflict(f"rectification item {item_id} was closed by {item.closed_by} already",
                       code="rectification_closed", closed_by=item.closed_by)
    account = account.strip()
    if len(account) < 10:
        raise InvalidInput("write what was done to fix it (at least 10 characters)", code="account_too_short",
                           field="account", min_length=10)
    item.state, item.account, item.closed_by, item.closed_at = "closed", account, by, now
    session.add(item)
    session.flush()
    return item


def listed(*, session: Session, state: str, owner: str | None, tz: ZoneInfo) -> list[dict[str, Any]]:
    """The items (open ones first, oldest due first), each with the next period's figure beside it."""
    query = select(Rectification)
    if state != "all":
        query = query.where(Rectification.state == state)
    if owner:
        query = query.where(Rectification.owner == owner)
    items = list(session.exec(query.order_by(col(Rectification.state).desc(), col(Rectification.due_on),
                                             col(Rectification.id)).limit(500)))
    following: dict[tuple[str, str], dict[str, Result]] = {}
    out = []
    for item in items:
        nxt = periods.parse(item.period, tz).following(tz)
        key = (item.object, nxt.label)
        if key not in following:
            following[key] = {r.subject: r for r in evaluate(session=session, obj=item.object, period=nxt)[1]}
        result = following[key].get(item.subject)
        fig = result.figure(item.indicator) if result and item.indicator else None
        out.append({**item.model_dump(), "next": {
            "period": nxt.label, "score": result.score if result else None, "grade": result.grade if result else None,
            "value": fig.value if fig else None}})
    return out


