"""Malformed, oversized and hostile requests get clear 4xx problems; every answer carries security headers."""

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.db.engine import make_engine
from app.main import create_app

PROBLEM = "application/problem+json"
SQUAT = {"type": "overhead_squat", "findings": [{"compensation": "knees_move_inward", "side": "bilateral"}]}
HOSTILE = [
    "' OR 1=1 --",
    '"; DROP TABLE exercise; --',
    "../../etc/passwd",
    "%00",
    "\x00",
    "<script>alert(1)</script>",
    "${jndi:ldap://x}",
    "🏋️" * 50,
    "a" * 5000,
    "\\",
    "%",
    "_",
    "glute%",
]


def _problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == code


def test_a_body_over_the_limit_is_413(settings: Settings) -> None:
    with TestClient(create_app(settings.model_copy(update={"max_body_bytes": 2048}))) as client:
        big = {"assessments": [SQUAT], "screening": {"pain_locations": ["x" * 100] * 10}, "pad": "y" * 4000}
        _problem(client.post("/v1/plans", json=big), 413, "payload_too_large")
        assert client.post("/v1/plans", json={"assessments": [SQUAT]}).status_code == 200


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_that_is_not_json_is_415(client: TestClient, content_type: str) -> None:
    response = client.post("/v1/plans", content=b'{"assessments": []}', headers={"Content-Type": content_type})
    _problem(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[]",
        b"null",
        b'"text"',
        b"\xff\xfe\x00{",
        '{"assessments": ["\xe9"]}'.encode("latin-1"),
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    ],
    ids=["truncated", "array", "null", "string", "bad-bytes", "latin-1", "deep-array", "deep-object"],
)
def test_malformed_json_is_a_4xx_problem_never_a_500(client: TestClient, body: bytes) -> None:
    response = client.post("/v1/plans", content=body, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] in ("validation_error", "json_too_deep", "invalid_body")


def test_list_limits_are_422_naming_the_limit(client: TestClient) -> None:
    findings = [{"compensation": "knees_move_inward", "side": "left"}] * 31
    response = client.post("/v1/plans", json={"assessments": [{"type": "overhead_squat", "findings": findings}]})
    _problem(response, 422, "validation_error")
    assert "at most 30" in response.json()["detail"]


@pytest.mark.parametrize("value", HOSTILE)
def test_search_and_path_parameters_are_safe_against_hostile_strings(client: TestClient, value: str) -> None:
    search = client.get("/v1/exercises", params={"q": value[:100], "limit": 200})
    assert search.status_code == 200
    needle = value[:100].casefold().strip()
    for item in search.json()["items"]:  # a literal match, never a wildcard
        text = " ".join([item["slug"], item["name"], item["description"], *item["cues"]]).casefold()
        assert needle in text
    for path in ("/v1/exercises/{}", "/v1/muscles/{}", "/v1/rulesets/{}", "/v1/plan-templates/{}"):
        answer = client.get(path.format(quote(value, safe="")))
        assert answer.status_code in (404, 422), (path, answer.text)
        assert "Traceback" not in answer.text and "SELECT" not in answer.text.upper().replace("SELECTS", "")
    tables = client.get("/v1/exercises", params={"limit": 1}).json()["total"]
    assert tables > 150  # nothing was dropped


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/muscles"),
        ("GET", "/v1/nowhere"),
        ("POST", "/v1/plans"),
        ("GET", "/healthz"),
        ("GET", "/docs"),
        ("GET", "/openapi.json"),
    ],
)
def test_every_answer_carries_security_headers(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, json={} if method == "POST" else None)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "server" not in response.headers or response.headers["server"] == ""


@pytest.fixture
def limited_client(writable_settings: Settings) -> Iterator[TestClient]:
    strict = writable_settings.model_copy(update={"auth_failures_per_minute": 3})
    with TestClient(create_app(strict)) as client:
        yield client


def test_failed_key_attempts_are_rate_limited_per_client(limited_client: TestClient) -> None:
    for attempt in range(3):
        answer = limited_client.get("/v1/plan-templates", headers={"X-API-Key": f"cep_guess{attempt}_nope"})
        _problem(answer, 401, "unauthorized")
    blocked = limited_client.get("/v1/plan-templates", headers={"X-API-Key": "cep_guess9_nope"})
    _problem(blocked, 429, "too_many_requests")
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    # Requests without a key are not throttled by someone else's guessing.
    assert limited_client.get("/v1/plan-templates").status_code == 200


def test_writes_get_503_with_retry_after_while_the_database_is_down(writable_settings: Settings) -> None:
    with TestClient(create_app(writable_settings)) as client:
        from app.services.accounts import create_key

        engine = make_engine(writable_settings.database_url)
        key = create_key(engine, "downtime").key
        engine.dispose()
        client.app.state.engine = make_engine("sqlite:////nonexistent/dir/ceplan.db")  # type: ignore[attr-defined]
        write = client.post("/v1/plan-templates", json={"slug": "down_t", "title": "T"}, headers={"X-API-Key": key})
        _problem(write, 503, "database_unavailable")
        assert write.headers["Retry-After"] == "5"
        assert client.post("/v1/plans", json={"assessments": [SQUAT]}).status_code == 200
        assert client.get("/v1/exercises", params={"limit": 2}).status_code == 200


@pytest.mark.parametrize("storage", ["memory://", "redis://127.0.0.1:6379"])
def test_the_failure_counter_works_in_memory_and_in_redis_for_several_workers(storage: str) -> None:
    import asyncio
    import uuid

    from app.api.ratelimit import AuthFailureLimiter

    async def count() -> None:
        first, second = AuthFailureLimiter(2, storage), AuthFailureLimiter(2, storage)
        client = f"test-{uuid.uuid4()}"
        assert not (await first.failed(client, None)).refused
        shared = storage.startswith("redis")
        # With Redis two workers share the count; in memory each worker counts its own.
        assert (await second.failed(client, None)).refused is False
        assert (await first.failed(client, None)).refused == shared
        assert (await first.failed(client, None)).refused

    asyncio.run(count())


def test_nul_characters_in_text_are_422_on_every_database(client: TestClient) -> None:
    body = {"assessments": [SQUAT], "screening": {"pain_locations": ["left\x00knee"]}}
    response = client.post("/v1/plans", json=body)
    _problem(response, 422, "validation_error")
    assert response.json()["errors"][0]["field"] == "screening.pain_locations"
