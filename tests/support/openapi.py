"""The app's OpenAPI document, built without a database (for the tests that read or fuzz it)."""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path

from web.app import create_app
from web.settings import Settings


def openapi_document() -> dict:
    """A fresh copy each call (a caller may change it); built once per process (2–3 s: the fuzz module's
    collection in every pytest-xdist worker asks for it, then the tests that read it)."""
    return json.loads(_document_json())


@cache
def _document_json() -> str:
    root = Path(tempfile.mkdtemp(prefix="gridops-openapi-"))
    settings = Settings(database_url=f"sqlite:///{root / 'unused.db'}", media_dir=root / "media",
                        scheduler_enabled=False)
    return json.dumps(create_app(settings, check_migrations=False).openapi())
