"""The case lifecycle as one table: every state and every act, each declared once and completely.

An act's declaration says who may take it from which states to which, what its request must carry
(a pydantic payload model), whether it needs a reason, whether only the cell's own workers may take it
on site, which SLA timers it fulfils, stops, starts, pauses, resumes or extends, which timestamp it
stamps, the stage its photos are filed under, whether it is a request that another act answers, its
zh-CN/en labels, and its effect (a function in ``dispatch.effects``) when it does more than move the
state. ``service.act`` applies any entry generically; the API's ``GET /lifecycle``, the pages' buttons
and labels, and the tests read this same table.

``PREVIOUS`` sends an answered request back to the state the case was in when it was made; ``SAME``
marks acts that are recorded without changing state (urge, comment, support).

Adding an act: one ``_act(...)`` line below, its payload model and effect in ``dispatch.effects`` if it
needs them, and its tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel, ValidationError

from dispatch import effects, ratings
from dispatch.effects import NoPayload
from dispatch.models import TERMINAL, Status, Ticket
from grid.errors import Conflict, Forbidden, InvalidInput, NotFound
from grid.models import Role

PREVIOUS = "previous"
SAME = "same"

S = Status
R = Role
OPEN = frozenset(Status) - TERMINAL
REQUESTS = frozenset({S.return_requested, S.extension_requested, S.suspension_requested, S.void_requested})
CENTRE = frozenset({R.dispatcher, R.shift_lead})
HUMANS = frozenset(Role) - {R.system, R.citizen}
#: who speaks for the public: the citizen through the tracking link, the hotline operator by phone
PUBLIC = frozenset({R.citizen, R.operator})
#: The SLA stages the acts time; dispatch.sla keeps a policy and a timer per stage. ``review``: a bad
#: rating's review by the shift lead (复核); ``rectify``: the department's rework after a reopen (整改).
STAGES = ("verify", "register", "dispatch", "accept", "handle", "check", "close", "review", "rectify")
DEPARTMENT_STAGES = ("accept", "handle")
#: the stages counted on the department's calendar
DEPARTMENT_CLOCK = (*DEPARTMENT_STAGES, "rectify")


# --- states ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class State:
    status: Status
    zh: str
    en: str
    public_zh: str  # what a citizen is shown (tracking page, open data)
    public_en: str
    stamp: str | None = None  # the case column set to the moment a case enters this state

    @property
    def final(self) -> bool:
        return self.status in TERMINAL


STATES: dict[Status, State] = {s.status: s for s in (
    State(S.verifying, "待核实", "To verify", "核实中", "Being verified"),
    State(S.reported, "待立案", "To register", "已受理", "Received"),
    State(S.verify_disputed, "核实不属实，待班长审核", "Not confirmed on site: to review", "核实中", "Being verified"),
    State(S.rejected, "不予立案", "Rejected", "不予受理", "Not accepted", "rejected_at"),
    State(S.registered, "待派遣", "To dispatch", "已受理", "Received", "registered_at"),
    State(S.dispatched, "待签收", "To accept", "处理中", "Being handled", "dispatched_at"),
    State(S.accepted, "处置中", "Being handled", "处理中", "Being handled", "accepted_at"),
    State(S.return_requested, "回退审核中", "Return requested", "处理中", "Being handled"),
    State(S.extension_requested, "延期申请", "Extension requested", "处理中", "Being handled"),
    State(S.suspension_requested, "挂账申请", "Suspension requested", "处理中", "Being handled"),
    State(S.suspended, "挂账", "Suspended", "暂缓办理", "On hold", "suspended_at"),
    State(S.resolved, "待核查", "To check", "处理中", "Being handled", "resolved_at"),
    State(S.rework, "返工", "Rework", "处理中", "Being handled"),
    State(S.checked, "待结案", "To close", "处理中", "Being handled", "checked_at"),
    State(S.void_requested, "作废申请", "Void requested", "处理中", "Being handled"),
    State(S.closed, "已结案", "Closed", "已办结", "Done", "closed_at"),
    State(S.void, "已作废", "Void", "已撤销", "Withdrawn", "voided_at"),
    State(S.merged, "已合并", "Merged", "已并案办理", "Handled with another report"),
    State(S.reviewing, "差评复核中", "Rating under review", "复核中", "Under review"),
)}


# --- acts ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Timers:
    """What an act does to the case's SLA timers, by stage."""

    fulfil: tuple[str, ...] = ()  # met: the stage's work is done
    stop: tuple[str, ...] = ()  # ended without being met (a return, a void, a close)
    start: tuple[str, ...] = ()  # started, or restarted as a new cycle if it ran before
    pause: tuple[str, ...] = ()  # suspended time is added back
    resume: tuple[str, ...] = ()
    extend: tuple[str, ...] = ()  # approved hours (the effect's record["hours"]) move the deadline

    def stages(self) -> set[str]:
        return {*self.fulfil, *self.stop, *self.start, *self.pause, *self.resume, *self.extend}


