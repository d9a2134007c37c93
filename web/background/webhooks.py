"""Outbound webhooks: a department's notifications POSTed to its URL, signed with HMAC-SHA256, retried
with exponential backoff; every attempt is kept in the delivery log (webhook_delivery)."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from dispatch.models import WebhookDelivery
from grid.clock import utcnow
from grid.models import Department
from web.unit import Unit

log = logging.getLogger("gridops.webhooks")
BASE_BACKOFF_S = 10


def signature(secret: str, timestamp: str, body: str) -> str:
    """``sha256=<hex>`` over ``timestamp.body``; receivers recompute it and reject old timestamps."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def next_attempt(*, session: Session) -> datetime | None:
    return session.exec(select(func.min(WebhookDelivery.next_attempt_at))
                        .where(WebhookDelivery.status == "pending")).one()


def deliver_due(engine: Engine, *, timeout: float, max_attempts: int, batch: int = 50) -> int:
    """Try every pending delivery whose time has come. Returns how many were delivered.

    Deliveries are claimed in one short transaction (their next attempt pushed past a lease), posted
    with no transaction open, and their outcome recorded in another: a slow receiver never holds a
    database lock, and a process that dies mid-way leaves the claim to expire and the delivery to be
    retried (at least once; receivers dedupe on X-Gridops-Delivery)."""
    lease = timedelta(seconds=2 * timeout + 30)
    with Session(engine, expire_on_commit=False) as session, Unit(session):
        now = utcnow()
        query = (select(WebhookDelivery).where(WebhookDelivery.status == "pending",
                                               WebhookDelivery.next_attempt_at <= now)
                 .order_by(WebhookDelivery.next_attempt_at).limit(batch))
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        due = session.exec(query).all()
        if not due:
            return 0
        for item in due:
            item.attempts += 1
            item.next_attempt_at = now + lease
            session.add(item)
        secrets = {d.code: d.webhook_secret or "" for d in session.exec(select(Department))}

    outcomes: list[tuple[int, int | None, str]] = []
    with httpx.Client(timeout=timeout) as client:
        for item in due:
            stamp = str(int(utcnow().timestamp()))
            headers = {"Content-Type": "application/json", "X-Gridops-Timestamp": stamp,
                       "X-Gridops-Delivery": str(item.id),
                       "X-Gridops-Signature": signature(secrets.get(item.department_code, ""), stamp, item.body)}
            try:
                response = client.post(item.url, content=item.body.encode(), headers=headers)
                ok = 200 <= response.status_code < 300
                outcomes.append((item.id, response.status_code, "" if ok else f"HTTP {response.status_code}"))
            except httpx.HTTPError as exc:
                outcomes.append((item.id, None, f"{type(exc).__name__}: {exc}"[:500]))

    delivered = 0
    with Session(engine) as session, Unit(session):
        for item_id, code, error in outcomes:
            item = session.get(WebhookDelivery, item_id)
            item.last_status_code, item.last_error = code, error
            if not error:
                item.status, item.delivered_at, item.next_attempt_at = "delivered", utcnow(), None
                delivered += 1
            elif item.attempts >= max_attempts:
                item.status, item.next_attempt_at = "failed", None
                log.warning("webhook %s to %s failed for good: %s", item.id, item.url, error)
            else:
                item.next_attempt_at = utcnow() + timedelta(seconds=BASE_BACKOFF_S * 2 ** (item.attempts - 1))
            session.add(item)
    return delivered
