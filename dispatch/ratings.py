"""好差评 and what follows from it: the reporter's rating of a closed case (one per closing, 一事一评, within
a window after closing), the review a bad rating opens (``dispatch.lifecycle``: reopen or explain), the
department's appeal (申诉) and the supervisor's decision, and the operators' call-backs (回访).

The acts are entries of the lifecycle table; here are their payloads and effects. Every rating, appeal and
decision is also an event on the case's audit chain."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal, get_args

from pydantic import Field, StrictBool, StrictInt, StrictStr
from sqlmodel import select

from dispatch.effects import ActContext, NoPayload
from dispatch.models import PublicSupport, Rating, Source, TicketEvent
from dispatch.privacy import key_of, normalize_phone
from grid.errors import Conflict, Forbidden, InvalidInput
from grid.models import Role

#: level → (score, zh, en); 5 is best
LEVELS: dict[str, tuple[int, str, str]] = {
    "very_satisfied": (5, "非常满意", "Very satisfied"),
    "satisfied": (4, "满意", "Satisfied"),
    "basically_satisfied": (3, "基本满意", "Basically satisfied"),
    "dissatisfied": (2, "不满意", "Dissatisfied"),
    "very_dissatisfied": (1, "非常不满意", "Very dissatisfied"),
}
BAD = frozenset({"dissatisfied", "very_dissatisfied"})
PUBLIC_SOURCES = frozenset({Source.citizen, Source.hotline})
Level = Literal["very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "very_dissatisfied"]
GOOD = frozenset(get_args(Level)) - BAD  # a rating that closes the matter (a bad one opens a review)


class RatePayload(NoPayload):
    level: Level = Field(description="非常满意 very_satisfied … 非常不满意 very_dissatisfied")
    comment: StrictStr = Field(default="", max_length=500, description="the reporter's words, optional")
    channel: Literal["web", "phone"] | None = Field(
        default=None, description="ignored: a citizen rates on the web, an operator records a rating by phone")


class CallBackPayload(NoPayload):
    reached: StrictBool = Field(description="whether the reporter answered")
    tries: StrictInt = Field(default=1, ge=1, le=20, description="calls made so far, this one included")
    declined: StrictBool = Field(default=False, description="reached, and the reporter declined to rate (不愿评价): "
                                                            "the call-back ends without a rating; only with reached")


class SupportPayload(NoPayload):
    contact_phone: StrictStr | None = Field(default=None, max_length=32,
                                            description="the caller's number (an operator's support: required)")
    client_id: StrictStr | None = Field(default=None, max_length=64, description="the public page's client id")


def rate(ctx: ActContext) -> dict:
    ticket, at = ctx.ticket, ctx.at
    if ticket.source not in PUBLIC_SOURCES:
        raise Conflict("only cases reported by the public (a citizen, a hotline call) are rated",
                       code="not_public_case", source=str(ticket.source))
    if ticket.closed_at is None or at > ticket.closed_at + timedelta(days=ctx.options.rating_window_days):
        raise Conflict(f"ratings are taken within {ctx.options.rating_window_days:g} days of closing; this case "
                       f"closed at {ticket.closed_at:%Y-%m-%d %H:%M} UTC", code="rating_window_closed",
                       days=ctx.options.rating_window_days,
                       closed_at=ticket.closed_at.isoformat() if ticket.closed_at else None)
    if ctx.session.exec(select(Rating.id).where(Rating.ticket_id == ticket.id,
                                                Rating.closing == ticket.closings)).first() is not None:
        raise Conflict("this case has been rated already: one rating per case (一事一评)", code="already_rated")
    level = ctx.payload.level
    score = LEVELS[level][0]
    channel = "phone" if ctx.actor.role == Role.operator else "web"
    appeal_until = _appeal_deadline(ctx) if level in BAD and ticket.department_code else None
    ctx.session.add(Rating(ticket_id=ticket.id, closing=ticket.closings, level=level, score=score,
                           comment=ctx.payload.comment.strip(), channel=channel, recorded_by=ctx.actor.user_id,
                           department_code=ticket.department_code, at=at, appeal_until=appeal_until))
    ticket.callback_state = "done"
    return {"level": level, "score": score, "channel": channel, "comment": ctx.payload.comment.strip(),
            "closing": ticket.closings}


def _appeal_deadline(ctx: ActContext):  # noqa: ANN202
    from dispatch.sla import day_s  # (sla reads the lifecycle table, which names this module)
    from dispatch.worktime import calendar_for
    from grid import catalogue
    from grid.calendars import STANDARD

    dept = catalogue.departments(ctx.session).get(ctx.ticket.department_code or "")
    cal = calendar_for(session=ctx.session, code=(dept.calendar_code if dept and dept.calendar_code else STANDARD))
    return cal.add_working(ctx.at, timedelta(seconds=ctx.options.appeal_working_days * day_s(cal)))


def reopen(ctx: ActContext) -> dict:
    ctx.ticket.callback_state = ""  # called back again once it is closed again
    return {"rectify": True}


def _appealable(ctx: ActContext) -> Rating:
    rating = ctx.session.exec(select(Rating).where(Rating.ticket_id == ctx.ticket.id)
                              .order_by(Rating.closing.desc())).first()
    if rating is None or rating.level not in BAD:
        raise Conflict("there is no bad rating on this case to appeal", code="no_rating_to_appeal")
    if rating.appeal_until is None:  # no department was rated (the case had none): no one may appeal, ever
        raise Conflict("this rating cannot be appealed: no department was rated, so it has no appeal deadline",
                       code="not_appealable")
    if rating.department_code != ctx.actor.department_code:
        raise Forbidden("only the department that was rated may appeal", code="not_rated_department")
    if rating.appeal_state:
        raise Conflict(f"this rating has been appealed already ({rating.appeal_state})", code="already_appealed",
                       appeal_state=rating.appeal_state)
    if ctx.at > rating.appeal_until:
        raise Conflict(f"appeals are taken within {ctx.options.appeal_working_days:g} working days of the rating; "
                       f"the time ended at {rating.appeal_until:%Y-%m-%d %H:%M} UTC", code="appeal_window_closed",
                       until=rating.appeal_until.isoformat(), working_days=ctx.options.appeal_working_days)
    return rating


def appeal(ctx: ActContext) -> dict:
    rating = _appealable(ctx)
    rating.appeal_state = "pending"
    ctx.session.add(rating)
    ctx.ticket.appeal_pending = True
    return {"rating_id": rating.id, "level": rating.level}


def _decide(ctx: ActContext, upheld: bool) -> dict:
    rating = ctx.session.exec(select(Rating).where(Rating.ticket_id == ctx.ticket.id,
                                                   Rating.appeal_state == "pending")).first()
    if rating is None:  # (the act's only_if says so first)
        raise Conflict("no appeal waits for a decision on this case", code="no_appeal_pending")
    rating.appeal_state = "upheld" if upheld else "dismissed"
    rating.excluded = upheld
    ctx.session.add(rating)
    ctx.ticket.appeal_pending = False
    return {"rating_id": rating.id, "level": rating.level, "excluded": upheld}


def uphold_appeal(ctx: ActContext) -> dict:
    return _decide(ctx, True)


def dismiss_appeal(ctx: ActContext) -> dict:
    return _decide(ctx, False)


def call_back(ctx: ActContext) -> dict:
    """One call to the reporter: not reached (after the last try the case leaves the list as unreachable),
    reached and declined to rate (it leaves the list: the call-back is done without a rating), or reached
    (the rating the reporter gives follows as a ``rate``, which ends the call-back)."""
    ticket, payload = ctx.ticket, ctx.payload
    if payload.declined and not payload.reached:
        raise InvalidInput("declined: only a reporter who was reached can decline to rate; send reached: true",
                           code="declined_not_reached", field="declined")
    ticket.callback_tries = max(ticket.callback_tries, payload.tries)
    if payload.declined:
        ticket.callback_state = "declined"
    elif not payload.reached and ticket.callback_tries >= ctx.options.callback_max_tries:
        ticket.callback_state = "unreachable"
    return {"reached": payload.reached, "tries": ticket.callback_tries, "declined": payload.declined}


def reporter_supports(*, session, ticket, phone: str, client_id: str) -> None:  # noqa: ANN001
    """A citizen's own report counts as theirs: the number and the page's client that filed it cannot also
    "support" it (which would read as another person reporting the same problem)."""
    keys = {key_of("phone", phone)} if phone else set()
    if client_id.strip():
        keys.add(key_of("client", client_id.strip()))
    for key in sorted(keys):
        session.add(PublicSupport(ticket_id=ticket.id, key=key, at=ticket.created_at))


def support(ctx: ActContext) -> dict:
    """同一问题: each person counts once — a user by account; the public by number (or by the page's client)."""
    session, ticket, actor, payload = ctx.session, ctx.ticket, ctx.actor, ctx.payload
    if actor.role in (Role.citizen, Role.operator):
        phone = normalize_phone(payload.contact_phone)
        client = (payload.client_id or "").strip() if actor.role == Role.citizen else ""
        if not phone and not client:
            raise InvalidInput("say whose support it is: the caller's number", code="phone_required",
                               field="contact_phone")
        key = key_of("phone", phone) if phone else key_of("client", client)
        if session.get(PublicSupport, (ticket.id, key)) is not None:
            raise Conflict("this number already supports the case; each person counts once",
                           code="already_supported", status=str(ticket.status))
        session.add(PublicSupport(ticket_id=ticket.id, key=key, at=ctx.at))
    elif actor.user_id is not None and session.exec(select(TicketEvent.id).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.action == "support",
            TicketEvent.actor_id == actor.user_id)).first() is not None:
        raise Conflict("you already support this case; each person counts once", code="already_supported",
                       status=str(ticket.status))
    ticket.support_count += 1
    return {}
