from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.support.city import Api, City, build_city
from web.app import create_app
from web.settings import Settings, get_settings

OS_USER = "ops-wang"


@pytest.fixture
def city(session) -> City:  # noqa: ANN001
    return build_city(session)


@pytest.fixture
def settings(database_url, media_dir) -> Settings:  # noqa: ANN001
    return Settings(database_url=database_url, media_dir=media_dir, max_photo_bytes=300_000, scheduler_enabled=False)


@pytest.fixture
def api(engine, city, settings) -> Iterator[Api]:  # noqa: ANN001
    with TestClient(create_app(settings)) as client:
        yield Api(client, city.tokens)


@pytest.fixture
def gridops(monkeypatch: pytest.MonkeyPatch, database_url: str):  # noqa: ANN201
    """Run ``gridops …`` against the test database as the operating-system user ops-wang."""
    from typer.testing import CliRunner

    from web.cli import support
    from web.cli.main import app as cli

    monkeypatch.setenv("LOGNAME", OS_USER)  # what getpass.getuser() reads first
    monkeypatch.setattr(support.console, "width", 250)  # a table row per line

    def run(*args: str, input: str | None = None):  # noqa: ANN202, A002
        monkeypatch.setenv("GRIDOPS_DATABASE_URL", database_url)
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(cli, [str(a) for a in args], input=input)
        finally:
            get_settings.cache_clear()

    return run
