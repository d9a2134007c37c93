"""Every indicator as one SQL query over the case events (the audit trail), as of a period's end.

An indicator's query yields one row per counted thing: ``subject`` (a department's code, an area's code or
a person's id, as text), ``ticket_id`` and ``hit`` (1 when it counts in the numerator). A rate is
hits / rows, a count is rows, a ratio is rows per cell of the area. The same query grouped by subject gives
the scores, filtered to one subject it gives the cases behind a figure (the drill-down). Only events before
the period's end are read, so what happens later never changes a period's figures.

The formulas, in words, are in README "Evaluation"; each function's docstring is its definition."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, and_, case, cast, exists, literal, select, true, union, union_all
from sqlalchemy.sql import Select

from dispatch.models import Rating, Ticket, TicketEvent

E = TicketEvent.__table__
T = Ticket.__table__
R = Rating.__table__

PUBLIC_SOURCES = ("citizen", "hotline")
CLOSED = ("closed", "reviewing")  # a case whose bad rating is under review was closed
#: not due to close at the period's end: on hold (挂账), withdrawn, merged, or back with the centre after a return
NOT_DUE = ("suspended", "suspension_requested", "void", "merged", "registered", "rejected")
VOIDED = ("approve_void", "merge")  # the register was wrong: withdrawn, or a duplicate


@dataclass(frozen=True)
class Window:
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive: nothing at or after it is read
    level: str = "street"  # for areas: district | street | community | cell


def _in(e, w: Window):  # noqa: ANN001, ANN202
    return and_(e.c.at >= w.start, e.c.at < w.end)


def _hit(condition) -> object:  # noqa: ANN001
    return case((condition, 1), else_=0).label("hit")


def _one():  # noqa: ANN202
    return literal(1).label("hit")


def _who(e):  # noqa: ANN001, ANN202
    return cast(e.c.actor_id, String).label("subject")


def _later(ticket_id, actions: tuple[str, ...], w: Window, *, after_seq=None, department=None, since=None):  # noqa: ANN001, ANN202
    """Whether the case has one of ``actions`` before the period's end (after an event, for a department)."""
    x = E.alias()
    cond = [x.c.ticket_id == ticket_id, x.c.action.in_(actions), x.c.at < w.end]
    if after_seq is not None:
        cond.append(x.c.seq > after_seq)
    if department is not None:
        cond.append(x.c.department_code == department)
    if since is not None:
        cond.append(x.c.at >= since)
    return exists().where(*cond)


def _acts(actions: tuple[str, ...], w: Window, *, role: str | None = None, stage: str | tuple[str, ...] | None = None,
          name: str = "a"):  # noqa: ANN202
    a = E.alias(name)
    cond = [a.c.action.in_(actions), _in(a, w)]
    if role:
        cond.append(a.c.role == role)
    if stage:
        cond.append(a.c.met_stage.in_((stage,) if isinstance(stage, str) else stage))
    return a, cond


def _closure(base, w: Window) -> Select:  # noqa: ANN001
    """Of ``base`` (subject, ticket_id), those due to close at the end (not in NOT_DUE), closed by then. A case's
    state at the end is the state its last event before the end left it in: read backwards along the case's
    (ticket_id, seq) index, a row or two per case."""
    y = E.alias("y")
    status = (select(y.c.to_status).where(y.c.ticket_id == base.c.ticket_id, y.c.at < w.end)
              .order_by(y.c.seq.desc()).limit(1).scalar_subquery())
    at_end = select(base.c.subject, base.c.ticket_id, status.label("status")).subquery("at_end")
    return (select(at_end.c.subject, at_end.c.ticket_id, _hit(at_end.c.status.in_(CLOSED)))
            .where(at_end.c.status.not_in(NOT_DUE)))


# --- departments -------------------------------------------------------------------------------------

def department_cases(w: Window) -> Select:
    """立案数: cases dispatched to the department in the period (each case once)."""
    a, cond = _acts(("dispatch",), w)
    return (select(a.c.department_code.label("subject"), a.c.ticket_id, _one())
            .where(*cond, a.c.department_code.is_not(None)).group_by(a.c.department_code, a.c.ticket_id))


