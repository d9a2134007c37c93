"""The security log: sign-ins, sessions, tokens, accounts and every admin change to the configuration
(calendars, SLA policies, routing rules, categories, departments, webhooks, the grid), as one append-only
hash chain beside the cases' chains, verified by ``gridops audit verify``.

Each entry says who (the user, or nobody for a failed sign-in), when, from where (``Source``: the channel,
``web`` for a browser session, ``api`` for a token, ``cli`` for the command line, and the client's address
or the operating-system user) and what changed (``detail``: before → after, only the fields that changed).
An entry is written in the transaction of the change it records: both land, or neither."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from dispatch.audit import GENESIS, canonical_json
from grid.clock import utcnow
from grid.people import Actor
from web.models import SecurityEvent, SecurityHead


class SecurityKind(StrEnum):
    sign_in = "sign_in"
    sign_in_failed = "sign_in_failed"
    sign_in_refused = "sign_in_refused"  # throttled: too many failures for the user name or the address
    sign_out = "sign_out"
    session_end = "session_end"  # a session ended by its owner or an admin, not by signing out
    password_change = "password_change"  # by the user
    password_reset = "password_reset"  # by an admin
    token_create = "token_create"
    token_revoke = "token_revoke"
    user_create = "user_create"
    user_change = "user_change"  # role, department, display name, leader, must-change-password
    user_deactivate = "user_deactivate"
    user_reactivate = "user_reactivate"
    user_unlock = "user_unlock"
    cells_assign = "cells_assign"
    calendar_change = "calendar_change"
    sla_policy_change = "sla_policy_change"
    routing_rule_change = "routing_rule_change"
    category_change = "category_change"
    department_change = "department_change"
    webhook_change = "webhook_change"
    grid_import = "grid_import"


@dataclass(frozen=True)
class Source:
    """Where an act came from: the channel and the client (an address, or the operating-system user)."""

    channel: str
    client: str = ""

    @classmethod
    def cli(cls) -> Source:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry for the uid (a container)
            user = f"uid {os.getuid()}"
        return cls("cli", user)


def entry_hash(e: SecurityEvent) -> str:
    at = e.at.astimezone(UTC).isoformat(timespec="microseconds")
    body = [e.seq, at, e.kind, e.actor_id, e.actor_name, e.channel, e.client, e.subject, e.detail, e.prev_hash]
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """``{"before": {...}, "after": {...}}`` with only the fields whose value differs."""
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    return {"before": {k: before.get(k) for k in keys}, "after": {k: after.get(k) for k in keys}}


def record(
    session: Session,
    *,
    kind: SecurityKind,
    source: Source,
    actor: Actor | None = None,
    subject: str = "",
    detail: Mapping[str, Any] | None = None,
    actor_name: str | None = None,
    at: datetime | None = None,
) -> SecurityEvent:
    """Append an entry in the session's transaction (the caller commits it with the change it records).
    The chain's head row is locked until then, so concurrent appends queue instead of forking the chain."""
    head = session.exec(select(SecurityHead).where(SecurityHead.id == 1).with_for_update()).first()
    if head is None:
        head = SecurityHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
    entry = SecurityEvent(
        seq=head.seq + 1,
        at=(at or utcnow()).astimezone(UTC),
        kind=str(SecurityKind(kind)),
        actor_id=actor.user_id if actor is not None else None,
        actor_name=(actor_name if actor_name is not None else actor.username if actor is not None else "")[:64],
        channel=source.channel,
        client=(source.client or "")[:128],
        subject=subject[:200],
        detail=canonical_json(dict(detail or {})),
        prev_hash=head.hash,
    )
    entry.hash = entry_hash(entry)
    head.seq, head.hash = entry.seq, entry.hash
    session.add(entry)
    session.add(head)
    session.flush()
    return entry


def entries(
    session: Session,
    *,
    user: str | None = None,
    kind: SecurityKind | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_seq: int | None = None,
    limit: int = 100,
) -> list[SecurityEvent]:
    """The newest entries first, filtered by user (the actor, or the user acted on), kind and time."""
    query = select(SecurityEvent)
    if user:
        query = query.where((SecurityEvent.actor_name == user) | (SecurityEvent.subject == f"user:{user}"))
    if kind:
        query = query.where(SecurityEvent.kind == str(kind))
    if since:
        query = query.where(SecurityEvent.at >= since)
    if until:
        query = query.where(SecurityEvent.at < until)
    if before_seq:
        query = query.where(SecurityEvent.seq < before_seq)
    return list(session.exec(query.order_by(col(SecurityEvent.seq).desc()).limit(limit)))


def verify(session: Session, *, batch: int = 1000) -> tuple[int, list[str]]:
    """Recompute the whole chain. Returns (entries checked, problems)."""
    problems: list[str] = []
    prev, expected, count = GENESIS, 1, 0
    while True:
        rows = session.exec(select(SecurityEvent).where(SecurityEvent.seq >= expected)
                            .order_by(SecurityEvent.seq).limit(batch)).all()
        if not rows:
            break
        for e in rows:
            count += 1
            if e.seq != expected:
                problems.append(f"security log entry {expected} is missing")
                return count, problems
            if e.prev_hash != prev:
                problems.append(f"security log entry {e.seq}: the link to the previous entry is broken")
                return count, problems
            if entry_hash(e) != e.hash:
                problems.append(f"security log entry {e.seq}: its content does not match its hash")
                return count, problems
            prev, expected = e.hash, expected + 1
    head = session.execute(sa_select(SecurityHead.seq, SecurityHead.hash).where(SecurityHead.id == 1)).first()
    head_seq, head_hash = (head[0], head[1]) if head else (0, GENESIS)
    if head_seq != count or head_hash != prev:
        problems.append(f"the security log records {head_seq} entries but holds {count}: entries were removed")
    return count, problems
