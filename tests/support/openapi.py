"""The app's OpenAPI document, built without a database (for the tests that read or fuzz it)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from web.app import create_app
from web.settings import Settings


def openapi_document() -> dict:
    root = Path(tempfile.mkdtemp(prefix="gridops-openapi-"))
    settings = Settings(database_url=f"sqlite:///{root / 'unused.db'}", media_dir=root / "media",
                        scheduler_enabled=False)
    return json.loads(json.dumps(create_app(settings, check_migrations=False).openapi()))
