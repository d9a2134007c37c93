"""The case lifecycle as one table: (state, action, role) → next state.

The table is data: the API lists the actions a caller may take from it and the UI draws its buttons
from that list. ``PREVIOUS`` sends a denied request back to the state the case was in when it was made;
``SAME`` marks acts that are recorded without changing state (urge, comment, support)."""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.models import TERMINAL, Status
from grid.errors import Conflict, Forbidden, NotFound
from grid.models import Role

PREVIOUS = "previous"
SAME = "same"

S = Status
R = Role
OPEN = frozenset(Status) - TERMINAL
REQUESTS = frozenset({S.return_requested, S.extension_requested, S.suspension_requested, S.void_requested})
CENTRE = frozenset({R.dispatcher, R.shift_lead})
HUMANS = frozenset(Role) - {R.system}


@dataclass(frozen=True)
class Rule:
    action: str
    from_states: frozenset[Status]
    roles: frozenset[Role]
    to: str  # a Status, PREVIOUS or SAME
    needs_reason: bool = False
    on_site: bool = False  # only the cell's own grid workers (verify, check)
    label_zh: str = ""
    label_en: str = ""


def _r(action, states, roles, to, *, reason=False, on_site=False, zh="", en=""):  # noqa: ANN001, ANN202
    return Rule(action, frozenset(states), frozenset(roles), to, reason, on_site, zh, en)


TABLE: tuple[Rule, ...] = (
    _r("verify", {S.verifying}, {R.worker}, S.reported, on_site=True, zh="核实", en="Verify"),
    _r("register", {S.reported}, {R.shift_lead, R.system}, S.registered, zh="立案", en="Register"),
    _r("reject", {S.verifying, S.reported}, {R.shift_lead}, S.rejected, reason=True, zh="不予立案", en="Reject"),
    _r("dispatch", {S.registered}, CENTRE | {R.system}, S.dispatched, zh="派遣", en="Dispatch"),
    _r("accept", {S.dispatched}, {R.department}, S.accepted, zh="签收", en="Accept"),
    _r("request_return", {S.dispatched, S.accepted}, {R.department}, S.return_requested, reason=True,
       zh="申请回退", en="Request return"),
    _r("approve_return", {S.return_requested}, CENTRE, S.registered, zh="同意回退", en="Approve return"),
    _r("deny_return", {S.return_requested}, CENTRE, PREVIOUS, reason=True, zh="驳回回退", en="Deny return"),
    _r("request_extension", {S.accepted}, {R.department}, S.extension_requested, reason=True,
       zh="申请延期", en="Request extension"),
    _r("approve_extension", {S.extension_requested}, CENTRE, S.accepted, zh="同意延期", en="Approve extension"),
    _r("deny_extension", {S.extension_requested}, CENTRE, S.accepted, reason=True, zh="驳回延期",
       en="Deny extension"),
    _r("request_suspension", {S.accepted}, {R.department}, S.suspension_requested, reason=True,
       zh="申请挂账", en="Request suspension"),
    _r("approve_suspension", {S.suspension_requested}, CENTRE, S.suspended, zh="同意挂账",
       en="Approve suspension"),
    _r("deny_suspension", {S.suspension_requested}, CENTRE, S.accepted, reason=True, zh="驳回挂账",
       en="Deny suspension"),
    _r("resume", {S.suspended}, CENTRE | {R.department}, S.accepted, zh="恢复办理", en="Resume"),
    _r("resolve", {S.accepted, S.rework}, {R.department}, S.resolved, reason=True, zh="处置反馈", en="Resolve"),
    _r("check_pass", {S.resolved}, {R.worker}, S.checked, on_site=True, zh="核查通过", en="Check: pass"),
    _r("check_fail", {S.resolved}, {R.worker}, S.rework, reason=True, on_site=True, zh="核查不通过",
       en="Check: fail"),
    _r("close", {S.checked}, {R.shift_lead}, S.closed, zh="结案", en="Close"),
    _r("request_void", OPEN - REQUESTS, {R.dispatcher}, S.void_requested, reason=True, zh="申请作废",
       en="Request void"),
    _r("approve_void", {S.void_requested}, {R.shift_lead}, S.void, zh="同意作废", en="Approve void"),
    _r("deny_void", {S.void_requested}, {R.shift_lead}, PREVIOUS, reason=True, zh="驳回作废", en="Deny void"),
    _r("merge", OPEN - REQUESTS, CENTRE, S.merged, zh="合并", en="Merge into another case"),
    _r("urge", OPEN, {R.supervisor, R.shift_lead}, SAME, reason=True, zh="督办", en="Urge"),
    _r("support", OPEN, {R.worker}, SAME, zh="附议", en="Same problem"),
    _r("comment", frozenset(Status), HUMANS, SAME, reason=True, zh="留言", en="Comment"),
)

ACTIONS: dict[str, list[Rule]] = {}
for _rule in TABLE:
    ACTIONS.setdefault(_rule.action, []).append(_rule)

#: Acts whose request puts the case on hold; their deny goes back to ``status_before_request``.
REQUEST_ACTIONS = frozenset({"request_return", "request_void"})


class IllegalTransition(Conflict):
    code = "illegal_transition"


class UnknownAction(NotFound):
    code = "unknown_action"


def find_rule(status: Status, action: str, role: Role) -> Rule:
    """The rule for this act, or a clear refusal: 404 for an unknown action, 403 when the role may
    never take it, 409 (with the allowed actions) when the case's state does not allow it."""
    rules = ACTIONS.get(action)
    if rules is None:
        raise UnknownAction(f"unknown action {action!r}; actions are: {', '.join(ACTIONS)}")
    by_role = [r for r in rules if role in r.roles]
    if not by_role:
        raise Forbidden(
            f"a {role} may not {action}",
            roles=sorted({str(x) for r in rules for x in r.roles if x != Role.system}),
        )
    for rule in by_role:
        if status in rule.from_states:
            return rule
    raise IllegalTransition(
        f"cannot {action} a case that is {status}",
        status=str(status),
        allowed_actions=allowed_actions(status, role),
    )


def allowed_actions(status: Status, role: Role) -> list[str]:
    return [r.action for r in TABLE if status in r.from_states and role in r.roles]


def table_as_rows() -> list[dict]:
    """The table for people and UIs: one row per rule."""
    return [
        {
            "action": r.action,
            "from": sorted(str(s) for s in r.from_states),
            "roles": sorted(str(x) for x in r.roles),
            "to": str(r.to),
            "needs_reason": r.needs_reason,
            "on_site": r.on_site,
            "label": {"zh-CN": r.label_zh, "en": r.label_en},
        }
        for r in TABLE
    ]
