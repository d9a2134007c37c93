"""Every JSON answer of the API is described in the OpenAPI document (issue 9): a route that returns a bare
dict shows up there as an untyped body, so a client cannot know what it gets and a field can leak unseen."""

from __future__ import annotations

import pytest

from dispatch.policies import DEFAULT_LADDER
from tests.support.openapi import openapi_document
from web.api.departments import DepartmentOut
from web.api.map import MapAreasOut, MapTicketsOut

PRIMITIVES = {"string", "integer", "number", "boolean"}
CHECKED_PREFIXES = ("/api/", "/open/")


def typed(schema: dict) -> bool:
    """A $ref to a model, a typed primitive, an array of typed items, or a union of typed non-null options."""
    if "$ref" in schema or schema.get("type") in PRIMITIVES:
        return True
    if schema.get("type") == "array":
        return typed(schema.get("items") or {})
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        real = [o for o in options if o.get("type") != "null"]
        return bool(real) and all(typed(o) for o in real)
    return False


def untyped_answers(document: dict) -> set[tuple[str, str]]:
    """(method, path) of every route whose 2xx JSON answer lacks a typed schema."""
    found = set()
    for path, item in document["paths"].items():
        if path != "/healthz" and not path.startswith(CHECKED_PREFIXES):
            continue
        for method, operation in item.items():
            for status, response in operation.get("responses", {}).items():
                json_body = response.get("content", {}).get("application/json")
                if status.startswith("2") and json_body is not None and not typed(json_body.get("schema", {})):
                    found.add((method, path))
    return found


@pytest.fixture(scope="module")
def document() -> dict:
    return openapi_document()


def test_every_json_answer_has_a_typed_schema(document: dict) -> None:
    assert sorted(untyped_answers(document)) == [], "declare a response_model on these routes"


def test_health_check_is_described(document: dict) -> None:
    schema = document["paths"]["/healthz"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[-1]
    assert set(document["components"]["schemas"][name]["properties"]) == {"status", "database"}


def test_no_department_secret_in_any_answer(document: dict) -> None:
    """Webhook secrets are write-only: no answer's model carries one."""
    for name, schema in document["components"]["schemas"].items():
        assert "webhook_secret" not in schema.get("properties", {}), name


def test_the_pre_encoded_map_answers_are_what_their_models_say(api) -> None:  # noqa: ANN001
    """/map/cases and /map/cells skip validation for speed: their documented models must still fit."""
    api.report("worker_a")  # an open case on a running timer
    cases = api.get("dispatcher", "/api/v1/map/cases")
    assert set(cases.json()) == set(MapTicketsOut.model_fields)
    assert MapTicketsOut.model_validate_json(cases.content, strict=True).count == 1
    for query, fields in (("", set(MapAreasOut.model_fields) - {"stats"}), ("?stats=1", set(MapAreasOut.model_fields))):
        areas = api.get("dispatcher", f"/api/v1/map/cells{query}")
        assert set(areas.json()) == fields
        MapAreasOut.model_validate_json(areas.content, strict=True)


def test_answers_filtered_through_their_models_keep_what_is_in_force(api) -> None:  # noqa: ANN001
    assert api.get("dispatcher", "/api/v1/sla-policies").json()["defaults"]["ladder"] == DEFAULT_LADDER
    departments = api.get("worker_a", "/api/v1/departments").json()
    assert departments and all(set(d) == set(DepartmentOut.model_fields) for d in departments)


def test_the_checker_tells_typed_from_untyped() -> None:
    assert typed({"$ref": "#/components/schemas/X"})
    assert typed({"type": "array", "items": {"$ref": "#/components/schemas/X"}})
    assert typed({"anyOf": [{"$ref": "#/components/schemas/X"}, {"type": "null"}]})
    assert not typed({})
    assert not typed({"type": "object", "additionalProperties": True})
    assert not typed({"type": "array", "items": {"type": "object"}})
    assert not typed({"anyOf": [{"type": "null"}]})