Effect = Callable[["effects.ActContext"], dict]


@dataclass(frozen=True)
class Act:
    action: str
    from_states: frozenset[Status]
    roles: frozenset[Role]
    to: str  # a Status, PREVIOUS or SAME
    zh: str
    en: str
    payload: type[BaseModel] = NoPayload
    needs_reason: bool = False
    on_site: bool = False  # only the cell's own grid workers (verify, check)
    timers: Timers = field(default_factory=Timers)
    stamp: str | None = None  # the timestamp column it sets (by default its target state's)
    photos: str | None = None  # the stage photos sent with it are filed under; None: no photos
    needs_photo: bool = False  # at least one photo must come with it (evidence: on site, or an appeal's)
    category_photo: bool = False  # a photo must come with it when the case's category says so (after_photo_required)
    request: bool = False  # puts the case on hold until another act answers it
    answers: str | None = None  # the request this act approves or denies
    effect: Effect | None = None
    # of several entries of one action, the first whose ``when`` holds for the payload: payload field → the
    # values for which the entry applies (a good rating closes the matter, a bad one opens a review; a special
    # close needs a reason); None: always
    when: Mapping[str, frozenset[str]] | None = None
    only_if: str | None = None  # a case flag that must be set (appeal_pending: only then is there one to decide)
    public_note: bool = False  # its reason is shown to the reporter (tracking page): a rejection, a reply

    def parse(self, payload: dict | None) -> BaseModel:
        """The request's payload as this act's model, or a 422 naming the field."""
        try:
            return self.payload.model_validate(payload or {})
        except ValidationError as exc:
            first = exc.errors()[0]
            name = ".".join(str(p) for p in first["loc"]) or "payload"
            if first["type"] == "extra_forbidden":
                fields = ", ".join(self.payload.model_fields) or "nothing"
                raise InvalidInput(f"{self.action} takes no payload field {name!r}; it takes: {fields}",
                                   field=name) from None
            raise InvalidInput(f"{name}: {first['msg']}", field=name) from None

    def target(self, status: Status, before_request: Status | None) -> Status | None:
        """The state a case in ``status`` moves to (None: it stays)."""
        if self.to == SAME:
            return None
        if self.to == PREVIOUS:
            return before_request or status
        return Status(self.to)

    def applies(self, payload: BaseModel) -> bool:
        return self.when is None or all(getattr(payload, name) in values for name, values in self.when.items())

    def stamp_for(self, to: Status | None) -> str | None:
        if self.stamp is not None:
            return self.stamp
        return STATES[to].stamp if to is not None and self.to != SAME else None


def _act(action: str, states, roles, to, zh: str, en: str, **kw) -> Act:  # noqa: ANN001
    return Act(action, frozenset(states), frozenset(roles), str(to), zh, en, **kw)


