"""The OpenAPI contract: committed, complete, with examples that really work."""

from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient
from referencing import Registry, Resource

from app.api.contract import render_openapi
from app.config import Settings
from app.db.engine import make_engine
from app.services.accounts import create_key

SPEC_FILE = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


@pytest.fixture(scope="module")
def spec(client: TestClient) -> dict[str, Any]:
    served: dict[str, Any] = client.get("/openapi.json").json()
    return served


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def test_the_committed_spec_is_what_the_app_serves() -> None:
    assert SPEC_FILE.read_text(encoding="utf-8") == render_openapi(), "run `ceplan openapi` and commit the result"


def test_every_operation_is_documented(spec: dict[str, Any]) -> None:
    operation_ids = []
    for method, path, op in _operations(spec):
        where = f"{method.upper()} {path}"
        assert op.get("summary") and op.get("description"), where
        assert op.get("tags"), where
        operation_ids.append(op["operationId"])
        if path.startswith("/v1"):
            assert "500" in op["responses"], where
            if op.get("requestBody") or op.get("parameters"):
                assert "422" in op["responses"], where
            for status, response in op["responses"].items():
                if status.startswith(("4", "5")):
                    assert "application/problem+json" in response.get("content", {}), f"{where} {status}"
    assert len(operation_ids) == len(set(operation_ids))


def _validator(spec: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """A JSON Schema validator for one documented body, resolving `#/components/...` in the spec itself."""
    document = {**spec, "$schema": "https://json-schema.org/draft/2020-12/schema"}
    registry: Registry[Any] = Registry().with_resource("urn:spec", Resource.from_contents(document))
    return jsonschema.Draft202012Validator(_rebase(schema), registry=registry)


def _rebase(node: Any) -> Any:
    """Point `#/components/...` references at the registered spec document."""
    if isinstance(node, dict):
        return {k: (f"urn:spec{v}" if k == "$ref" and v.startswith("#/") else _rebase(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_rebase(item) for item in node]
    return node


def _response_schema(spec: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    response = spec["paths"][path][method]["responses"][str(status)]
    content = response["content"]
    schema: dict[str, Any] = (content.get("application/json") or content["application/problem+json"])["schema"]
    return schema


def _request_examples(spec: dict[str, Any], path: str, method: str) -> list[Any]:
    body = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    target = body
    if "$ref" in body:
        target = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    examples: list[Any] = target.get("examples", [])
    assert examples, f"{method.upper()} {path} documents no request example"
    return examples


@pytest.fixture(scope="module")
def write_key(writable_settings: Settings) -> str:
    engine = make_engine(writable_settings.database_url)
    key = create_key(engine, "examples").key
    engine.dispose()
    return key


def test_every_request_example_works_and_its_answer_matches_the_schema(
    spec: dict[str, Any], writable_client: TestClient, write_key: str
) -> None:
    auth = {"X-API-Key": write_key}
    calls: list[tuple[str, str, str, dict[str, str]]] = [
        ("post", "/v1/plans", "/v1/plans", {}),
        ("post", "/v1/plans/batch", "/v1/plans/batch", {}),
        ("post", "/v1/analyses", "/v1/analyses", {}),
        ("post", "/v1/exercises", "/v1/exercises", auth),
        ("post", "/v1/plan-templates", "/v1/plan-templates", auth),
        ("post", "/v1/plan-templates/{slug}/versions", "/v1/plan-templates/acme_warm_up/versions", auth),
    ]
    documented = {(m, p) for m, p, op in _operations(spec) if op.get("requestBody")}
    covered = {(m, p) for m, p, _, _ in calls} | {("put", "/v1/plan-templates/{slug}/versions/{version}")}
    assert documented == covered
    for method, template_path, url, headers in calls:
        for example in _request_examples(spec, template_path, method):
            response = writable_client.request(method.upper(), url, json=example, headers=headers)
            assert response.status_code in (200, 201), (url, example, response.text)
            _validator(spec, _response_schema(spec, template_path, method, response.status_code)).validate(
                response.json()
            )
    etag = writable_client.get("/v1/plan-templates/acme_warm_up/versions/1", headers=auth).headers["ETag"]
    for example in _request_examples(spec, "/v1/plan-templates/{slug}/versions/{version}", "put"):
        response = writable_client.put(
            "/v1/plan-templates/acme_warm_up/versions/1", json=example, headers={**auth, "If-Match": etag}
        )
        assert response.status_code == 200, response.text
        etag = response.headers["ETag"]


def test_error_answers_match_the_documented_problem_schema(spec: dict[str, Any], client: TestClient) -> None:
    bad = client.post("/v1/plans", json={"assessments": []})
    _validator(spec, _response_schema(spec, "/v1/plans", "post", 422)).validate(bad.json())
    missing = client.get("/v1/muscles/nope")
    _validator(spec, _response_schema(spec, "/v1/muscles/{slug}", "get", 404)).validate(missing.json())


def test_the_plan_answer_matches_its_schema(spec: dict[str, Any], client: TestClient) -> None:
    for example in _request_examples(spec, "/v1/plans", "post"):
        answer = client.post("/v1/plans", json=example).json()
        _validator(spec, _response_schema(spec, "/v1/plans", "post", 200)).validate(answer)


def _unbounded(spec: dict[str, Any], schema: dict[str, Any], where: str, seen: frozenset[str]) -> list[str]:
    """Every place in an input schema a caller could fill without limit (a string without maxLength, an array
    without maxItems) and, in a body, a string without the printable-text pattern."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        target = spec["components"]["schemas"][name]
        return [] if name in seen else _unbounded(spec, target, where, seen | {name})
    found = [
        problem
        for key in ("anyOf", "oneOf", "allOf")
        for option in schema.get(key, [])
        for problem in _unbounded(spec, option, where, seen)
    ]
    if schema.get("type") == "string" and "enum" not in schema and "const" not in schema:
        needed = ("maxLength", "pattern") if " body" in where else ("maxLength",)
        found += [f"{where}: no {key}" for key in needed if key not in schema]
    if schema.get("type") == "array":
        found += [] if "maxItems" in schema else [f"{where}: no maxItems"]
        found += _unbounded(spec, schema.get("items", {}), f"{where}[]", seen)
    for name, field in schema.get("properties", {}).items():
        found += _unbounded(spec, field, f"{where}.{name}", seen)
    return found


def test_every_string_and_list_a_request_may_send_has_a_documented_maximum(spec: dict[str, Any]) -> None:
    unbounded = []
    for method, path, op in _operations(spec):
        where = f"{method.upper()} {path}"
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if body:
            unbounded += _unbounded(spec, body, f"{where} body", frozenset())
        for parameter in op.get("parameters", []):
            if parameter["in"] in ("query", "path"):
                unbounded += _unbounded(spec, parameter["schema"], f"{where} {parameter['name']}", frozenset())
    assert unbounded == [], "\n".join(unbounded)
