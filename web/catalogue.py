"""The catalogue as admins change it (``grid.catalogue_admin``), each change on the security log. The HTTP API
(web.api.catalogue) and the command line (``gridops catalogue``) both call these, so both leave the same
entries."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlmodel import Session, select

from grid import catalogue_admin
from grid.models import Category
from grid.people import Actor
from web import seclog
from web.seclog import SecurityKind, Source


def change_category(session: Session, *, code: str, changes: dict[str, Any], by: Actor | None,
                    source: Source) -> Category:
    """Change one minor class; the log says which fields changed, before → after (nothing when none did)."""
    current = session.exec(select(Category).where(Category.code == code.strip().upper())).first()
    before = seclog.state(current, seclog.CATEGORY_FIELDS)
    cat = catalogue_admin.change_category(session=session, code=code, changes=changes)
    seclog.record_change(session, kind=SecurityKind.category_change, source=source, actor=by,
                         subject=f"category:{cat.code}", before=before,
                         after=seclog.state(cat, seclog.CATEGORY_FIELDS))
    return cat


def import_catalogue(session: Session, *, document: Any, apply: bool, by: Actor | None, source: Source,
                     file_name: str = "") -> catalogue_admin.ImportPlan:
    """Preview a catalogue file, or apply it (all of it, or nothing when any entry is refused). An applied
    import that changed something is one entry on the log: the file, the classes added and each changed
    class's fields before → after."""
    plan = catalogue_admin.plan_import(session, document)
    if not apply:
        return plan

    def states() -> dict[str, dict]:
        return {c.code: seclog.state(c, seclog.CATEGORY_FIELDS) for c in session.exec(select(Category))}

    before = states()
    catalogue_admin.apply_import(session=session, plan=plan)
    if detail := seclog.collection_changes(before, states()):
        digest = hashlib.sha256(json.dumps(document, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
        seclog.record(session, kind=SecurityKind.category_change, source=source, actor=by,
                      subject="catalogue:categories",
                      detail={"from": f"file {file_name}".strip(), "sha256": digest, **detail})
    return plan