def _due_or_closed(w: Window):  # noqa: ANN202
    """The cases due to close in the period: those whose department's deadline, as it stood at the period's end
    (the last one an act set or moved before the end: a dispatch, a rework, an extension, a resume), fell in
    the period, and those closed in it (early or late); each with the department it was due from."""
    x = E.alias("dx")
    candidates = (select(x.c.ticket_id).where(x.c.due_at >= w.start, x.c.due_at < w.end, x.c.at < w.end)
                  .distinct().subquery("due_in"))
    y = E.alias("dy")
    last = (select(y.c.seq).where(y.c.ticket_id == candidates.c.ticket_id, y.c.due_at.is_not(None), y.c.at < w.end)
            .order_by(y.c.seq.desc()).limit(1).scalar_subquery())
    latest = select(candidates.c.ticket_id, last.label("seq")).subquery("latest_due")
    z = E.alias("dz")
    due = (select(z.c.ticket_id, z.c.department_code)
           .select_from(latest.join(z, and_(z.c.ticket_id == latest.c.ticket_id, z.c.seq == latest.c.seq)))
           .where(z.c.due_at >= w.start, z.c.due_at < w.end))
    c, cond = _acts(("close",), w, name="dc")
    closed = select(c.c.ticket_id, c.c.department_code).where(*cond)
    return union(due, closed).subquery("due_or_closed")


def department_closure_rate(w: Window) -> Select:
    """结案率: of the cases due to close in the period (the department's deadline, as it stood at the end, fell in
    the period, or the case was closed in it) and still due at the end (not suspended, withdrawn, merged,
    rejected, or returned to the centre), those closed by the end."""
    cases = _due_or_closed(w)
    base = select(cases.c.department_code.label("subject"), cases.c.ticket_id).where(
        cases.c.department_code.is_not(None)).subquery("base")
    return _closure(base, w)


def department_on_time_rate(w: Window) -> Select:
    """按时处置率: of the department's handlings reported back (resolve) in the period, those within the
    handling (or, after a reopen, the rectification) limit; approved extensions move the limit and
    suspended time is not counted (the timer's own rules). A case still suspended has no handling yet."""
    a, cond = _acts(("resolve",), w, stage=("handle", "rectify"))
    return select(a.c.department_code.label("subject"), a.c.ticket_id, _hit(a.c.on_time == true())).where(*cond)


def department_rework_rate(w: Window) -> Select:
    """返工率: of the cases the department reported back in the period, those sent back to it in the period
    (a failed check or a reopen after a bad rating)."""
    a, cond = _acts(("resolve",), w)
    base = (select(a.c.department_code.label("subject"), a.c.ticket_id).where(*cond)
            .group_by(a.c.department_code, a.c.ticket_id).subquery("handled"))
    again = _later(base.c.ticket_id, ("check_fail", "reopen"), w, department=base.c.subject, since=w.start)
    return select(base.c.subject, base.c.ticket_id, _hit(again))


def _department_count(action: str) -> Callable[[Window], Select]:
    def count(w: Window) -> Select:
        a, cond = _acts((action,), w)
        return select(a.c.department_code.label("subject"), a.c.ticket_id, _one()).where(*cond)
    return count


def department_satisfaction_rate(w: Window) -> Select:
    """满意率: of the ratings of the department's work given in the period, those 基本满意 or better; a rating
    whose appeal was upheld before the period's end is left out."""
    upheld = _later(R.c.ticket_id, ("uphold_appeal",), w, since=R.c.at)
    return (select(R.c.department_code.label("subject"), R.c.ticket_id, _hit(R.c.score >= 3))
            .where(R.c.at >= w.start, R.c.at < w.end, R.c.department_code.is_not(None), ~upheld))


# --- areas -------------------------------------------------------------------------------------------

def _area(w: Window):  # noqa: ANN202
    return {"district": T.c.district_code, "street": T.c.street_code, "community": T.c.community_code,
            "cell": T.c.cell_code}[w.level]


def _registered(w: Window):  # noqa: ANN202
    a, cond = _acts(("register",), w)
    area = _area(w)
    return (select(area.label("subject"), a.c.ticket_id, T.c.source)
            .select_from(a.join(T, T.c.id == a.c.ticket_id)).where(*cond)
            .group_by(area, a.c.ticket_id, T.c.source))


def area_cases(w: Window) -> Select:
    """立案数: cases registered in the period in the area (each case once)."""
    base = _registered(w).subquery("registered")
    return select(base.c.subject, base.c.ticket_id, _one())


