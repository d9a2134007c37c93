"""Who is calling: API tokens (random, shown once, stored as a SHA-256 hash, sent as
``Authorization: Bearer``) for programs, passwords (argon2) and session cookies for people."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, select

from grid.clock import utcnow
from grid.errors import InvalidInput
from grid.models import User
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


def csrf_ok(web_session: WebSession, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(web_session.csrf_token, sent)
