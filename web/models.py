"""Tables owned by the web layer: API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field

from grid import refcache
from grid.clock import utcnow
from grid.dbtypes import Row, UTCDateTime


class WebSession(Row, table=True):
    """A signed-in browser: the cookie holds a random token (stored here hashed) and the page holds
    the CSRF token it must echo in X-CSRF-Token on every state-changing request."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)  # the absolute limit; the idle limit counts from last_seen_at
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)  # kept to the minute (web.auth)
    client: str = Field(default="", max_length=128)  # the address it signed in from
    user_agent: str = Field(default="", max_length=200)


class ApiToken(Row, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(unique=True, index=True, max_length=64)  # sha256 of the token; the token is never stored
    name: str = Field(default="", max_length=80)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the absolute limit
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # kept to the minute (web.auth)
    revoked: bool = False
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# who a token or a cookie stands for is cached with the reference data (web.auth): issuing or revoking a
# token, signing in or out bumps the reference version, so the change holds on the next request everywhere
refcache.watch(ApiToken, WebSession)


class SecurityEvent(Row, table=True):
    """One entry of the security log (web.seclog): who did what to accounts or configuration, from where.
    One hash chain over the whole log: each entry's hash covers its content and the previous entry's hash."""

    __tablename__ = "security_event"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True, index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    kind: str = Field(max_length=40, index=True)
    actor_id: int | None = Field(default=None, index=True)  # None: nobody signed in (a failed sign-in)
    actor_name: str = Field(default="", max_length=64)
    channel: str = Field(max_length=8)  # web (a browser session), api (a token), cli
    client: str = Field(default="", max_length=128)  # the client's address, or the CLI's operating-system user
    subject: str = Field(default="", max_length=200)  # what was acted on, e.g. "user:li", "calendar:default"
    detail: str = "{}"  # canonical JSON: before → after, reasons
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class SecurityHead(Row, table=True):
    """The newest entry of the security log: locked by each append, so two processes never fork the chain."""

    __tablename__ = "security_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(default="0" * 64, max_length=64)


class Job(Row, table=True):
    """Work an admin starts and watches (applying an uploaded grid, an import): who started it, how far it
    is (done of total) and how it ended. Any app process can report on it: the row is the state."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)  # grid_apply, …
    status: str = Field(default="queued", max_length=16)  # queued, running, done, failed
    done: int = 0
    total: int = 0
    message: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # a failure's reason
    result: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))  # JSON summary
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    heartbeat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # written while it runs
