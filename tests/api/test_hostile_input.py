"""Malformed, oversized and hostile requests get clear 4xx problems; every answer carries security headers."""

import copy
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.db.engine import make_engine
from app.main import create_app
from app.schemas.catalogue import EXERCISE_EXAMPLE
from app.schemas.templates import EXAMPLE_MODES
from app.services.accounts import create_key

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
    _refused(response, "screening.pain_locations.0", "U+0000")


def _refused(response: Any, field: str, message: str) -> None:
    _problem(response, 422, "validation_error")
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field], errors
    assert message in errors[0]["message"], errors


@pytest.fixture(scope="module")
def write_key(writable_settings: Settings) -> str:
    engine = make_engine(writable_settings.database_url)
    key = create_key(engine, "hostile").key
    engine.dispose()
    return key


def _exercise(slug: str, **changes: Any) -> dict[str, Any]:
    return {**EXERCISE_EXAMPLE, "slug": slug, **changes}


def _template_draft(**warm_up: Any) -> dict[str, Any]:
    modes = copy.deepcopy(EXAMPLE_MODES)
    modes["warm_up"] = {**modes["warm_up"], **warm_up}  # type: ignore[dict-item]
    return {"modes": modes}


OVERLONG_WRITES = [
    ("/v1/exercises", _exercise("long_1", instructions=["x" * 501]), "instructions.0", "at most 500 characters"),
    ("/v1/exercises", _exercise("long_2", instructions=["Stand."] * 21), "instructions", "at most 20 items"),
    ("/v1/exercises", _exercise("long_3", cues=["x" * 201]), "cues.0", "at most 200 characters"),
    ("/v1/exercises", _exercise("long_4", name="x" * 121), "name", "at most 120 characters"),
    ("/v1/exercises", _exercise("long_5", description="x" * 1001), "description", "at most 1000 characters"),
    ("/v1/exercises", _exercise("long_6", targets=["x" * 81]), "targets.0", "at most 80 characters"),
    ("/v1/plan-templates", {"slug": "long_t", "title": "x" * 121}, "title", "at most 120 characters"),
    ("/v1/plan-templates", {"slug": "long_t", "title": "T", "description": "x" * 1001}, "description", "at most 1000"),
    (
        "/v1/plan-templates/hostile_t/versions",
        _template_draft(frequency_per_week="x" * 61),
        "modes.warm_up.frequency_per_week",
        "at most 60 characters",
    ),
    (
        "/v1/plans",
        {"assessments": [SQUAT], "screening": {"pain_locations": ["x" * 101]}},
        "screening.pain_locations.0",
        "at most 100 characters",
    ),
    (
        "/v1/plans",
        {"assessments": [SQUAT], "screening": {"pain_locations": ["knee"] * 11}},
        "screening.pain_locations",
        "at most 10 items",
    ),
    (
        "/v1/analyses",
        {"assessments": [SQUAT], "screening": {"conditions": ["x" * 81]}},
        "screening.conditions.0",
        "at most 80 characters",
    ),
]


@pytest.mark.parametrize(("path", "body", "field", "message"), OVERLONG_WRITES)
def test_every_write_refuses_text_and_lists_over_their_documented_maximum(
    writable_client: TestClient, write_key: str, path: str, body: dict[str, Any], field: str, message: str
) -> None:
    _refused(writable_client.post(path, json=body, headers={"X-API-Key": write_key}), field, message)


def test_an_exercise_at_every_maximum_is_accepted(writable_client: TestClient, write_key: str) -> None:
    longest = _exercise(
        "hostile_longest",
        name="N" * 120,
        description="D" * 1000,
        instructions=["S" * 500] * 20,
        cues=["C" * 200] * 10,
    )
    created = writable_client.post("/v1/exercises", json=longest, headers={"X-API-Key": write_key})
    assert created.status_code == 201, created.text
    assert created.json()["instructions"] == ["S" * 500] * 20


HIDDEN = [
    ("\n", "U+000A"),
    ("\t", "U+0009"),
    ("\x1b[2J", "U+001B"),
    ("\x85", "U+0085"),
    ("\u2028", "U+2028"),
    ("\u202e", "U+202E"),
    ("\u2066", "U+2066"),
]


@pytest.mark.parametrize(("character", "named"), HIDDEN, ids=[named for _, named in HIDDEN])
def test_control_and_bidi_override_characters_are_refused_naming_the_field(
    writable_client: TestClient, write_key: str, character: str, named: str
) -> None:
    auth = {"X-API-Key": write_key}
    writes = [
        ("/v1/exercises", _exercise("hidden_ex", name=f"Bridge{character}"), "name"),
        ("/v1/exercises", _exercise("hidden_ex", instructions=["Lie down.", f"Lift{character}"]), "instructions.1"),
        ("/v1/exercises", _exercise("hidden_ex", cues=[f"Ribs{character}down"]), "cues.0"),
        ("/v1/plan-templates", {"slug": "hidden_t", "title": f"Acme{character}"}, "title"),
        (
            "/v1/plans",
            {"assessments": [SQUAT], "screening": {"pain_locations": [f"knee{character}"]}},
            "screening.pain_locations.0",
        ),
    ]
    for path, body, field in writes:
        _refused(writable_client.post(path, json=body, headers=auth), field, named)
    if character != "\n":  # a description may hold paragraphs
        body = {"slug": "hidden_t", "title": "T", "description": f"One.{character}Two."}
        _refused(writable_client.post("/v1/plan-templates", json=body, headers=auth), "description", named)


