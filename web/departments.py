"""Departments as admins change them (issue 13): names, phone and working-time calendar, and the webhook their
case events are POSTed to (its URL and signing secret), each change on the security log; and a test delivery
to the webhook. The HTTP API (web.api.departments) and the command line (``gridops department``) both call
these, so both leave the same entries."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlmodel import Session, select

from grid.calendars import find_calendar, set_department_calendar
from grid.clock import utcnow
from grid.errors import Conflict, InvalidInput, NotFound
from grid.models import Department
from grid.people import Actor
from web import seclog
from web.background.webhooks import signature
from web.seclog import SecurityKind, Source

NAME_MAX, NAME_EN_MAX, PHONE_MAX, URL_MAX = 64, 128, 32, 500
TEST_TIMEOUT_S = 5.0


def get_department(session: Session, code: str) -> Department:
    dept = session.exec(select(Department).where(Department.code == code)).first()
    if dept is None:
        raise NotFound(f"unknown department {code!r}", code="unknown_department", value=code)
    return dept


def change_department(session: Session, *, code: str, changes: dict[str, Any], by: Actor | None,
                      source: Source) -> Department:
    """Change a department's ``name``, ``name_en``, ``phone`` and ``calendar_code`` (None or '': the standard
    calendar); the log says which fields changed, before → after (nothing when none did)."""
    dept = get_department(session, code)
    before = seclog.state(dept, seclog.DEPARTMENT_FIELDS)
    for key in ("name", "name_en", "phone"):
        if key in changes and changes[key] is not None:
            value = changes[key].strip()
            if key == "name" and not value:
                raise InvalidInput("a department needs a name", code="text_required", field="name")
            setattr(dept, key, value)
    if "calendar_code" in changes:
        calendar = (changes["calendar_code"] or "").strip() or None
        if calendar and find_calendar(session, calendar) is None:
            raise InvalidInput(f"no calendar {calendar!r}: choose one of GET /api/v1/calendars, or none for the "
                               "standard calendar", code="unknown_calendar", value=calendar)
        set_department_calendar(session=session, department_code=dept.code, calendar_code=calendar)
    session.add(dept)
    session.flush()
    seclog.record_change(session, kind=SecurityKind.department_change, source=source, actor=by,
                         subject=f"department:{dept.code}", before=before,
                         after=seclog.state(dept, seclog.DEPARTMENT_FIELDS))
    return dept


def check_url(url: str) -> str:
    """An http(s) URL with a host, or InvalidInput saying so."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > URL_MAX:
        raise InvalidInput("the webhook URL must be an http:// or https:// address with a host "
                           f"(at most {URL_MAX} characters)", code="invalid_webhook_url", field="url")
    return url


@dataclass(frozen=True)
class WebhookSet:
    receiver: str | None  # scheme, host and port (None: removed)
    secret: str | None  # the new secret when one was generated or given, else None: shown once


def set_webhook(session: Session, *, code: str, url: str | None, by: Actor | None, source: Source,
                rotate_secret: bool = False, secret: str | None = None) -> WebhookSet:
    """Send the department's case events to ``url`` (None or '': remove the webhook and its secret), signed
    with HMAC-SHA256. The secret is kept unless ``rotate_secret`` or a ``secret`` is given or none is set yet;
    a new one is random. The log records the receiver before → after (never the path: it may hold a token)
    and what happened to the secret (never its value)."""
    dept = get_department(session, code)
    url = check_url(url) if url else None
    old_url, old_secret = dept.webhook_url, dept.webhook_secret
    fresh = None
    if url is None:
        dept.webhook_url, dept.webhook_secret = None, None
    else:
        dept.webhook_url = url
        if secret or rotate_secret or not old_secret:
            fresh = secret or secrets.token_hex(16)
            dept.webhook_secret = fresh
    session.add(dept)
    session.flush()
    detail = seclog.delta({"receiver": seclog.receiver(old_url)}, {"receiver": seclog.receiver(dept.webhook_url)})
    if detail is None and old_url != dept.webhook_url:
        detail = {"receiver": seclog.receiver(dept.webhook_url), "path": "changed"}
    if secret_change := seclog.secret_change(old_secret, dept.webhook_secret):
        detail = {**(detail or {}), "secret": secret_change}
    if detail:
        seclog.record(session, kind=SecurityKind.webhook_change, source=source, actor=by,
                      subject=f"department:{dept.code}", detail=detail)
    return WebhookSet(receiver=seclog.receiver(dept.webhook_url), secret=fresh)


@dataclass(frozen=True)
class Target:
    department_code: str
    url: str
    secret: str


def webhook_target(session: Session, *, code: str) -> Target:
    """Where a test delivery goes: the department's webhook, or Conflict when it has none."""
    dept = get_department(session, code)
    if not dept.webhook_url:
        raise Conflict(f"department {code!r} has no webhook to test: set its URL first", code="no_webhook")
    return Target(department_code=dept.code, url=dept.webhook_url, secret=dept.webhook_secret or "")


def send_test(target: Target, *, timeout: float = TEST_TIMEOUT_S) -> dict[str, Any]:
    """POST a signed test event to a webhook now, with the headers of a real delivery (``X-Gridops-Delivery:
    test`` and ``X-Gridops-Test: 1`` say it is a test; so does the body's ``"test": true``), and say how it
    went: ``{ok, status_code, error, elapsed_ms}``. Nothing is stored; a receiver that is down is an answer,
    not an error. Call it with no transaction open: it may wait ``timeout`` seconds."""
    now = utcnow()
    body = json.dumps({"event": "test", "test": True, "department_code": target.department_code,
                       "sent_at": now.isoformat()}, ensure_ascii=False, sort_keys=True)
    stamp = str(int(now.timestamp()))
    headers = {"Content-Type": "application/json", "X-Gridops-Timestamp": stamp, "X-Gridops-Delivery": "test",
               "X-Gridops-Test": "1", "X-Gridops-Signature": signature(target.secret, stamp, body)}
    started = time.monotonic()
    try:
        with httpx.Client(timeout=timeout) as client:
            response = client.post(target.url, content=body.encode(), headers=headers)
        status = response.status_code
        error = "" if 200 <= status < 300 else f"HTTP {status}"
    except httpx.HTTPError as exc:
        status, error = None, f"{type(exc).__name__}: {exc}"[:500]
    return {"ok": not error, "status_code": status, "error": error,
            "elapsed_ms": round((time.monotonic() - started) * 1000)}