ALL = STAGES
TABLE: tuple[Act, ...] = (
    _act("verify", {S.verifying}, {R.worker}, S.reported, "核实属实", "Verify: true", on_site=True,
         stamp="verified_at", photos="verify", timers=Timers(fulfil=("verify",), start=("register",))),
    # 不属实: the worker's reason and photo go on record and the shift lead decides (reject or register anyway)
    _act("verify_untrue", {S.verifying}, {R.worker}, S.verify_disputed, "核实不属实", "Verify: not true",
         needs_reason=True, needs_photo=True, on_site=True, stamp="verified_at", photos="verify",
         timers=Timers(fulfil=("verify",), start=("register",))),
    _act("register", {S.reported, S.verify_disputed}, {R.shift_lead, R.system}, S.registered, "立案", "Register",
         timers=Timers(fulfil=("register",), start=("dispatch",)), effect=effects.register),
    _act("reject", {S.verifying, S.reported, S.verify_disputed}, {R.shift_lead}, S.rejected, "不予立案", "Reject",
         needs_reason=True, public_note=True, timers=Timers(stop=ALL)),
    _act("dispatch", {S.registered}, CENTRE | {R.system}, S.dispatched, "派遣", "Dispatch",
         payload=effects.DispatchPayload, timers=Timers(fulfil=("dispatch",), start=DEPARTMENT_STAGES),
         effect=effects.dispatch),
    _act("accept", {S.dispatched}, {R.department}, S.accepted, "签收", "Accept", timers=Timers(fulfil=("accept",))),
    _act("request_return", {S.dispatched, S.accepted}, {R.department}, S.return_requested, "申请回退",
         "Request return", needs_reason=True, request=True),
    _act("approve_return", {S.return_requested}, CENTRE, S.registered, "同意回退", "Approve return",
         answers="request_return", timers=Timers(stop=DEPARTMENT_STAGES, start=("dispatch",)),
         effect=effects.approve_return),
    _act("deny_return", {S.return_requested}, CENTRE, PREVIOUS, "驳回回退", "Deny return", needs_reason=True,
         answers="request_return"),
    _act("request_extension", {S.accepted}, {R.department}, S.extension_requested, "申请延期", "Request extension",
         needs_reason=True, request=True, payload=effects.ExtensionPayload, effect=effects.request_extension),
    _act("approve_extension", {S.extension_requested}, CENTRE, S.accepted, "同意延期", "Approve extension",
         answers="request_extension", payload=effects.ApproveExtensionPayload, timers=Timers(extend=("handle",)),
         effect=effects.approve_extension),
    _act("deny_extension", {S.extension_requested}, CENTRE, S.accepted, "驳回延期", "Deny extension",
         needs_reason=True, answers="request_extension"),
    _act("request_suspension", {S.accepted}, {R.department}, S.suspension_requested, "申请挂账",
         "Request suspension", needs_reason=True, request=True),
    _act("approve_suspension", {S.suspension_requested}, CENTRE, S.suspended, "同意挂账", "Approve suspension",
         answers="request_suspension", timers=Timers(pause=DEPARTMENT_STAGES)),
    _act("deny_suspension", {S.suspension_requested}, CENTRE, S.accepted, "驳回挂账", "Deny suspension",
         needs_reason=True, answers="request_suspension"),
    _act("resume", {S.suspended}, CENTRE | {R.department}, S.accepted, "恢复办理", "Resume",
         timers=Timers(resume=DEPARTMENT_STAGES)),
    _act("resolve", {S.accepted, S.rework}, {R.department}, S.resolved, "处置反馈", "Resolve", needs_reason=True,
         photos="resolve", category_photo=True, public_note=True,
         timers=Timers(fulfil=("handle", "rectify"), stop=("accept",), start=("check",))),
    _act("check_pass", {S.resolved}, {R.worker}, S.checked, "核查通过", "Check: pass", on_site=True, photos="check",
         timers=Timers(fulfil=("check",), start=("close",))),
    _act("check_fail", {S.resolved}, {R.worker}, S.rework, "核查不通过", "Check: fail", needs_reason=True,
         on_site=True, photos="check", timers=Timers(fulfil=("check",), start=("handle",))),
    # 特殊结案 (a case closed other than by its handling: the problem went away, it cannot be handled) says why
    _act("close", {S.checked}, {R.shift_lead}, S.closed, "结案", "Close", payload=effects.ClosePayload,
         when={"close_type": frozenset({"special"})}, needs_reason=True,
         timers=Timers(fulfil=("close",), stop=tuple(s for s in STAGES if s != "close")), effect=effects.close),
    _act("close", {S.checked}, {R.shift_lead}, S.closed, "结案", "Close", payload=effects.ClosePayload,
         timers=Timers(fulfil=("close",), stop=tuple(s for s in STAGES if s != "close")), effect=effects.close),
    _act("request_void", OPEN - REQUESTS - {S.reviewing}, {R.dispatcher}, S.void_requested, "申请作废", "Request void",
         needs_reason=True, request=True),
    _act("approve_void", {S.void_requested}, {R.shift_lead}, S.void, "同意作废", "Approve void",
         answers="request_void", public_note=True, timers=Timers(stop=ALL)),
    _act("deny_void", {S.void_requested}, {R.shift_lead}, PREVIOUS, "驳回作废", "Deny void", needs_reason=True,
         answers="request_void"),
    _act("merge", OPEN - REQUESTS - {S.reviewing}, CENTRE, S.merged, "合并", "Merge", payload=effects.MergePayload,
         timers=Timers(stop=ALL), effect=effects.merge),
    _act("urge", OPEN, {R.supervisor, R.shift_lead}, SAME, "督办", "Urge", needs_reason=True),
    _act("support", OPEN - {S.reviewing}, {R.worker, *PUBLIC}, SAME, "同一问题", "Same problem",
         payload=ratings.SupportPayload, effect=ratings.support),
    # 好差评: the reporter rates a closed case, once per closing (一事一评); a bad rating opens a review
    _act("rate", {S.closed}, PUBLIC, SAME, "评价", "Rate", payload=ratings.RatePayload, when={"level": ratings.GOOD},
         effect=ratings.rate),
    _act("rate", {S.closed}, PUBLIC, S.reviewing, "评价", "Rate", payload=ratings.RatePayload, stamp="",
         effect=ratings.rate, timers=Timers(start=("review",))),
    # 复核: reopen for rectification (整改, the rectify limit) or explain to the reporter (stays closed)
    _act("reopen", {S.reviewing}, {R.shift_lead}, S.rework, "整改返工", "Reopen for rectification", needs_reason=True,
         public_note=True, timers=Timers(fulfil=("review",), start=("rectify",)), effect=ratings.reopen),
    _act("explain", {S.reviewing}, {R.shift_lead}, S.closed, "复核说明", "Explain", needs_reason=True,
         public_note=True, stamp="", timers=Timers(fulfil=("review",), stop=tuple(s for s in STAGES if s != "review"))),
    # 申诉: the department appeals a bad rating with its reasons and photos (at least one); a supervisor upholds
    # (the rating no longer counts) or dismisses
    _act("appeal", {S.reviewing, S.closed, S.rework}, {R.department}, SAME, "申诉", "Appeal", needs_reason=True,
         photos="appeal", needs_photo=True, effect=ratings.appeal),
    _act("uphold_appeal", frozenset(Status), {R.supervisor}, SAME, "申诉成立", "Uphold appeal", needs_reason=True,
         only_if="appeal_pending", effect=ratings.uphold_appeal),
    _act("dismiss_appeal", frozenset(Status), {R.supervisor}, SAME, "驳回申诉", "Dismiss appeal", needs_reason=True,
         only_if="appeal_pending", effect=ratings.dismiss_appeal),
    # 回访: the operator's call to the reporter of a closed public case (the rating given is a ``rate``)
    _act("call_back", {S.closed}, {R.operator}, SAME, "回访", "Call back", payload=ratings.CallBackPayload,
         only_if="callback_pending", effect=ratings.call_back),
    _act("comment", frozenset(Status), HUMANS, SAME, "备注", "Comment", needs_reason=True),
)

