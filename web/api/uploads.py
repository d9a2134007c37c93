"""Request bodies that are JSON or multipart (fields + photos), read with limits."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from dispatch.photos import PhotoTooLarge, ProcessedImage, process_image
from grid.errors import InvalidInput
from web.api.guard import refuse_unusable
from web.settings import Settings

MULTIPART_DOC = {
    "requestBody": {
        "content": {
            "application/json": {"schema": {}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "description": "the same fields as form fields, plus up to 6 files named `photos`",
                    "properties": {"photos": {"type": "array", "items": {"type": "string", "format": "binary"}}},
                }
            },
        },
        "required": True,
    }
}


def openapi_body(model: type[BaseModel]) -> dict:
    """Document a body that is JSON (the model) or multipart (the model's fields plus photos)."""
    doc = json.loads(json.dumps(MULTIPART_DOC))
    schema = model.model_json_schema()
    doc["requestBody"]["content"]["application/json"]["schema"] = schema
    form = doc["requestBody"]["content"]["multipart/form-data"]["schema"]
    form["properties"] = {**schema.get("properties", {}), **form["properties"]}
    return doc


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def is_form(request: Request) -> bool:
    """A multipart form (fields and photos) rather than JSON."""
    return _content_type(request) == "multipart/form-data"


async def read_body(request: Request, settings: Settings) -> tuple[dict[str, Any], list[ProcessedImage]]:
    """Fields and validated photos. The body's size and a JSON body's values were checked before any route
    read it (``web.api.guard.BodyGuard``); a form's fields and its JSON payload are checked here."""
    ctype = _content_type(request)
    if ctype == "multipart/form-data":
        try:
            form = await request.form(max_files=settings.max_photos + 1, max_fields=50)
        except HTTPException as exc:  # starlette's limits: too many files or fields, a malformed body
            raise InvalidInput(f"the form could not be read ({exc.detail}); send at most {settings.max_photos} "
                               "photos as `photos` and the report's fields") from None
        fields: dict[str, Any] = {}
        uploads: list[UploadFile] = []
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                if key != "photos":
                    raise InvalidInput(f"unexpected file field {key!r}; send photos as `photos`")
                uploads.append(value)
            else:
                fields[key] = value
        if len(uploads) > settings.max_photos:
            raise InvalidInput(f"{len(uploads)} photos sent; at most {settings.max_photos} are accepted",
                               code="too_many_photos", field="photos", count=len(uploads), limit=settings.max_photos)
        raw: list[tuple[str, bytes]] = []
        for upload in uploads:
            data = await upload.read(settings.max_photo_bytes + 1)
            name = upload.filename or "photo"
            if len(data) > settings.max_photo_bytes:
                raise PhotoTooLarge(f"{name} is larger than {settings.max_photo_bytes / 1e6:.1f} MB",
                                    limit_bytes=settings.max_photo_bytes, name=name)
            raw.append((name, data))
        photos = await run_in_threadpool(
            lambda: [process_image(d, name=n, max_bytes=settings.max_photo_bytes) for n, d in raw]
        )
        if isinstance(fields.get("payload"), str):
            try:
                fields["payload"] = json.loads(fields["payload"] or "{}")
            except json.JSONDecodeError:
                raise InvalidInput("payload must be a JSON object", field="payload") from None
        refuse_unusable(fields)
        return fields, photos
    if ctype in ("application/json", ""):
        body = await request.body()
        try:
            data = json.loads(body or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise InvalidInput("the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise InvalidInput("the body must be a JSON object")
        return data, []
    raise InvalidInput(f"unsupported content type {ctype!r}; send application/json or multipart/form-data")


def validated(model: type[BaseModel], fields: dict[str, Any]) -> Any:  # noqa: ANN401
    """The fields read from a body as the route's model, or a 422 naming the first field that is wrong."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{where}: {first['msg']}", field=where) from None
