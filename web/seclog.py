"""The security log: sign-ins, sessions, tokens, accounts and every admin change to the configuration
(calendars, SLA policies, routing rules, categories, departments, webhooks, the grid), as one append-only
hash chain beside the cases' chains, verified by ``gridops audit verify``.

Each entry says who (the user, or nobody for a failed sign-in), when, from where (``Source``: the channel,
``web`` for a browser session, ``api`` for a token, ``cli`` for the command line, and the client's address
or the operating-system user) and what changed (``detail``: before → after, only the fields that changed).
An entry is written in the transaction of the change it records: both land, or neither. A configuration
change is recorded when something changed (``record_change``): saving what is already there writes nothing.
Secrets never reach the log: a webhook's secret is "set", "rotated" or "removed", its URL only its receiver."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum, StrEnum
from typing import Any
from urllib.parse import urlsplit

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
    grid_generate = "grid_generate"
    address_import = "address_import"
    evaluation_scheme_change = "evaluation_scheme_change"


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


# The fields of each kind of configuration row the log shows before → after (never a secret).
CALENDAR_FIELDS = ("name", "timezone", "periods", "weekdays", "always_on")
CALENDAR_DAY_FIELDS = ("kind", "name")
POLICY_FIELDS = ("limit_hours", "basis", "ladder", "note")
RULE_FIELDS = ("department_code", "note")
DEPARTMENT_FIELDS = ("name", "name_en", "phone", "calendar_code")
CATEGORY_FIELDS = ("kind", "major", "minor", "major_name", "major_name_en", "name", "name_en", "public_name",
                   "public_name_en", "default_department_code", "limit_hours_normal", "limit_hours_urgent",
                   "limit_hours_critical", "time_basis", "after_photo_required", "active")


def state(row: Any, fields: tuple[str, ...]) -> dict[str, Any] | None:
    """A row's fields as the log shows them (enums as their value, dates as ISO text); None for no row.
    Take it before the change: a service changes the very object the session holds."""
    if row is None:
        return None
    values = {f: getattr(row, f) for f in fields}
    return {f: v.value if isinstance(v, Enum) else v.isoformat() if isinstance(v, date) else v
            for f, v in values.items()}


def policy_state(row: Any) -> dict[str, Any] | None:
    """An SLA policy's fields, its ladder as the object it stands for (stored as JSON text)."""
    values = state(row, POLICY_FIELDS)
    if values and values["ladder"]:
        values["ladder"] = json.loads(values["ladder"])
    return values


def policy_subject(row: Any) -> str:
    """``sla_policy:handle/E01/urgent``; ``*`` for any category or urgency."""
    return f"sla_policy:{row.stage}/{row.category or '*'}/{row.urgency or '*'}"


def rule_subject(row: Any) -> str:
    """``routing_rule:E01/310101/*``; ``*`` for any category, everywhere or any urgency."""
    return f"routing_rule:{row.category or '*'}/{row.area_code or '*'}/{row.urgency or '*'}"


def delta(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """before → after of one thing: created (``before`` null, every field after), removed (``after`` null,
    every field before) or changed (``changes``: only the fields that differ); None when nothing changed."""
    if before is None and after is None:
        return None
    if before is None or after is None:
        return {"before": None if before is None else dict(before), "after": None if after is None else dict(after)}
    diff = changes(before, after)
    return diff if diff["after"] else None


def record_change(
    session: Session,
    *,
    kind: SecurityKind,
    source: Source,
    actor: Actor | None,
    subject: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    **context: Any,
) -> SecurityEvent | None:
    """Record a configuration change (``delta``, after the ``context`` such as the day a calendar entry is
    for) when something changed; nothing when nothing did."""
    detail = delta(before, after)
    if detail is None:
        return None
    return record(session, kind=kind, source=source, actor=actor, subject=subject, detail={**context, **detail})


def collection_changes(before: Mapping[str, Mapping[str, Any]],
                       after: Mapping[str, Mapping[str, Any]]) -> dict[str, Any] | None:
    """What changed in a set of rows by code (a catalogue load): the codes added and removed, and each
    changed row's fields before → after. None when nothing changed. Its size is bounded by the set's."""
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = {code: changes(before[code], after[code]) for code in sorted(set(before) & set(after))
               if before[code] != after[code]}
    if not (added or removed or changed):
        return None
    return {"added": added, "removed": removed, "changed": changed}


def receiver(url: str | None) -> str | None:
    """The part of a webhook URL the log may show: scheme, host and port (a path or user info may hold a
    token)."""
    if not url:
        return None
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}"


def secret_change(before: str | None, after: str | None) -> str | None:
    """What happened to a secret, never its value: "set", "rotated", "removed", or None (unchanged)."""
    if before == after:
        return None
    return "set" if not before else "removed" if not after else "rotated"


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
    """The newest entries first, filtered by user (the actor, the user acted on, or the operating-system user
    of a command-line change), kind and time."""
    query = select(SecurityEvent)
    if user:
        query = query.where((SecurityEvent.actor_name == user) | (SecurityEvent.subject == f"user:{user}")
                            | ((SecurityEvent.channel == "cli") & (SecurityEvent.client == user)))
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


def _text(value: Any) -> str:
    if value is None:
        return "-"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _before_after(before: Any, after: Any) -> str:
    if isinstance(after, Mapping) and before is None:
        return "created: " + ", ".join(f"{k}={_text(v)}" for k, v in after.items())
    if isinstance(before, Mapping) and after is None:
        return "removed: " + ", ".join(f"{k}={_text(v)}" for k, v in before.items())
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        keys = dict.fromkeys([*before, *after])
        return "; ".join(f"{k}: {_text(before.get(k))} → {_text(after.get(k))}" for k in keys)
    return f"{_text(before)} → {_text(after)}"


def describe(detail: Mapping[str, Any]) -> str:
    """An entry's detail for a person at a terminal, a line per fact: ``periods: 08:00-12:00 → 07:00-19:00``."""
    lines = []
    for key, value in detail.items():
        if key in ("before", "after"):
            continue
        if key == "changed" and isinstance(value, Mapping):
            lines += [f"{code}: {_before_after(d.get('before'), d.get('after'))}" for code, d in value.items()
                      if isinstance(d, Mapping)]
        elif isinstance(value, list):
            if value:
                lines.append(f"{key}: {', '.join(_text(v) for v in value)}")
        else:
            lines.append(f"{key}: {_text(value)}")
    if "before" in detail or "after" in detail:
        lines.append(_before_after(detail.get("before"), detail.get("after")))
    return "\n".join(lines)
