"""Outbound webhooks: a department's notifications POSTed to its URL, signed with HMAC-SHA256, retried
with exponential backoff; every attempt is kept in the delivery log (webhook_delivery).

Delivery is its own background job (``SlaScheduler`` runs it apart from the escalation pass, so a receiver
that does not answer never delays a warning), posts to several receivers at once, and keeps a circuit
breaker per receiver (scheme, host and port): after ``BREAK_AFTER`` failures in a row the receiver is left
alone for a cool-down that doubles up to ``MAX_COOLDOWN_S``; its deliveries wait without using attempts."""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Engine, case, func
from sqlmodel import Session, select

from dispatch.models import WebhookDelivery
from grid.clock import utcnow
from grid.models import Department
from web.unit import Unit

log = logging.getLogger("gridops.webhooks")
BASE_BACKOFF_S = 10
BREAK_AFTER = 3  # failures in a row that open a receiver's circuit
BASE_COOLDOWN_S = 60
MAX_COOLDOWN_S = 600
PARALLEL = 8  # receivers posted to at once


@dataclass
class Circuit:
    failures: int = 0  # in a row
    opened: int = 0  # times opened since the last success
    open_until: datetime | None = None
    last_success: datetime | None = None
    last_failure: datetime | None = None
    last_error: str = ""


_circuits: dict[str, Circuit] = {}
_circuits_lock = threading.Lock()


def target(url: str) -> str:
    """The receiver a URL names, for its circuit: scheme, host and port (no path, which may hold a token)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


def circuits() -> dict[str, Circuit]:
    """A copy of this process's circuits, by receiver."""
    with _circuits_lock:
        return {k: Circuit(**vars(v)) for k, v in _circuits.items()}


def _record(url: str, now: datetime, error: str) -> None:
    with _circuits_lock:
        circuit = _circuits.setdefault(target(url), Circuit())
        if not error:
            circuit.failures, circuit.opened, circuit.open_until, circuit.last_success = 0, 0, None, now
            return
        circuit.failures += 1
        circuit.last_failure, circuit.last_error = now, error
        if circuit.failures >= BREAK_AFTER:
            circuit.opened += 1
            circuit.failures = 0
            circuit.open_until = now + timedelta(seconds=min(MAX_COOLDOWN_S,
                                                             BASE_COOLDOWN_S * 2 ** (circuit.opened - 1)))
            log.warning("webhook receiver %s failed %d times in a row: left alone until %s (%s)", target(url),
                        BREAK_AFTER, circuit.open_until.isoformat(timespec="seconds"), error)


def _open_until(url: str, now: datetime) -> datetime | None:
    with _circuits_lock:
        circuit = _circuits.get(target(url))
        return circuit.open_until if circuit and circuit.open_until and circuit.open_until > now else None


def reset_circuits() -> None:
    with _circuits_lock:
        _circuits.clear()


def signature(secret: str, timestamp: str, body: str) -> str:
    """``sha256=<hex>`` over ``timestamp.body``; receivers recompute it and reject old timestamps."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return "sha256=" + mac.hexdigest()


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
        claimed = session.exec(query).all()
        due = []
        for item in claimed:
            resting = _open_until(item.url, now)
            if resting is not None:  # its receiver's circuit is open: wait for it, using no attempt
                item.next_attempt_at = resting
            else:
                item.attempts += 1
                item.next_attempt_at = now + lease
                due.append(item)
            session.add(item)
        if not due:
            return 0
        secrets = {d.code: d.webhook_secret or "" for d in session.exec(select(Department))}

    def post(client: httpx.Client, item: WebhookDelivery) -> tuple[int, int | None, str]:
        stamp = str(int(utcnow().timestamp()))
        headers = {"Content-Type": "application/json", "X-Gridops-Timestamp": stamp,
                   "X-Gridops-Delivery": str(item.id),
                   "X-Gridops-Signature": signature(secrets.get(item.department_code, ""), stamp, item.body)}
        try:
            response = client.post(item.url, content=item.body.encode(), headers=headers)
            ok = 200 <= response.status_code < 300
            outcome = (item.id, response.status_code, "" if ok else f"HTTP {response.status_code}")
        except httpx.HTTPError as exc:
            outcome = (item.id, None, f"{type(exc).__name__}: {exc}"[:500])
        _record(item.url, utcnow(), outcome[2])
        return outcome

    with httpx.Client(timeout=timeout) as client, ThreadPoolExecutor(max_workers=min(PARALLEL, len(due))) as pool:
        outcomes = list(pool.map(lambda item: post(client, item), due))

    delivered = 0
    with Session(engine) as session, Unit(session):
        for item_id, code, error in outcomes:
            item = session.get(WebhookDelivery, item_id)
            item.last_status_code, item.last_error, item.last_attempt_at = code, error, utcnow()
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


def receivers(*, session: Session) -> list[dict]:
    """Each department's webhook as an admin watches it: the receiver (no path), the backlog, the failed
    deliveries, the last success and the last failure (from the delivery log), and this process's circuit."""
    log_rows = {row.department_code: row for row in session.execute(
        select(WebhookDelivery.department_code,
               func.sum(case((WebhookDelivery.status == "pending", 1), else_=0)).label("backlog"),
               func.sum(case((WebhookDelivery.status == "failed", 1), else_=0)).label("failed"),
               func.max(WebhookDelivery.delivered_at).label("last_success_at"),
               func.max(case((WebhookDelivery.last_error != "", WebhookDelivery.last_attempt_at))).label(
                   "last_failure_at"))
        .group_by(WebhookDelivery.department_code))}
    known = circuits()
    out = []
    for dept in session.exec(select(Department).where(Department.webhook_url.is_not(None)).order_by(Department.code)):
        row = log_rows.get(dept.code)
        last_error = session.exec(
            select(WebhookDelivery.last_error).where(WebhookDelivery.department_code == dept.code,
                                                     WebhookDelivery.last_error != "")
            .order_by(WebhookDelivery.last_attempt_at.desc()).limit(1)).first() if row else None
        circuit = known.get(target(dept.webhook_url))
        out.append({"department_code": dept.code, "receiver": target(dept.webhook_url),
                    "backlog": int(row.backlog) if row else 0, "failed": int(row.failed) if row else 0,
                    "last_success_at": row.last_success_at if row else None,
                    "last_failure_at": row.last_failure_at if row else None, "last_error": last_error or "",
                    "circuit_open_until": circuit.open_until if circuit else None})
    return out