def area_closure_rate(w: Window) -> Select:
    """结案率: of the area's cases due to close in the period (as for a department) and still due at the end,
    those closed by the end."""
    cases = _due_or_closed(w)
    area = _area(w)
    base = (select(area.label("subject"), cases.c.ticket_id).select_from(cases.join(T, T.c.id == cases.c.ticket_id))
            .group_by(area, cases.c.ticket_id).subquery("base"))
    return _closure(base, w)


def area_on_time_close_rate(w: Window) -> Select:
    """按期结案率: of the closings in the period, those whose last handling before the closing was on time."""
    a, cond = _acts(("close",), w)
    r = E.alias("r")
    handled_on_time = (select(r.c.on_time).where(r.c.ticket_id == a.c.ticket_id, r.c.action == "resolve",
                                                  r.c.seq < a.c.seq)
                       .order_by(r.c.seq.desc()).limit(1).scalar_subquery())
    area = _area(w)
    return (select(area.label("subject"), a.c.ticket_id, _hit(handled_on_time == true()))
            .select_from(a.join(T, T.c.id == a.c.ticket_id)).where(*cond))


def area_public_found_rate(w: Window) -> Select:
    """监督举报率: of the cases registered in the period, those the public reported (a citizen or the hotline)
    that no grid worker had reported: a public report of a problem a worker had already reported is
    verified as the same problem (同一问题) or merged, and never registered as a case of its own."""
    base = _registered(w).subquery("registered")
    return select(base.c.subject, base.c.ticket_id, _hit(base.c.source.in_(PUBLIC_SOURCES)))


# --- posts -------------------------------------------------------------------------------------------

def worker_reports(w: Window) -> Select:
    """上报数: the worker's reports in the period."""
    a, cond = _acts(("report",), w, role="worker")
    return select(_who(a), a.c.ticket_id, _one()).where(*cond)


def _valid(role: str, w: Window) -> Select:
    a, cond = _acts(("report",), w, role=role)
    return select(_who(a), a.c.ticket_id, _hit(_later(a.c.ticket_id, ("register", "merge"), w))).where(*cond)


def worker_valid_report_rate(w: Window) -> Select:
    """有效上报率: of the worker's reports in the period, those registered or merged as a duplicate by the end."""
    return _valid("worker", w)


def _on_time(actions: tuple[str, ...], stage: str, w: Window, role: str) -> Select:
    a, cond = _acts(actions, w, role=role, stage=stage)
    return select(_who(a), a.c.ticket_id, _hit(a.c.on_time == true())).where(*cond)


def worker_verify_on_time_rate(w: Window) -> Select:
    """按时核实率: of the worker's verifications (属实 or 不属实) in the period, those within the verify limit."""
    return _on_time(("verify", "verify_untrue"), "verify", w, "worker")


def worker_check_on_time_rate(w: Window) -> Select:
    """按时核查率: of the worker's checks (pass or fail) in the period, those within the check limit."""
    return _on_time(("check_pass", "check_fail"), "check", w, "worker")


def worker_missed_rate(w: Window) -> Select:
    """漏报率: of the problems registered in the period in the worker's care — the worker's own reports, and
    the public's reports the worker verified on site — the share the public found first (missed)."""
    g, cond = _acts(("register",), w, name="g")
    p = E.alias("p")
    own = (select(_who(p), g.c.ticket_id, literal(0).label("hit"))
           .select_from(g.join(p, and_(p.c.ticket_id == g.c.ticket_id, p.c.action == "report", p.c.role == "worker")))
           .where(*cond))
    v = E.alias("v")
    found = (select(_who(v), g.c.ticket_id, literal(1).label("hit"))
             .select_from(g.join(T, T.c.id == g.c.ticket_id)
                          .join(v, and_(v.c.ticket_id == g.c.ticket_id, v.c.action.in_(("verify", "verify_untrue")),
                                        v.c.role == "worker", v.c.seq < g.c.seq)))
             .where(*cond, T.c.source.in_(PUBLIC_SOURCES)))
    both = union_all(own, found).subquery("care")
    return select(both.c.subject, both.c.ticket_id, both.c.hit)


def operator_intake(w: Window) -> Select:
    """受理数: the cases the operator took in from callers in the period."""
    a, cond = _acts(("report",), w, role="operator")
    return select(_who(a), a.c.ticket_id, _one()).where(*cond)


