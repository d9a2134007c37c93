"""Accounts as admins and their owners manage them: deactivate and reactivate users, reset passwords, unlock
sign-ins, make and revoke API tokens, end sessions. The HTTP API (web.api.accounts) and the command line
(web.cli.accounts) both call these, so both leave the same entries in the security log."""

from __future__ import annotations

from sqlmodel import Session, col, select

from grid.clock import utcnow
from grid.errors import Conflict, Forbidden, NotFound
from grid.models import RESERVED_ROLES, Role, User
from grid.people import Actor, create_user, profile, update_user
from web.auth import Limits, end_sessions, hash_token, issue_token, revoke_tokens
from web.models import ApiToken, WebSession
from web.passwords import check_policy, hash_password
from web.seclog import SecurityKind, Source, record
from web.seclog import changes as changes_of
from web.throttle import LoginThrottle


def find_user(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username.strip())).first()
    if user is None:
        raise NotFound(f"no user {username!r}", code="unknown_user", field="username", username=username)
    return user


def list_users(session: Session, *, q: str = "", role: Role | None = None, active: bool | None = None,
               department: str | None = None, leader: bool | None = None, limit: int = 200) -> list[User]:
    query = select(User).where(col(User.role).not_in(RESERVED_ROLES))
    if q:
        like = f"%{q.strip()}%"
        query = query.where(col(User.username).ilike(like) | col(User.display_name).ilike(like))
    if role is not None:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active == active)
    if department:
        query = query.where(User.department_code == department)
    if leader is not None:
        query = query.where(User.is_leader == leader)
    return list(session.exec(query.order_by(User.username).limit(limit)))


def _subject(user: User) -> str:
    return f"user:{user.username}"


def create_account(session: Session, *, username: str, role: Role | str, display_name: str = "",
                   department_code: str | None = None, cell_codes: list[str] | None = None, is_leader: bool = False,
                   password: str | None = None, must_change: bool = True, by: Actor | None, source: Source) -> User:
    """A new user (with a password to sign in to the pages, or none: API tokens only)."""
    if password:
        check_policy(password, username=username)
    user = create_user(session=session, username=username, role=role, display_name=display_name,
                       department_code=department_code, cell_codes=cell_codes or [])
    user.is_leader = is_leader
    if password:
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
        user.must_change_password = must_change
    session.add(user)
    session.flush()
    after = profile(session=session, user=user)
    record(session, kind=SecurityKind.user_create, source=source, actor=by, subject=_subject(user),
           detail={"before": None, "after": {**after, "password": bool(password),
                                             "must_change_password": user.must_change_password}})
    if after["cells"]:
        record(session, kind=SecurityKind.cells_assign, source=source, actor=by, subject=_subject(user),
               detail={"before": {"cells": []}, "after": {"cells": after["cells"]}})
    return user


def update_account(session: Session, *, username: str, by: Actor | None, source: Source, **changes: object) -> User:
    """Change a user's role, display name, department, leadership or cells (``grid.people.update_user``); the
    role/department/name change and the cell change are separate entries on the security log."""
    user = find_user(session, username)
    before = profile(session=session, user=user)
    update_user(session=session, user=user, **changes)
    after = profile(session=session, user=user)
    plain = changes_of({k: v for k, v in before.items() if k != "cells"},
                       {k: v for k, v in after.items() if k != "cells"})
    if plain["before"]:
        record(session, kind=SecurityKind.user_change, source=source, actor=by, subject=_subject(user), detail=plain)
    if before["cells"] != after["cells"]:
        added = sorted(set(after["cells"]) - set(before["cells"]))
        removed = sorted(set(before["cells"]) - set(after["cells"]))
        record(session, kind=SecurityKind.cells_assign, source=source, actor=by, subject=_subject(user),
               detail={"added": added, "removed": removed, "after": {"cells": after["cells"]}})
    return user


def deactivate(session: Session, *, username: str, by: Actor | None, source: Source, reason: str = "") -> User:
    """Refuse the user from now on (every session ends, tokens stop working, live connections close); the user
    is kept: the audit trail names them."""
    user = find_user(session, username)
    if by is not None and by.user_id == user.id:
        raise Conflict("you cannot deactivate your own account; ask another admin", code="cannot_deactivate_self")
    if not user.active:
        return user
    user.active = False
    session.add(user)
    ended = end_sessions(session=session, user_id=user.id)
    record(session, kind=SecurityKind.user_deactivate, source=source, actor=by, subject=_subject(user),
           detail={"before": {"active": True}, "after": {"active": False}, "sessions_ended": len(ended),
                   "reason": reason[:500]})
    return user