#: Events on the record that are not acts a person takes from the table: the report that opens a case,
#: and the note left on the case another one was merged into.
RECORDED: dict[str, tuple[str, str]] = {"report": ("上报", "Report"), "merged_in": ("并入", "Merged in")}

#: Every timestamp column an act or a state sets (the case's ``timestamps`` in the API).
STAMPS: tuple[str, ...] = tuple(dict.fromkeys(
    [*(a.stamp for a in TABLE if a.stamp), *(s.stamp for s in STATES.values() if s.stamp)]))

#: the case flags an act's ``only_if`` names, read from the case
FLAGS: dict[str, Callable[[Ticket], bool]] = {
    "appeal_pending": lambda t: t.appeal_pending,
    "callback_pending": lambda t: t.callback_state == "pending",
}

ACTIONS: dict[str, list[Act]] = {}
for _entry in TABLE:
    ACTIONS.setdefault(_entry.action, []).append(_entry)


class IllegalTransition(Conflict):
    code = "illegal_transition"


class UnknownAction(NotFound):
    code = "unknown_action"


def find_act(status: Status, action: str, role: Role, payload: BaseModel | None = None) -> Act:
    """The act's entry, or a clear refusal: 404 for an unknown action, 403 when the role may never take
    it, 409 (with the allowed actions) when the case's state does not allow it. Of several entries for
    the state, the first whose ``when`` holds for the payload (the first, without one)."""
    entries = ACTIONS.get(action)
    if entries is None:
        raise UnknownAction(f"unknown action {action!r}; actions are: {', '.join(ACTIONS)}")
    by_role = [a for a in entries if role in a.roles]
    if not by_role:
        raise Forbidden(
            f"a {role} may not {action}",
            roles=sorted({str(x) for a in entries for x in a.roles if x != Role.system}),
        )
    for entry in by_role:
        if status in entry.from_states and (payload is None or entry.applies(payload)):
            return entry
    raise IllegalTransition(
        f"cannot {action} a case that is {status}",
        status=str(status),
        allowed_actions=allowed_actions(status, role),
    )