def operator_valid_intake_rate(w: Window) -> Select:
    """有效受理率: of the operator's intake in the period, the cases registered or merged as a duplicate by the end."""
    return _valid("operator", w)


def operator_callback_rate(w: Window) -> Select:
    """回访率: of the closings in the period of cases the operator took in, those the reporter was called back
    about (a call-back recorded, reached or not) or rated, before the period's end."""
    c, cond = _acts(("close",), w, name="c")
    p = E.alias("p")
    back = _later(c.c.ticket_id, ("call_back", "rate"), w, after_seq=c.c.seq)
    return (select(_who(p), c.c.ticket_id, _hit(back))
            .select_from(c.join(p, and_(p.c.ticket_id == c.c.ticket_id, p.c.action == "report",
                                        p.c.role == "operator")))
            .where(*cond))


def shift_lead_register_on_time_rate(w: Window) -> Select:
    """按时立案率: of the shift lead's registrations in the period, those within the register limit."""
    return _on_time(("register",), "register", w, "shift_lead")


def shift_lead_accurate_register_rate(w: Window) -> Select:
    """准确立案率: (registered − voided) / registered: of the shift lead's registrations in the period, those
    not withdrawn (作废) or merged as a duplicate by the end."""
    a, cond = _acts(("register",), w, role="shift_lead")
    return select(_who(a), a.c.ticket_id, _hit(~_later(a.c.ticket_id, VOIDED, w, after_seq=a.c.seq))).where(*cond)


def shift_lead_close_on_time_rate(w: Window) -> Select:
    """按时结案率: of the shift lead's closings in the period, those within the close limit."""
    return _on_time(("close",), "close", w, "shift_lead")


def dispatcher_dispatches(w: Window) -> Select:
    """派遣数: the dispatcher's dispatches in the period."""
    a, cond = _acts(("dispatch",), w, role="dispatcher")
    return select(_who(a), a.c.ticket_id, _one()).where(*cond)


def dispatcher_dispatch_on_time_rate(w: Window) -> Select:
    """按时派遣率: of the dispatcher's dispatches in the period, those within the dispatch limit."""
    return _on_time(("dispatch",), "dispatch", w, "dispatcher")


def dispatcher_accurate_dispatch_rate(w: Window) -> Select:
    """准确派遣率: (dispatched − returned) / dispatched: of the dispatcher's dispatches in the period, those the
    department did not have returned (回退 approved) before the end."""
    a, cond = _acts(("dispatch",), w, role="dispatcher")
    returned = _later(a.c.ticket_id, ("approve_return",), w, after_seq=a.c.seq, department=a.c.department_code)
    return select(_who(a), a.c.ticket_id, _hit(~returned)).where(*cond)


INDICATORS: dict[str, dict[str, Callable[[Window], Select]]] = {
    "department": {
        "cases": department_cases, "closure_rate": department_closure_rate, "on_time_rate": department_on_time_rate,
        "rework_rate": department_rework_rate, "returns": _department_count("approve_return"),
        "extensions": _department_count("approve_extension"), "suspensions": _department_count("approve_suspension"),
        "satisfaction_rate": department_satisfaction_rate,
    },
    "area": {
        "cases": area_cases, "closure_rate": area_closure_rate, "on_time_close_rate": area_on_time_close_rate,
        "cases_per_cell": area_cases, "public_found_rate": area_public_found_rate,
    },
    "worker": {
        "reports": worker_reports, "valid_report_rate": worker_valid_report_rate,
        "verify_on_time_rate": worker_verify_on_time_rate, "check_on_time_rate": worker_check_on_time_rate,
        "missed_rate": worker_missed_rate,
    },
    "operator": {"intake": operator_intake, "valid_intake_rate": operator_valid_intake_rate,
                 "callback_rate": operator_callback_rate},
    "shift_lead": {"register_on_time_rate": shift_lead_register_on_time_rate,
                   "accurate_register_rate": shift_lead_accurate_register_rate,
                   "close_on_time_rate": shift_lead_close_on_time_rate},
    "dispatcher": {"dispatches": dispatcher_dispatches, "dispatch_on_time_rate": dispatcher_dispatch_on_time_rate,
                   "accurate_dispatch_rate": dispatcher_accurate_dispatch_rate},
}
