"""Who is calling: API tokens (random, shown once, stored as a SHA-256 hash, sent as
``Authorization: Bearer``) for programs, passwords (argon2) and session cookies for people."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, select

from grid import refcache
from grid.clock import utcnow
from grid.errors import InvalidInput
from grid.models import User
from grid.people import Actor
from web.models import ApiToken, WebSession

PREFIX = "gro_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(*, session: Session, user: User, name: str = "") -> str:
    """Create a token for the user and return it in clear text (the only time it is seen)."""
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), name=name))
    session.flush()
    return token


def user_for_token(*, session: Session, token: str) -> User | None:
    row = session.exec(
        select(User).join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked == False, User.active == True)  # noqa: E712
    ).first()
    return row


def actor_for_token(*, session: Session, token: str) -> Actor | None:
    """Who an API token stands for, cached with the reference data (a revoked token or a deactivated user
    bumps its version: refused on the next request in every process). Unknown tokens are not cached."""

    def load(s: Session) -> Actor | None:
        user = user_for_token(session=s, token=token)
        return Actor.of(session=s, user=user) if user is not None else None

    return refcache.cached(session, ("token", hash_token(token)), load, keep_none=False)


@dataclass(frozen=True)
class Signed:
    """A signed-in browser as the API checks it on every request."""

    actor: Actor
    csrf_token: str
    expires_at: datetime


def signed_for_cookie(*, session: Session, token: str) -> Signed | None:
    """Who a session cookie stands for, cached like ``actor_for_token``; its expiry is checked each time."""

    def load(s: Session) -> Signed | None:
        found = session_for_cookie(session=s, token=token)
        if found is None:
            return None
        web_session, user = found
        return Signed(Actor.of(session=s, user=user), web_session.csrf_token, web_session.expires_at)

    signed = refcache.cached(session, ("cookie", hash_token(token)), load, keep_none=False)
    return signed if signed is not None and signed.expires_at > utcnow() else None


# --- passwords and browser sessions ----------------------------------------------------------------

_hasher = PasswordHasher()
SESSION_COOKIE = "gridops_session"
CSRF_HEADER = "X-CSRF-Token"


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise InvalidInput("a password needs at least 8 characters")
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    user = session.exec(select(User).where(User.username == username.strip(), User.active == True)).first()  # noqa: E712
    if user is None:
        _hasher.hash(password or "x")  # spend the same time whether or not the user exists
        return None
    return user if check_password(user, password) else None


def open_session(*, session: Session, user: User, hours: float) -> tuple[str, WebSession]:
    token = secrets.token_urlsafe(32)
    row = WebSession(user_id=user.id, token_hash=hash_token(token), csrf_token=secrets.token_urlsafe(24),
                     expires_at=utcnow() + timedelta(hours=hours))
    session.add(row)
    session.flush()
    return token, row


def session_for_cookie(*, session: Session, token: str) -> tuple[WebSession, User] | None:
    row = session.exec(
        select(WebSession, User).join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == hash_token(token), WebSession.expires_at > utcnow(),
               User.active == True)  # noqa: E712
    ).first()
    return (row[0], row[1]) if row else None


def close_session(*, session: Session, token: str) -> None:
    row = session.exec(select(WebSession).where(WebSession.token_hash == hash_token(token))).first()
    if row is not None:
        session.delete(row)
        session.flush()


def csrf_ok(expected: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(expected, sent)