def allowed_actions(status: Status, role: Role, flags: Callable[[str], bool] = lambda _: True) -> list[str]:
    """The actions a role may take in a state (each once), less those whose ``only_if`` flag is not set."""
    return list(dict.fromkeys(a.action for a in TABLE if status in a.from_states and role in a.roles
                              and (a.only_if is None or flags(a.only_if))))


def labels() -> dict[str, dict[str, str]]:
    """Every state's and act's label per language, keyed as the pages' translation table keys them
    (``status.x``, ``status_public.x``, ``action.x``). The pages' file web/frontend/src/i18n/lifecycle.json
    is this, written by ``gridops lifecycle labels``; a test keeps the two equal."""
    out: dict[str, dict[str, str]] = {"zh-CN": {}, "en": {}}
    for s in STATES.values():
        out["zh-CN"][f"status.{s.status}"], out["en"][f"status.{s.status}"] = s.zh, s.en
        out["zh-CN"][f"status_public.{s.status}"], out["en"][f"status_public.{s.status}"] = s.public_zh, s.public_en
    for a in TABLE:
        out["zh-CN"][f"action.{a.action}"], out["en"][f"action.{a.action}"] = a.zh, a.en
    for name, (zh, en) in RECORDED.items():
        out["zh-CN"][f"action.{name}"], out["en"][f"action.{name}"] = zh, en
    return out
