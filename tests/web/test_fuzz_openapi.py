"""The API against its own OpenAPI document (issue 11): schemathesis generates requests for every operation,
valid and invalid, as an admin (every route is open to it), as a dispatcher (the centre's staff) and without
credentials, and every answer must be no server error, a status code the operation declares, with the
content type, headers and body it declares. Some requests are about things that exist (the city's cases,
their photos, the acts of the lifecycle, a place in the city), so that more than the 404s are checked.
The pages, the websocket and the documentation are not in the document (test_route_access.py says who
reaches them).

In-process (the ASGI app, no network) on the run's SQLite database only: what is checked here does not
depend on the backend, and the other web tests run on both. Bounded and reproducible for CI: a fixed seed,
derandomized generation, a few examples per operation and mode, no example database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.python import asgi
from sqlmodel import Session

from dispatch.lifecycle import ACTIONS
from tests.conftest import BACKENDS, Databases
from tests.support import database
from tests.support.city import COMMUNITY_A, Api, City, build_city, cell_centre
from tests.support.openapi import openapi_document
from tests.web.test_route_access import file_cases
from web.app import create_app
from web.settings import Settings

EXAMPLES = 10  # per operation and generation mode (valid, invalid), as the admin (every route open to it)
# as a dispatcher and without credentials: most answers are the same refusal (401, 403) whatever the request,
# so fewer examples find what there is to find there (a role's own scope on the routes it may use; the public
# routes) at a third of the cost
FEW_EXAMPLES = 3


def config(examples: int) -> schemathesis.Config:
    return schemathesis.Config.from_dict({
        "seed": 11,
        "generation": {"mode": "all", "max-examples": examples, "deterministic": True, "database": "none"},
        # the coverage phase sends hundreds of boundary cases per operation: more than every CI run can afford
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        "checks": {
            "enabled": False,
            "not_a_server_error": {"enabled": True},
            "status_code_conformance": {"enabled": True},
            "content_type_conformance": {"enabled": True},
            "response_headers_conformance": {"enabled": True},
            "response_schema_conformance": {"enabled": True},
        },
        "operations": [
            # schemathesis 4.32 rewrites the rows' tuple schema (prefixItems) into Draft 4's `items: [...]` and then
            # builds a Draft 2020-12 validator from it, which refuses the schema itself; test_openapi.py validates
            # this answer against its model instead
            {"include-path": "/api/v1/map/cases", "include-method": "GET",
             "checks": {"response_schema_conformance": {"enabled": False}}},
        ],
        })


schema = schemathesis.openapi.from_dict(openapi_document(), config=config(EXAMPLES))
schema_few = schemathesis.openapi.from_dict(openapi_document(), config=config(FEW_EXAMPLES))
EXISTING: dict[str, list] = {}  # path parameter → values that exist (filled by `served`)


def flatmap_path_parameters(context: schemathesis.HookContext, path_parameters: dict) -> st.SearchStrategy:
    """As generated, or with values that exist in place of those it has (a case, its photo, an act)."""
    known = {name: values for name, values in EXISTING.items() if name in (path_parameters or {}) and values}
    if not known:
        return st.just(path_parameters)
    real = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in known.items()})
    return st.one_of(st.just(path_parameters), real.map(lambda values: {**path_parameters, **values}))


def flatmap_body(context: schemathesis.HookContext, body: object) -> st.SearchStrategy:
    """A report as generated, or at a place in the city in a category of the catalogue."""
    if context.operation.path != "/api/v1/reports" or not isinstance(body, dict):
        return st.just(body)
    lng, lat = cell_centre(COMMUNITY_A, 2)
    placed = {**body, "lat": lat, "lng": lng, "category_code": "E0101", "description": body.get("description") or "x"}
    return st.sampled_from([body, placed])


for each in (schema, schema_few):
    each.hook(flatmap_path_parameters)
    each.hook(flatmap_body)


@pytest.fixture(scope="module")
def served(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, City]]:
    """One app over the test city for the whole module (its requests change the city as they go: reports,
    acts, calendars; that is what the database is for)."""
    if "sqlite" not in BACKENDS:
        pytest.skip("the fuzz test runs on SQLite")
    url = databases.url("sqlite")
    engine = databases.engine(url)
    database.empty(engine)
    database.forget_cached_reference_data()
    with Session(engine, expire_on_commit=False) as session:
        city = build_city(session)
    settings = Settings(database_url=url, media_dir=tmp_path_factory.mktemp("fuzz-media"), scheduler_enabled=False)
    with TestClient(create_app(settings)) as client:
        cases = file_cases(Api(client, city.tokens))
    EXISTING.update(ticket_id=[t for t, _ in cases.values()], photo_id=[p for _, p in cases.values()],
                    action=sorted(ACTIONS), code=["standard"])
    app = create_app(settings)
    yield app, city
    asgi.shutdown_lifespans()  # schemathesis started the app's lifespan with its first request
    EXISTING.clear()


def headers(city: City, who: str) -> dict[str, str]:
    """The caller's: a token (the admin's: every route is open to it; a dispatcher's: the centre's staff,
    refused the admin's routes), or nothing."""
    return {"Authorization": f"Bearer {city.tokens[who]}"} if who != "anonymous" else {}


SETTINGS = settings(deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])


@pytest.mark.parametrize("who", ["admin"])  # (also gives each operation's test its own id: pytest-xdist needs one)
@SETTINGS
@schema.parametrize()
def test_every_answer_is_what_the_document_says(case: schemathesis.Case, served: tuple[FastAPI, City],
                                                who: str) -> None:
    app, city = served
    case.call_and_validate(headers=headers(city, who), app=app)


@pytest.mark.parametrize("who", ["dispatcher", "anonymous"])
@SETTINGS
@schema_few.parametrize()
def test_every_answer_is_what_the_document_says_to_a_dispatcher_and_anonymously(
        case: schemathesis.Case, served: tuple[FastAPI, City], who: str) -> None:
    app, city = served
    case.call_and_validate(headers=headers(city, who), app=app)
