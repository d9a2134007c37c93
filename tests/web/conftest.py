from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.city import Api, City, build_city
from web.app import create_app
from web.settings import Settings, get_settings
from web.state import AppState

OS_USER = "ops-wang"


@pytest.fixture
def city(session) -> City:  # noqa: ANN001
    return build_city(session)


@pytest.fixture
def settings(database_url, media_dir) -> Settings:  # noqa: ANN001
    return Settings(database_url=database_url, media_dir=media_dir, max_photo_bytes=300_000, scheduler_enabled=False)


_APPS: dict[str, FastAPI] = {}


def app_for(settings: Settings) -> FastAPI:
    """One app per settings (the media directory aside) for the worker's run. FastAPI works out each route's
    dependencies on the first request an app serves (some 100–300 ms for this app's routes), which every test
    with an app of its own paid again: a fifth of the API tests' time. A test still starts from fresh state —
    caches, limits, throttles and its own media directory (``AppState.build``) — and the lifespan (live hub)
    runs again for its client."""
    key = settings.model_dump_json(exclude={"media_dir"})
    app = _APPS.get(key)
    if app is None:
        app = _APPS[key] = create_app(settings)
    else:
        app.state.gridops = AppState.build(settings, app.state.gridops.engine)
    return app


@pytest.fixture
def api(engine, city, settings) -> Iterator[Api]:  # noqa: ANN001
    with TestClient(app_for(settings)) as client:
        yield Api(client, city.tokens)


@pytest.fixture
def gridops(monkeypatch: pytest.MonkeyPatch, database_url: str):  # noqa: ANN201
    """Run ``gridops …`` against the test database as the operating-system user ops-wang."""
    from tests.support.cli import invoke
    from web.cli import support

    monkeypatch.setenv("LOGNAME", OS_USER)  # what getpass.getuser() reads first
    monkeypatch.setattr(support.console, "width", 250)  # a table row per line

    def run(*args: str, input: str | None = None):  # noqa: ANN202, A002
        monkeypatch.setenv("GRIDOPS_DATABASE_URL", database_url)
        get_settings.cache_clear()
        try:
            return invoke(args, input=input)
        finally:
            get_settings.cache_clear()

    return run
