"""Tables of cases: tickets, their photos, routing decisions and the audit trail."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field

from grid import refcache
from grid.clock import utcnow
from grid.dbtypes import Row, UTCDateTime, enum_type


class Status(StrEnum):
    verifying = "verifying"  # 待核实: a non-worker report waits for the cell's worker
    reported = "reported"  # 待立案: waits for the shift lead to register or reject
    verify_disputed = "verify_disputed"  # 核实不属实: the worker found nothing; the shift lead rejects or registers
    rejected = "rejected"  # 不予立案
    registered = "registered"  # 已立案, waits for dispatch
    dispatched = "dispatched"  # 已派遣, waits for the department to accept
    accepted = "accepted"  # 已签收, being handled
    return_requested = "return_requested"  # 回退申请
    extension_requested = "extension_requested"  # 延期申请
    suspension_requested = "suspension_requested"  # 挂账申请
    suspended = "suspended"  # 挂账
    resolved = "resolved"  # 已处置, waits for the on-site check
    rework = "rework"  # 返工
    checked = "checked"  # 核查通过, waits for close
    void_requested = "void_requested"  # 作废申请
    closed = "closed"  # 结案
    void = "void"  # 作废
    merged = "merged"  # 合并入另一案卷
    reviewing = "reviewing"  # 差评复核: a bad rating waits for the shift lead (reopen or explain)


TERMINAL = frozenset({Status.rejected, Status.closed, Status.void, Status.merged})


class Source(StrEnum):
    worker = "worker"
    hotline = "hotline"
    citizen = "citizen"
    api = "api"


class Ticket(Row, table=True):
    __table_args__ = (
        UniqueConstraint("reporter_id", "idempotency_key", name="uq_ticket_idempotency"),
        Index("ix_ticket_status_category", "status", "category_code"),
        Index("ix_ticket_lng_lat", "lng", "lat"),
        Index("ix_ticket_closed_at", "closed_at"),  # closed today
    )

    id: int | None = Field(default=None, primary_key=True)
    case_number: str = Field(index=True, unique=True, max_length=20)
    version: int = 1
    status: Status = Field(index=True, sa_type=enum_type(Status))
    # where a denied request (return, void) goes back to
    status_before_request: Status | None = Field(default=None, sa_type=enum_type(Status))
    kind: str = Field(max_length=16)
    category_code: str = Field(index=True, max_length=5)
    urgency: str = Field(max_length=16)
    description: str = Field(sa_column=Column(Text, nullable=False))
    address: str = ""
    lat: float
    lng: float
    input_crs: str = "wgs84"
    cell_code: str = Field(index=True, max_length=15)
    community_code: str = Field(index=True, max_length=12)
    street_code: str = Field(index=True, max_length=9)
    district_code: str = Field(index=True, max_length=6)
    source: Source = Field(sa_type=enum_type(Source, 16))
    reporter_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    reporter_name: str = ""
    idempotency_key: str | None = Field(default=None, max_length=128)
    department_code: str | None = Field(default=None, index=True, max_length=32)
    suggested_department_code: str | None = None
    merged_into_id: int | None = Field(default=None, foreign_key="ticket.id")
    support_count: int = 0
    extension_hours: float = 0.0  # approved extensions, added to the handling limit
    # the case's light as instants, the earliest over its running timers (NULL: never while they stand as
    # they are): a case is red when sla_red_at <= now, yellow when sla_yellow_at <= now; and its earliest
    # running deadline. Kept by dispatch.sla whenever a timer changes, so counters are SQL aggregates.
    sla_yellow_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sla_red_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sla_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # the public's reporter (a citizen, a hotline caller): shown by role (dispatch.privacy), never in live events
    contact_name: str = Field(default="", max_length=40)
    contact_phone: str = Field(default="", max_length=20, index=True)
    confidential: bool = False  # 保密: the department sees the number masked
    tracking_hash: str | None = Field(default=None, max_length=64, unique=True)  # sha256 of the tracking token
    closings: int = 0  # times closed: a rating belongs to one closing (一事一评, again after a reopen)
    # 回访: "" | pending | done (rated) | declined (reached, declined to rate) | unreachable
    callback_state: str = Field(default="", max_length=16, index=True)
    callback_tries: int = 0
    appeal_pending: bool = False  # the department's appeal (申诉) of a rating waits for a supervisor
    audit_head: str = ""  # hash of the newest event: deleting the last event is detected too
    audit_count: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # per-status timestamps: when the case last entered each stage
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    registered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dispatched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rejected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    suspended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Rating(Row, table=True):
    """A reporter's rating of a closed case (好差评), one per closing; its review, appeal and exclusion."""

    __table_args__ = (UniqueConstraint("ticket_id", "closing", name="uq_rating_closing"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    closing: int  # the case's ``closings`` when rated
    level: str = Field(max_length=24)  # dispatch.ratings.LEVELS
    score: int  # 5 (非常满意) … 1 (非常不满意)
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    channel: str = Field(max_length=8)  # web (the tracking link) | phone (an operator's call)
    recorded_by: int | None = Field(default=None, foreign_key="app_user.id")
    department_code: str | None = Field(default=None, max_length=32, index=True)  # the department rated
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    appeal_until: datetime | None = Field(default=None, sa_type=UTCDateTime)  # bad ratings: 3 working days
    appeal_state: str = Field(default="", max_length=16, index=True)  # "" | pending | upheld | dismissed
    excluded: bool = False  # an upheld appeal: no longer counts against the department


class PublicSupport(Row, table=True):
    """A member of the public said "same problem" (by phone number, or by the page's client id): once each."""

    __tablename__ = "public_support"

    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    key: str = Field(primary_key=True, max_length=64)  # sha256 of "phone:…" or "client:…"
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Photo(Row, table=True):
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    event_seq: int | None = None  # the act that attached it (report, resolve …)
    stage: str = "report"  # report | resolve | check
    path: str  # relative to the media directory
    content_type: str
    size: int
    width: int
    height: int
    sha256: str = Field(max_length=64)
    uploaded_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RoutingDecisionRecord(Row, table=True):
    """Every routing decision with the rule that made it (NULL rule: no rule matched)."""

    __tablename__ = "routing_decision"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    rule_id: int | None = Field(default=None, foreign_key="routingrule.id")
    department_code: str | None = None
    reason: str
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TicketEvent(Row, table=True):
    """One act on a case. Append-only; each event's hash covers its content and the previous hash."""

    __tablename__ = "ticket_event"
    __table_args__ = (UniqueConstraint("ticket_id", "seq", name="uq_ticket_event_seq"),
                      Index("ix_ticket_event_action_at", "action", "at"),  # a period's acts (evaluation)
                      # "did this case see that act before the period's end" (evaluation), a lookup per case
                      Index("ix_ticket_event_ticket_action_at", "ticket_id", "action", "at"),
                      # a case's latest deadline before a moment, read backwards: only the acts that set one
                      Index("ix_ticket_event_due_by_case", "ticket_id", "seq",
                            postgresql_where=text("due_at IS NOT NULL"), sqlite_where=text("due_at IS NOT NULL")))

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    seq: int
    actor_id: int | None = None
    actor_name: str
    role: str
    action: str
    from_status: str | None = None
    to_status: str | None = None
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))  # canonical JSON
    at: datetime = Field(sa_type=UTCDateTime, index=True)  # (acts of a day or period: the shift's overview)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    # facts of the moment, for evaluation (考评) as of any period's end; in the hash when set
    department_code: str | None = Field(default=None, max_length=32)  # the department the act concerns
    met_stage: str | None = Field(default=None, max_length=16)  # the SLA stage the act met (its timer fulfilled)
    on_time: bool | None = None  # whether it met that stage within its limit (extensions, suspensions counted)
    # the department's deadline (handle or rectify) the act set or moved: a dispatch, a rework, an extension, a resume
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)