def reactivate(session: Session, *, username: str, by: Actor | None, source: Source) -> User:
    user = find_user(session, username)
    if user.active:
        return user
    user.active = True
    session.add(user)
    record(session, kind=SecurityKind.user_reactivate, source=source, actor=by, subject=_subject(user),
           detail={"before": {"active": False}, "after": {"active": True}})
    return user


def reset_password(session: Session, *, username: str, password: str, must_change: bool, by: Actor | None,
                   source: Source) -> User:
    """An admin sets a user's password: every session and token of the user ends."""
    user = find_user(session, username)
    check_policy(password, username=user.username)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.must_change_password = must_change
    session.add(user)
    ended = end_sessions(session=session, user_id=user.id)
    revoked = revoke_tokens(session=session, user_id=user.id)
    record(session, kind=SecurityKind.password_reset, source=source, actor=by, subject=_subject(user),
           detail={"must_change_password": must_change, "sessions_ended": len(ended), "tokens_revoked": len(revoked)})
    return user


def require_password_change(session: Session, *, username: str, by: Actor | None, source: Source) -> User:
    user = find_user(session, username)
    if not user.password_hash:
        raise Conflict(f"{user.username} has no password (API tokens only); set one with a password reset",
                       code="no_password", username=user.username)
    if not user.must_change_password:
        user.must_change_password = True
        session.add(user)
        record(session, kind=SecurityKind.user_change, source=source, actor=by, subject=_subject(user),
               detail={"before": {"must_change_password": False}, "after": {"must_change_password": True}})
    return user


def unlock(session: Session, throttle: LoginThrottle, *, username: str = "", address: str = "", by: Actor | None,
           source: Source) -> None:
    """Forget the failed sign-ins of a user name (and of an address)."""
    throttle.unlock(username, address)
    record(session, kind=SecurityKind.user_unlock, source=source, actor=by,
           subject=f"user:{username}" if username else f"address:{address}",
           detail={"address": address} if address and username else {})


# --- tokens ------------------------------------------------------------------------------------------------

def create_token(session: Session, *, user: User, name: str, days: float | None, limits: Limits, by: Actor | None,
                 source: Source) -> tuple[str, ApiToken]:
    if not user.active:
        raise Conflict(f"{user.username} is deactivated; reactivate the user first", code="user_deactivated",
                       username=user.username)
    token = issue_token(session=session, user=user, name=name, days=days, limits=limits)
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).one()
    record(session, kind=SecurityKind.token_create, source=source, actor=by, subject=_subject(user),
           detail={"token": row.id, "name": row.name, "expires_at": row.expires_at.isoformat()})
    return token, row


def tokens(session: Session, *, user_id: int | None, include_revoked: bool = False) -> list[tuple[ApiToken, str]]:
    query = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    if not include_revoked:
        query = query.where(ApiToken.revoked == False)  # noqa: E712
    return list(session.exec(query.order_by(col(ApiToken.id).desc()).limit(500)))


def revoke_token(session: Session, *, token_id: int, by: Actor | None, source: Source) -> ApiToken:
    """Revoke a token: its owner or an admin (``by`` None: the command line)."""
    row = session.get(ApiToken, token_id)
    if row is None or (by is not None and by.role != Role.admin and row.user_id != by.user_id):
        raise NotFound(f"no token {token_id}", code="unknown_token", field="token_id", token_id=token_id)
    owner = session.get(User, row.user_id)
    if not row.revoked:
        revoke_tokens(session=session, user_id=row.user_id, token_id=row.id)
        record(session, kind=SecurityKind.token_revoke, source=source, actor=by, subject=_subject(owner),
               detail={"token": row.id, "name": row.name})
    return row


# --- sessions ----------------------------------------------------------------------------------------------

def end_session(session: Session, *, session_id: int, by: Actor | None, source: Source) -> None:
    row = session.get(WebSession, session_id)
    if row is None or (by is not None and by.role != Role.admin and row.user_id != by.user_id):
        raise NotFound(f"no session {session_id}", code="unknown_session", field="session_id",
                       session_id=session_id)
    owner = session.get(User, row.user_id)
    end_sessions(session=session, user_id=row.user_id, session_id=row.id)
    record(session, kind=SecurityKind.session_end, source=source, actor=by, subject=_subject(owner),
           detail={"session": session_id})


def may_manage(by: Actor, user: User) -> None:
    """Owners manage their own tokens and sessions; admins everyone's."""
    if by.role != Role.admin and by.user_id != user.id:
        raise Forbidden("only admins manage other users' tokens and sessions")
