"""Departments (issue 13): everyone signed in reads them; admins change their names, phone and calendar, set,
rotate and remove their webhook, send it a test delivery, and see the open cases each holds by light. The
logic is web.departments (the CLI's ``gridops department`` calls it too); a department's leader is a user
(PATCH /api/v1/users/{username} with is_leader)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import select

from dispatch.markers import department_lights
from grid.clock import utcnow
from grid.errors import Forbidden
from grid.models import Department, Role
from grid.people import Actor
from web import departments as service
from web.api import errors
from web.api.deps import ActorDep, SessionDep, SourceDep, UnitDep

router = APIRouter(prefix="/api/v1", tags=["departments"])

Code = Annotated[str, Path(min_length=1, max_length=32, description="a department's code, e.g. SANITATION")]
NOT_FOUND = errors.responses(not_found="no such department")


def _admin(actor: Actor) -> None:
    if actor.role != Role.admin:
        raise Forbidden(f"only an admin may change departments or see their webhooks; you are a {actor.role}")


class WebhookOut(BaseModel):
    """Where a department's case events are POSTed, as an admin may see it: the host only (a URL's path or
    query may carry a token) and whether a signing secret is set. The URL and the secret are write-only."""

    host: str
    secret_set: bool


class DepartmentOut(BaseModel):
    code: str
    name: str
    name_en: str
    phone: str
    calendar_code: str | None = Field(description="its working-time calendar; null: the standard one")
    webhook: WebhookOut | None = Field(description="admins only (null for everyone else, or when none is set)")


def _out(d: Department, actor: Actor) -> dict:
    webhook = None
    if actor.role == Role.admin and d.webhook_url:
        webhook = {"host": urlsplit(d.webhook_url).hostname or "?", "secret_set": bool(d.webhook_secret)}
    return {**d.model_dump(include={"code", "name", "name_en", "phone", "calendar_code"}), "webhook": webhook}


@router.get("/departments", response_model=list[DepartmentOut])
def departments(session: SessionDep, actor: ActorDep) -> list[dict]:
    """The departments; an admin also sees each webhook's host and whether it signs (never the secret)."""
    return [_out(d, actor) for d in session.exec(select(Department).order_by(Department.code))]


class DepartmentLightsOut(BaseModel):
    department_code: str
    open: int = Field(description="open cases the department holds (dispatched to it and not yet closed)")
    yellow: int = Field(description="of them, yellow now (a time limit draws near)")
    red: int = Field(description="of them, red now (a time limit has passed)")


@router.get("/departments/lights", response_model=list[DepartmentLightsOut], responses=errors.responses(403))
def lights(session: SessionDep, actor: ActorDep) -> list[dict]:
    """Admins: per department, its open cases and how many are yellow and red now (every department, zeros
    for one holding none)."""
    _admin(actor)
    counts = department_lights(session=session, actor=actor, now=utcnow())
    codes = session.exec(select(Department.code).order_by(Department.code)).all()
    zero = {"open": 0, "yellow": 0, "red": 0}
    return [{"department_code": code, **counts.get(code, zero)} for code in codes]


class DepartmentChangeIn(BaseModel):
    """What to change on a department; a field left out stays as it is."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=service.NAME_MAX)
    name_en: str | None = Field(default=None, max_length=service.NAME_EN_MAX)
    phone: str | None = Field(default=None, max_length=service.PHONE_MAX)
    calendar_code: str | None = Field(default=None, max_length=32,
                                      description="a calendar's code (GET /calendars); '' or null: the standard one")


@router.patch("/departments/{code}", response_model=DepartmentOut,
              responses=errors.responses(403, not_found="no such department",
                                         invalid_input="a value is not usable (unknown_calendar: no such calendar)"))
def change_department(code: Code, body: DepartmentChangeIn, session: SessionDep, actor: ActorDep,
                      source: SourceDep, unit: UnitDep) -> dict:
    """Change a department (admin): name, English name, phone, working-time calendar. Running timers keep the
    calendar they started with. Each change is on the security log."""
    _admin(actor)
    with unit:
        dept = service.change_department(session, code=code, changes=body.model_dump(exclude_unset=True),
                                         by=actor, source=source)
        out = _out(dept, actor)
    return out


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=1, max_length=service.URL_MAX, description="an http:// or https:// address")
    rotate_secret: bool = Field(default=False, description="a new signing secret (one is made anyway when none "
                                                           "is set yet); false keeps the current one")


class WebhookSetOut(BaseModel):
    receiver: str = Field(description="scheme, host and port the deliveries go to (never the path)")
    secret: str | None = Field(description="the new signing secret, shown this once: null when the secret was "
                                           "kept")


@router.put("/departments/{code}/webhook", response_model=WebhookSetOut,
            responses=errors.responses(403, not_found="no such department",
                                       invalid_input="not an http(s) URL (invalid_webhook_url)"))
def set_webhook(code: Code, body: WebhookIn, session: SessionDep, actor: ActorDep, source: SourceDep,
                unit: UnitDep) -> dict:
    """Send the department's case events to a URL (admin), signed with HMAC-SHA256 over
    ``timestamp.body`` (X-Gridops-Signature). A new secret is in the answer once and never again."""
    _admin(actor)
    with unit:
        done = service.set_webhook(session, code=code, url=body.url, rotate_secret=body.rotate_secret, by=actor,
                                   source=source)
    return {"receiver": done.receiver, "secret": done.secret}


@router.delete("/departments/{code}/webhook", status_code=204, response_class=Response,
               responses=errors.responses(403, not_found="no such department"))
def remove_webhook(code: Code, session: SessionDep, actor: ActorDep, source: SourceDep, unit: UnitDep) -> Response:
    """Stop sending the department's case events anywhere (admin): the URL and its secret are removed.
    Deliveries already queued keep their URL."""
    _admin(actor)
    with unit:
        service.set_webhook(session, code=code, url=None, by=actor, source=source)
    return Response(status_code=204)


class WebhookTestOut(BaseModel):
    ok: bool = Field(description="the receiver answered 2xx")
    status_code: int | None = Field(description="its HTTP status; null: no answer (refused, timed out …)")
    error: str = Field(description="what went wrong; empty when ok")
    elapsed_ms: int


@router.post("/departments/{code}/webhook/test", response_model=WebhookTestOut,
             responses=errors.responses(403, not_found="no such department",
                                        conflict="the department has no webhook (no_webhook)"))
def test_webhook(code: Code, session: SessionDep, actor: ActorDep, unit: UnitDep) -> dict:
    """POST a signed test event to the department's webhook now (admin), as a real delivery is sent, with
    ``X-Gridops-Test: 1``, ``X-Gridops-Delivery: test`` and ``"test": true`` in the body; at most 5 seconds.
    The answer says how the receiver took it; nothing is stored."""
    _admin(actor)
    with unit:
        target = service.webhook_target(session, code=code)
    return service.send_test(target)