class TicketCounter(Row, table=True):
    """Sequence for tickets' case numbers, one row per (category, local date) prefix (table name kept)."""

    __tablename__ = "case_counter"

    prefix: str = Field(primary_key=True, max_length=16)
    value: int = 0


class SlaPolicy(Row, table=True):
    """A time limit for one stage, as data. ``category`` is a minor class, a major class or "" (any);
    ``urgency`` a level or "" (any); the most specific row wins (category first, then urgency). With no
    row, the handle stage takes the category's own limit and the others the defaults in dispatch.sla."""

    __tablename__ = "sla_policy"
    __table_args__ = (UniqueConstraint("stage", "category", "urgency", name="uq_sla_policy_keys"),)

    id: int | None = Field(default=None, primary_key=True)
    stage: str = Field(max_length=16)
    category: str = Field(default="", max_length=5)
    urgency: str = Field(default="", max_length=16)
    limit_hours: float
    basis: str = Field(default="working", max_length=16)  # working | natural
    ladder: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON; None: the default
    note: str = ""


refcache.watch(SlaPolicy)  # policies are reference data (grid.refcache)


class SlaTimer(Row, table=True):
    """One timer per case per stage. The policy is snapshotted here when the timer starts; ``cycle``
    counts restarts (re-dispatch, rework) so that each cycle's escalations fire once each.

    Working time is kept as an anchor: at ``anchor_at`` the timer had ``anchor_remaining_s`` working
    seconds left (negative when overdue); ``due_at`` follows from it and the calendar."""

    __tablename__ = "sla_timer"
    __table_args__ = (
        UniqueConstraint("ticket_id", "stage", name="uq_sla_timer_stage"),
        Index("ix_sla_timer_next_fire", "next_fire_at"),
        Index("ix_sla_timer_stage_fulfilled", "stage", "fulfilled_at"),  # today's on-time rate
        # the running timers of given cases (the map's headlines): a query must say ``active == True``
        Index("ix_sla_timer_running", "ticket_id", postgresql_where=text("active"), sqlite_where=text("active")),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    stage: str = Field(max_length=16)
    cycle: int = 1
    active: bool = True
    calendar_code: str = Field(max_length=32)
    basis: str = Field(max_length=16)
    limit_s: float
    extension_s: float = 0.0
    ladder: str = Field(sa_column=Column(Text, nullable=False))  # JSON snapshot
    started_at: datetime = Field(sa_type=UTCDateTime)
    anchor_at: datetime = Field(sa_type=UTCDateTime)
    anchor_remaining_s: float
    due_at: datetime = Field(sa_type=UTCDateTime)
    original_due_at: datetime = Field(sa_type=UTCDateTime)
    paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paused_total_s: float = 0.0
    fulfilled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    breached_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    stopped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    warning_level: int = 0  # the highest level fired this cycle: 1 yellow, 2 red, 3+ overdue steps
    next_level: int | None = None
    next_fire_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # NULL: nothing pending
    # when its light turns yellow and red as it stands (set with next_fire_at; NULL: not while it stands so)
    yellow_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    red_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Escalation(Row, table=True):
    """The record that a (timer, cycle, level) fired. Its uniqueness is what makes "exactly once" true."""

    __table_args__ = (UniqueConstraint("timer_id", "cycle", "level", name="uq_escalation_once"),)

    id: int | None = Field(default=None, primary_key=True)
    timer_id: int = Field(foreign_key="sla_timer.id", index=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    cycle: int
    level: int
    stage: str = Field(max_length=16)
    scheduled_at: datetime = Field(sa_type=UTCDateTime)
    fired_at: datetime = Field(sa_type=UTCDateTime)
    recipients: int = 0


class Notification(Row, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    escalation_id: int | None = Field(default=None, foreign_key="escalation.id")
    kind: str = Field(max_length=32)
    level: int = 0
    title: str
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LiveEvent(Row, table=True):
    """The outbox of live events (case created or changed, SLA light changed, notification). The id is
    the event id a client resumes from; the scope columns say who may see it."""

    __tablename__ = "live_event"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    ticket_id: int | None = None
    department_code: str | None = Field(default=None, max_length=32)
    cell_code: str | None = Field(default=None, max_length=15)
    reporter_id: int | None = None  # a grid worker sees its own reports wherever they are
    user_id: int | None = None  # set for events meant for one user only (notifications)
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebhookDelivery(Row, table=True):
    """One notification POSTed to a department's webhook: the delivery log, retried with backoff."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_pending", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(max_length=32, index=True)
    escalation_id: int | None = Field(default=None, foreign_key="escalation.id")
    url: str
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=16)  # pending | delivered | failed
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status_code: int | None = None
    last_error: str = ""
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class EvaluationScheme(Row, table=True):
    """A version of the evaluation scheme (考评方案): indicators, weights, bands, grades and the thresholds
    that open a rectification, as JSON (``dispatch.evaluation.scheme.Scheme``). Never changed once saved:
    an edit is a new version, in force from its ``valid_from`` date; a period is scored with the version
    in force on its first day."""

    __tablename__ = "evaluation_scheme"

    version: int | None = Field(default=None, primary_key=True)
    valid_from: date = Field(index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON
    note: str = Field(default="", max_length=200)
    created_by: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Rectification(Row, table=True):
    """整改: a poor grade or an indicator under its threshold, for the object's owner to fix and account for."""

    __table_args__ = (UniqueConstraint("object", "subject", "period", "reason", name="uq_rectification_once"),)

    id: int | None = Field(default=None, primary_key=True)
    object: str = Field(max_length=16)  # department | street | community | cell | worker | …
    subject: str = Field(max_length=32)  # its code (a department's or an area's) or a user's id
    subject_name: str = Field(default="", max_length=120)
    owner: str = Field(max_length=32, index=True)  # who must act: a department's code or a street's code
    period: str = Field(max_length=32)  # e.g. 2026-10, 2026-Q3, 2026-10-01..2026-10-15
    scheme_version: int
    reason: str = Field(max_length=48)  # grade | an indicator's key
    grade: str = Field(max_length=1)
    score: float
    indicator: str = Field(default="", max_length=32)
    value: float | None = None
    threshold: float | None = None
    due_on: date
    state: str = Field(default="open", max_length=8, index=True)  # open | closed
    account: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # the written account
    closed_by: str = Field(default="", max_length=64)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
