"""Who is calling: API tokens (random, shown once, stored as a SHA-256 hash, sent as
``Authorization: Bearer``) for programs, session cookies for people who signed in with a password.

Both expire: a session after ``session_hours`` (absolute) or ``session_idle_minutes`` without a request; a
token at its ``expires_at`` (at most ``token_days`` after it was made) or after ``token_idle_days`` unused.
When each was last seen is written at most once a minute, after the request, in a transaction of its own
(not the request's, which may roll back, and not a flush: it must not bump the reference version)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from grid import refcache
from grid.clock import utcnow
from grid.models import User
from grid.people import Actor
from web.models import ApiToken, WebSession
from web.passwords import check_password, hash_password, spend_a_check

__all__ = ["hash_password"]  # (re-exported: the demo, the tests and the benches make users with it)

PREFIX = "gro_"
SESSION_COOKIE = "gridops_session"
CSRF_HEADER = "X-CSRF-Token"
TOUCH_EVERY = timedelta(minutes=1)
_TOUCH_KEY = "gridops.touch"
NO_TOUCH = "gridops.no_touch"  # (session.info) checking a live connection's credential is not activity


@dataclass(frozen=True)
class Limits:
    """How long sessions and tokens live (from the settings)."""

    session_idle: timedelta = timedelta(minutes=60)
    token_idle: timedelta = timedelta(days=90)
    token_life: timedelta = timedelta(days=365)

    @classmethod
    def of(cls, settings) -> Limits:  # noqa: ANN001  (web.settings.Settings)
        return cls(session_idle=timedelta(minutes=settings.session_idle_minutes),
                   token_idle=timedelta(days=settings.token_idle_days), token_life=timedelta(days=settings.token_days))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- when a session or token was last seen -------------------------------------------------------------

_seen: dict[tuple[int, str, int], datetime] = {}  # (engine, table, id) → what this process wrote or read last
_seen_lock = threading.Lock()


def _alive(session: Session, table: type[WebSession] | type[ApiToken], row_id: int, last_seen: datetime | None,
           born: datetime, idle: timedelta, now: datetime) -> bool:
    """Not idle for longer than ``idle`` (counted from ``born`` when never seen); when it was never seen or a
    minute has passed since it was last noted, note it (written by ``write_touches`` once the request is over)."""
    key = (id(session.get_bind()), table.__tablename__, row_id)
    with _seen_lock:
        noted = _seen.get(key)
    last = max(d for d in (last_seen, noted, born) if d is not None)
    column = WebSession.last_seen_at if table is WebSession else ApiToken.last_used_at
    if now - last > idle:  # another process may have seen it since: ask the database before refusing
        fresh = session.exec(select(column).where(table.id == row_id)).first()
        if fresh is None or now - fresh > idle:
            return False
        last = fresh
    if (noted is None and last_seen is None or now - last >= TOUCH_EVERY) and not session.info.get(NO_TOUCH):
        session.info.setdefault(_TOUCH_KEY, []).append((table, row_id, now))
        last = now
    with _seen_lock:
        if len(_seen) > 100_000:
            _seen.clear()
        _seen[key] = last
    return True


def write_touches(engine: Engine, session: Session) -> None:
    """Write when the request's session or token was last seen (the request's own transaction is over)."""
    touches = session.info.pop(_TOUCH_KEY, None)
    if not touches:
        return
    with engine.begin() as conn:
        for table, row_id, at in touches:
            column = "last_seen_at" if table is WebSession else "last_used_at"
            conn.execute(update(table).where(table.id == row_id).values({column: at}))


def has_touches(session: Session) -> bool:
    return bool(session.info.get(_TOUCH_KEY))


# --- API tokens --------------------------------------------------------------------------------------------

def issue_token(*, session: Session, user: User, name: str = "", days: float | None = None,
                limits: Limits | None = None) -> str:
    """Create a token for the user and return it in clear text (the only time it is seen). It lasts
    ``days`` (at most the token life of the settings)."""
    life = (limits or Limits()).token_life
    if days is not None:
        life = min(life, timedelta(days=days))
    token = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), name=name[:80], created_at=now,
                         expires_at=now + life))
    session.flush()
    return token


@dataclass(frozen=True)
class TokenHolder:
    actor: Actor
    token_id: int
    expires_at: datetime
    last_used_at: datetime | None
    created_at: datetime


def actor_for_token(*, session: Session, token: str, limits: Limits | None = None) -> Actor | None:
    """Who an API token stands for, cached with the reference data (a revoked token or a deactivated user
    bumps its version: refused on the next request in every process). Unknown tokens are not cached."""
    limits = limits or Limits()

    def load(s: Session) -> TokenHolder | None:
        row = s.exec(
            select(ApiToken, User).join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked == False, User.active == True)  # noqa: E712
        ).first()
        if row is None:
            return None
        t, user = row
        return TokenHolder(Actor.of(session=s, user=user), t.id, t.expires_at or t.created_at + limits.token_life,
                           t.last_used_at, t.created_at)

    holder = refcache.cached(session, ("token", hash_token(token)), load, keep_none=False)
    if holder is None:
        return None
    now = utcnow()
    if holder.expires_at <= now or not _alive(session, ApiToken, holder.token_id, holder.last_used_at,
                                              holder.created_at, limits.token_idle, now):
        return None
    return holder.actor


def revoke_tokens(*, session: Session, user_id: int, token_id: int | None = None) -> list[ApiToken]:
    """Revoke one token of the user, or all of them; returns the ones revoked."""
    query = select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked == False)  # noqa: E712
    if token_id is not None:
        query = query.where(ApiToken.id == token_id)
    rows = list(session.exec(query))
    now = utcnow()
    for row in rows:
        row.revoked, row.revoked_at = True, now
        session.add(row)
    session.flush()
    return rows


# --- passwords and browser sessions ------------------------------------------------------------------------

def authenticate(*, session: Session, username: str, password: str) -> User | None:
    user = session.exec(select(User).where(User.username == username.strip(), User.active == True)).first()  # noqa: E712
    if user is None:
        spend_a_check(password)  # spend the same time whether or not the user exists
        return None
    return user if check_password(user, password) else None


def open_session(*, session: Session, user: User, hours: float, client: str = "",
                 user_agent: str = "") -> tuple[str, WebSession]:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = WebSession(user_id=user.id, token_hash=hash_token(token), csrf_token=secrets.token_urlsafe(24),
                     created_at=now, last_seen_at=now, expires_at=now + timedelta(hours=hours),
                     client=client[:128], user_agent=user_agent[:200])
    session.add(row)
    session.flush()
    return token, row


@dataclass(frozen=True)
class Signed:
    """A signed-in browser as the API checks it on every request."""

    actor: Actor
    session_id: int
    csrf_token: str
    expires_at: datetime
    last_seen_at: datetime
    must_change_password: bool = False


def signed_for_cookie(*, session: Session, token: str, limits: Limits | None = None) -> Signed | None:
    """Who a session cookie stands for, cached like ``actor_for_token``; its limits are checked each time."""
    limits = limits or Limits()

    def load(s: Session) -> Signed | None:
        row = s.exec(
            select(WebSession, User).join(User, User.id == WebSession.user_id)
            .where(WebSession.token_hash == hash_token(token), User.active == True)  # noqa: E712
        ).first()
        if row is None:
            return None
        web_session, user = row
        return Signed(Actor.of(session=s, user=user), web_session.id, web_session.csrf_token, web_session.expires_at,
                      web_session.last_seen_at, user.must_change_password)

    signed = refcache.cached(session, ("cookie", hash_token(token)), load, keep_none=False)
    if signed is None:
        return None
    now = utcnow()
    if signed.expires_at <= now or not _alive(session, WebSession, signed.session_id, signed.last_seen_at,
                                              signed.last_seen_at, limits.session_idle, now):
        return None
    return signed


def session_for_cookie(*, session: Session, token: str, limits: Limits | None = None) -> tuple[WebSession, User] | None:
    """The session row and its user, when the cookie is still good."""
    signed = signed_for_cookie(session=session, token=token, limits=limits)
    if signed is None:
        return None
    row = session.get(WebSession, signed.session_id)
    user = session.get(User, signed.actor.user_id)
    return (row, user) if row is not None and user is not None else None


def close_session(*, session: Session, token: str) -> WebSession | None:
    row = session.exec(select(WebSession).where(WebSession.token_hash == hash_token(token))).first()
    if row is not None:
        session.delete(row)
        session.flush()
    return row


def end_sessions(*, session: Session, user_id: int, keep: int | None = None,
                 session_id: int | None = None) -> list[WebSession]:
    """End the user's sessions (all, all but ``keep``, or only ``session_id``); returns the ones ended."""
    query = select(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        query = query.where(WebSession.id != keep)
    if session_id is not None:
        query = query.where(WebSession.id == session_id)
    rows = list(session.exec(query))
    for row in rows:
        session.delete(row)
    session.flush()
    return rows


def csrf_ok(expected: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(expected, sent)


def live_sessions(*, session: Session, user_id: int | None, limits: Limits) -> list[tuple[WebSession, str]]:
    """Sessions still good (not expired, not idle too long), newest first, with their user names."""
    now = utcnow()
    query = (select(WebSession, User.username).join(User, User.id == WebSession.user_id)
             .where(WebSession.expires_at > now, WebSession.last_seen_at > now - limits.session_idle)
             .order_by(col(WebSession.created_at).desc()))
    if user_id is not None:
        query = query.where(WebSession.user_id == user_id)
    return [(row, name) for row, name in session.exec(query.limit(500))]
