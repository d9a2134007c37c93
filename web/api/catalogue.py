"""The catalogue for admins (issue 13): change a minor class, export the whole catalogue as a file and import
one back (a preview first). Reading the catalogue is GET /api/v1/categories (web.api.grid)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from grid import catalogue_admin as rules
from grid.errors import Forbidden, InvalidInput
from grid.models import CategoryKind, Role, TimeBasis
from grid.people import Actor
from web import catalogue
from web.api import errors
from web.api.deps import ActorDep, Caller, CallerDep, SessionDep, SourceDep, UnitDep
from web.api.grid import CategoryOut, category_out
from web.api.guard import JSON_LIMIT, refuse_unusable

router = APIRouter(prefix="/api/v1", tags=["catalogue"])

Hours = Annotated[float, Field(ge=rules.MIN_LIMIT_HOURS, le=rules.MAX_LIMIT_HOURS)]
Name = Annotated[str, Field(min_length=1, max_length=rules.NAME_MAX)]
NameEn = Annotated[str, Field(min_length=1, max_length=rules.NAME_EN_MAX)]


def _admin(actor: Actor) -> None:
    if actor.role != Role.admin:
        raise Forbidden(f"only an admin may change the catalogue; you are a {actor.role}")


class CategoryChangeIn(BaseModel):
    """What to change on a minor class; a field left out stays as it is."""

    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    name_en: NameEn | None = None
    public_name: str | None = Field(default=None, max_length=rules.NAME_MAX,
                                    description="plain words for citizens; '' : the class's own name")
    public_name_en: str | None = Field(default=None, max_length=rules.NAME_EN_MAX)
    default_department_code: str | None = Field(default=None, max_length=32,
                                                description="a department's code; '' or null: none")
    limit_hours_normal: Hours | None = None
    limit_hours_urgent: Hours | None = Field(default=None, description="at most the normal limit")
    limit_hours_critical: Hours | None = Field(default=None, description="at most the urgent limit")
    time_basis: TimeBasis | None = None
    after_photo_required: bool | None = None
    active: bool | None = Field(default=None, description="false: refused for new reports; its cases keep it")


@router.patch("/categories/{code}", response_model=CategoryOut,
              responses=errors.responses(not_found="no such minor class"))
def change_category(code: Annotated[str, Path(pattern=r"^[CEce]\d{4}$", description="a minor class, e.g. E0101")],
                    body: CategoryChangeIn, session: SessionDep, actor: ActorDep, source: SourceDep,
                    unit: UnitDep) -> CategoryOut:
    """Change a minor class (admin): names, public names, default department, the three handling limits and
    their time basis, the photo rule, enabled or not. Running timers keep the limits they started with.
    A class is never deleted: disable it (its open cases keep it; new reports are refused it)."""
    _admin(actor)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    if "default_department_code" in changes:
        changes["default_department_code"] = (changes["default_department_code"] or "").strip() or None
    with unit:
        cat = catalogue.change_category(session, code=code, changes=changes, by=actor, source=source)
    return category_out(cat)


# --- the file ----------------------------------------------------------------------------------------------

class MajorFile(BaseModel):
    code: str = Field(description="kind letter and two digits, e.g. E01")
    kind: CategoryKind
    name: str
    name_en: str
    minors: list[rules.MinorEntry]


class DepartmentRef(BaseModel):
    code: str
    name: str
    name_en: str


class CatalogueFile(BaseModel):
    format: Literal["gridops-catalogue/1"]
    departments: list[DepartmentRef] = Field(description="the departments the classes name, for a reader: an "
                                                          "import creates none, and refuses a class naming one "
                                                          "that does not exist")
    majors: list[MajorFile]


@router.get("/catalogue/export", response_model=CatalogueFile)
def export_catalogue(session: SessionDep, actor: ActorDep, response: Response) -> dict[str, Any]:
    """The whole catalogue as a file (admin), every class enabled or not, in code order: the same catalogue
    always gives the same file. Edit it and import it back with POST /catalogue/import."""
    _admin(actor)
    response.headers["Content-Disposition"] = 'attachment; filename="gridops-catalogue.json"'
    return rules.export_catalogue(session)


Value = str | float | bool | None


class FieldChangeOut(BaseModel):
    field: str
    before: Value
    after: Value


class ChangedOut(BaseModel):
    code: str
    changes: list[FieldChangeOut]


class AddedOut(BaseModel):
    code: str
    values: dict[str, Value]


class RefusedOut(BaseModel):
    entry: str = Field(description="where in the file, e.g. majors[0].minors[2]")
    code: str = Field(description="the class's code as the file gives it ('' when none)")
    reasons: list[str]


class CatalogueImportOut(BaseModel):
    applied: bool = Field(description="false: a preview, nothing changed")
    added: list[AddedOut]
    changed: list[ChangedOut] = Field(description="each class that changes, field by field")
    unchanged: list[str]
    refused: list[RefusedOut] = Field(description="entries that cannot be imported, with the reasons (applying "
                                                  "a file with any is refused as a whole)")
    not_in_file: list[str] = Field(description="classes the file does not mention: kept as they are")


IMPORT_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/CatalogueFile"}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary", "description": "the catalogue file (JSON)"}}}}}}}
MAX_FILE_BYTES = JSON_LIMIT


def _admin_and_let_go(caller: Caller, session: Session) -> Actor:
    """The caller, checked to be an admin before a file is read, with the check's transaction ended."""
    try:
        actor = caller.actor(session)
        _admin(actor)
        return actor
    finally:
        session.rollback()


