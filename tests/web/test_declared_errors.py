"""What the API answers when it refuses is what its OpenAPI document says (issue 11, found by the fuzz test in
test_fuzz_openapi.py): every error is {"error", "message", ...} and is declared with that body (FastAPI's own
422 model, {"detail": [...]}, was declared instead of what the service sends); the 401 of a protected route,
the 404 of a case that is not there and the refusals of an act are declared; a JSON body that is not text is a
422 like any unreadable body (it was a bare 400 "There was an error parsing the body")."""

from __future__ import annotations

import pytest

from tests.support.city import Api
from tests.support.openapi import openapi_document


@pytest.fixture(scope="module")
def document() -> dict:
    return openapi_document()


def declared(document: dict, method: str, path: str, status: int) -> dict | None:
    """The JSON schema an operation declares for a status (its $ref resolved), or None."""
    answer = document["paths"][path][method.lower()]["responses"].get(str(status))
    if answer is None:
        return None
    schema = answer["content"]["application/json"]["schema"]
    return document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]


def conforms(body: dict, schema: dict) -> bool:
    return isinstance(body, dict) and all(isinstance(body.get(name), str) for name in schema["required"])


def test_the_error_body_is_the_one_model_of_every_4xx(document: dict) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    error = document["components"]["schemas"]["ErrorOut"]
    assert set(error["required"]) == {"error", "message"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, answer in operation["responses"].items():
                if status.startswith("4"):
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorOut"), f"{method} {path} {status}"


def test_an_invalid_value_is_answered_as_declared(api: Api, document: dict) -> None:
    r = api.get("dispatcher", "/api/v1/tickets", params={"limit": "many"})
    assert r.status_code == 422
    assert conforms(r.json(), declared(document, "GET", "/api/v1/tickets", 422)) and "limit" in r.json()["message"]


def test_no_credentials_are_answered_as_declared(api: Api, document: dict) -> None:
    for method, path, url in (("GET", "/api/v1/tickets", "/api/v1/tickets"),
                              ("GET", "/api/v1/me", "/api/v1/me"),
                              ("POST", "/api/v1/reports", "/api/v1/reports")):
        r = api.client.request(method, url, json={} if method == "POST" else None)
        assert r.status_code == 401, url
        assert conforms(r.json(), declared(document, method, path, 401)), url
        assert declared(document, method, path, 403) is not None, url  # a browser session without its CSRF token


def test_a_case_that_is_not_there_or_not_yours_is_a_declared_404(api: Api, document: dict) -> None:
    tid = api.report("worker_a").json()["ticket"]["id"]
    for user, url in (("dispatcher", "/api/v1/tickets/2147483647"), ("water", f"/api/v1/tickets/{tid}"),
                      ("water", f"/api/v1/tickets/{tid}/photos/1")):
        r = api.get(user, url)
        assert r.status_code == 404, url
    assert declared(document, "GET", "/api/v1/tickets/{ticket_id}", 404) is not None
    assert declared(document, "GET", "/api/v1/tickets/{ticket_id}/photos/{photo_id}", 404) is not None


def test_the_refusals_of_an_act_are_declared(api: Api, document: dict) -> None:
    tid = api.report("worker_a").json()["ticket"]["id"]  # dispatched to SANITATION at once
    refused = {
        403: api.act("worker_a", tid, "approve_void"),  # a grid worker never may
        404: api.act("dispatcher", tid, "teleport"),  # no such act
        409: api.act("shift_lead", tid, "close"),  # not from this state
    }
    path = "/api/v1/tickets/{ticket_id}/actions/{action}"
    for status, r in refused.items():
        assert r.status_code == status, r.text
        assert conforms(r.json(), declared(document, "POST", path, status)), status
    assert refused[409].json()["status"] == "dispatched"


def test_a_json_body_that_is_not_text_is_a_422_not_a_400(api: Api, document: dict) -> None:
    not_text = b'{"username": "\xff\xfe\xfa", "password": "x"}'
    r = api.client.post("/api/v1/login", content=not_text, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text  # no sign-in needed to be told
    assert "UTF-8" in r.json()["message"]
    assert conforms(r.json(), declared(document, "POST", "/api/v1/login", 422))
    r = api.post("worker_a", "/api/v1/reports", content=not_text, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "UTF-8" in r.json()["message"]


def test_a_photo_is_declared_as_an_image(document: dict) -> None:
    content = document["paths"]["/api/v1/tickets/{ticket_id}/photos/{photo_id}"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"image/jpeg", "image/png", "image/webp"}
