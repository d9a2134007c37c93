"""Tables owned by the web layer: API tokens."""

from __future__ import annotations

from datetime import datetime

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
    expires_at: datetime = Field(sa_type=UTCDateTime)


class ApiToken(Row, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(unique=True, index=True, max_length=64)  # sha256 of the token; the token is never stored
    name: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked: bool = False


# who a token or a cookie stands for is cached with the reference data (web.auth): issuing or revoking a
# token, signing in or out bumps the reference version, so the change holds on the next request everywhere
refcache.watch(ApiToken, WebSession)