async def _read_document(request: Request) -> tuple[Any, str]:
    """(the document, the file's name) from a JSON body or a multipart form's `file`."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        try:
            form = await request.form(max_files=1, max_fields=5)
        except HTTPException as exc:
            raise InvalidInput(f"the form could not be read ({exc.detail}); send the catalogue as one file named "
                               "`file`") from None
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("send the catalogue as a file named `file`", field="file")
        data = await upload.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise InvalidInput(f"the file is over {MAX_FILE_BYTES // 1_000_000} MB; a catalogue is far smaller",
                               field="file")
        name = upload.filename or "upload"
    elif ctype in ("application/json", ""):
        data, name = await request.body(), ""
    else:
        raise InvalidInput(f"unsupported content type {ctype!r}; send the file as application/json or as "
                           "multipart/form-data")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"the catalogue file is not JSON in UTF-8 ({exc})", code="invalid_catalogue_file",
                           field="file") from None
    refuse_unusable(document)
    return document, name


@router.post("/catalogue/import", response_model=CatalogueImportOut, openapi_extra=IMPORT_BODY,
             responses=errors.responses(invalid_input="not a catalogue file; or, applying, entries that cannot be "
                                                      "imported (`refused` names each with its reasons)"))
async def import_catalogue(
    request: Request, session: SessionDep, caller: CallerDep, source: SourceDep, unit: UnitDep,
    apply: Annotated[bool, Query(description="false (default): only a preview. true: add and change what the "
                                             "preview lists, all in one transaction, or nothing if any entry is "
                                             "refused")] = False,
) -> CatalogueImportOut:
    """Import a catalogue file (admin) as GET /catalogue/export gives it, as the JSON body or an uploaded
    `file`: classes are added or changed by code, and never deleted (a class the file leaves out stays)."""
    actor = await run_in_threadpool(_admin_and_let_go, caller, session)
    document, name = await _read_document(request)

    def work() -> rules.ImportPlan:
        if not apply:
            return catalogue.import_catalogue(session, document=document, apply=False, by=actor, source=source)
        with unit:
            return catalogue.import_catalogue(session, document=document, apply=True, by=actor, source=source,
                                              file_name=name)

    plan = await run_in_threadpool(work)
    return CatalogueImportOut(
        applied=apply,
        added=[AddedOut(code=code, values=values) for code, values in plan.added.items()],
        changed=[ChangedOut(code=code, changes=[FieldChangeOut(field=f, before=b, after=a)
                                                for f, (b, a) in diff.items()])
                 for code, diff in plan.changed.items()],
        unchanged=plan.unchanged,
        refused=[RefusedOut(entry=r.entry, code=r.code, reasons=r.reasons) for r in plan.refused],
        not_in_file=plan.not_in_file,
    )
