from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.support.city import Api, City, build_city
from web.app import create_app
from web.settings import Settings


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