def test_descriptions_may_hold_paragraphs_and_names_may_hold_direction_marks(
    writable_client: TestClient, write_key: str
) -> None:
    body = _exercise("marked_ex", name="\u05d2\u05e9\u05e8 \u200f2", description="First.\n\nSecond.")
    created = writable_client.post("/v1/exercises", json=body, headers={"X-API-Key": write_key})
    assert created.status_code == 201, created.text
    assert created.json()["description"] == "First.\n\nSecond."


def test_a_batch_whose_answer_would_pass_the_cap_is_refused_saying_how_many_fit(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        one_plan = len(client.post("/v1/plans", json={"assessments": [SQUAT]}).content)
    capped = settings.model_copy(update={"max_batch_answer_bytes": one_plan * 5 // 2})
    with TestClient(create_app(capped)) as client:
        two = client.post("/v1/plans/batch", json={"requests": [{"assessments": [SQUAT]}] * 2})
        assert two.status_code == 200 and [r["status"] for r in two.json()["results"]] == [200, 200]
        three = client.post("/v1/plans/batch", json={"requests": [{"assessments": [SQUAT]}] * 3})
        _problem(three, 422, "batch_answer_too_large")
        assert three.json()["errors"] == [
            {"field": "requests", "message": "send at most 2 requests like these per batch"}
        ]
    alone = settings.model_copy(update={"max_batch_answer_bytes": one_plan - 1})
    with TestClient(create_app(alone)) as client:
        single = client.post("/v1/plans/batch", json={"requests": [{"assessments": [SQUAT]}]})
        _problem(single, 422, "batch_answer_too_large")
        assert "on its own to POST /v1/plans" in single.json()["detail"]


LONG_ID = "q" * 80
UNKNOWN_IDS = [
    ("POST", "/v1/plans", {"assessments": [SQUAT], "screening": {"conditions": [LONG_ID]}}, "unknown_condition"),
    ("POST", "/v1/plans", {"assessments": [SQUAT], "preferences": {"equipment": [LONG_ID]}}, "unknown_equipment"),
    ("POST", "/v1/analyses", {"assessments": [SQUAT], "ruleset": LONG_ID}, "unknown_ruleset"),
    (
        "POST",
        "/v1/plans",
        {"assessments": [{"type": "overhead_squat", "findings": [{"compensation": LONG_ID}]}]},
        "unknown_compensation",
    ),
    ("POST", "/v1/exercises", _exercise("echo_ex", targets=[LONG_ID]), "invalid_exercise"),
    ("POST", "/v1/exercises", _exercise("echo_ex", regression=LONG_ID), "invalid_exercise"),
    ("GET", f"/v1/exercises?muscle={LONG_ID}", None, "invalid_filter"),
    ("GET", f"/v1/exercises/{LONG_ID}", None, "not_found"),
]


@pytest.mark.parametrize(("method", "path", "body", "code"), UNKNOWN_IDS)
def test_an_unknown_value_is_quoted_once_and_shortened(
    writable_client: TestClient, write_key: str, method: str, path: str, body: Any, code: str
) -> None:
    answer = writable_client.request(method, path, json=body, headers={"X-API-Key": write_key})
    assert answer.status_code in (404, 422) and answer.json()["code"] == code, answer.text
    assert answer.text.count("q" * 64 + "\u2026") == 1, answer.text
    assert "q" * 65 not in answer.text


def test_pain_locations_at_their_maximum_reach_the_referral_once(client: TestClient) -> None:
    places = [f"{side} {'x' * 90}"[:100] for side in "abcdefghij"]
    answer = client.post(
        "/v1/plans", json={"assessments": [SQUAT], "screening": {"current_pain": True, "pain_locations": places}}
    )
    assert answer.status_code == 200 and answer.json()["status"] == "referral"
    assert [answer.text.count(place) for place in places] == [1] * 10  # in the reason the clinician reads


@pytest.mark.parametrize("version", ["1_0", "+1", " 1", "1.0", "1e1", "\u0661"])
def test_a_version_in_the_path_is_plain_digits_or_422(client: TestClient, version: str) -> None:
    answer = client.get(f"/v1/plan-templates/nasm_cex_standard/versions/{quote(version)}")
    _refused(answer, "path.version", "plain decimal digits")
    assert client.get("/v1/plan-templates/nasm_cex_standard/versions/1").status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/v1/plan-templates/nasm_cex_standard/diff?from=1&from=2&to=2", "query.from"),
        ("/v1/plan-templates/nasm_cex_standard/diff?from=1&to=2&to=1", "query.to"),
        ("/v1/plan-templates/nasm_cex_standard/diff?from=1_0&to=2", "query.from"),
        ("/v1/plan-templates/nasm_cex_standard/diff?from=1&to=2&form=1", "query.form"),
        ("/v1/exercises?limit=1_0", "query.limit"),
        ("/v1/exercises?level=+1", "query.level"),
        ("/v1/exercises?phase=inhibit&phase=activate", "query.phase"),
        ("/v1/exercises?muscle=gluteus_medius&muscle=adductors", "query.muscle"),
        ("/v1/exercises?q=a&q=b", "query.q"),
        ("/v1/exercises?offset=0&offset=50", "query.offset"),
    ],
)
def test_a_single_valued_query_parameter_is_given_once_in_plain_digits(
    client: TestClient, query: str, field: str
) -> None:
    _refused(client.get(query), field, "")


def test_the_diff_still_compares_two_versions(client: TestClient) -> None:
    diff = client.get("/v1/plan-templates/extended_holds/diff?from=1&to=1")
    assert diff.status_code == 200, diff.text
    assert diff.json()["from_version"] == 1 and diff.json()["changes"] == []
