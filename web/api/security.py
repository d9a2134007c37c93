"""The security log for admins: sign-ins, accounts and every change to the configuration, newest first."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from grid.errors import Forbidden
from grid.models import Role
from grid.people import Actor
from web import seclog
from web.api.deps import ActorDep, SessionDep
from web.api.params import aware
from web.seclog import SecurityKind

router = APIRouter(prefix="/api/v1", tags=["security"])


def admin(actor: ActorDep) -> Actor:
    """Only admins read the log (checked before the filters, so others get 403 whatever they ask)."""
    if actor.role != Role.admin:
        raise Forbidden(f"only an admin may read the security log; you are a {actor.role}")
    return actor


class SecurityEventOut(BaseModel):
    seq: int = Field(description="the entry's place in the chain; page with ?before=<the last seq you got>")
    at: datetime
    kind: str = Field(description="one of " + ", ".join(SecurityKind))
    actor_id: int | None = Field(description="the user who acted; null when nobody was signed in or on the CLI")
    actor_name: str
    channel: str = Field(description="web (a browser session), api (a token) or cli")
    client: str = Field(description="the client's address, or the operating-system user on the CLI")
    subject: str = Field(description="what was acted on, e.g. user:li, calendar:standard, department:WATER")
    detail: dict[str, Any] = Field(description="what changed: before → after (only the changed fields), reasons")
    prev_hash: str
    hash: str = Field(description="SHA-256 over the entry and the previous entry's hash")


@router.get("/security-events", response_model=list[SecurityEventOut])
def security_events(
    session: SessionDep,
    _: Annotated[Actor, Depends(admin)],
    user: Annotated[str | None, Query(max_length=64, description="the user who acted or was acted on")] = None,
    kind: Annotated[SecurityKind | None, Query()] = None,
    since: Annotated[datetime | None, Query(description="from this time on, with its zone")] = None,
    until: Annotated[datetime | None, Query(description="before this time, with its zone")] = None,
    before: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="entries before this seq")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SecurityEventOut]:
    """Admins: the security log, newest first, by user, kind and time."""
    rows = seclog.entries(session, user=user, kind=kind, since=aware(since, "since"), until=aware(until, "until"),
                          before_seq=before, limit=limit)
    return [SecurityEventOut(**{**e.model_dump(exclude={"id", "detail"}), "detail": json.loads(e.detail)})
            for e in rows]
