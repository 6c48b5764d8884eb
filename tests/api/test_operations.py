"""What operators and integrators rely on: health, request ids, logs, metrics, caching headers, CORS, 500s."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
from asgi_correlation_id import correlation_id
from fastapi.testclient import TestClient

from app.api.caching import catalogue_read
from app.config import Settings
from app.db.engine import make_engine
from app.logs import configure_logging
from app.main import create_app

SQUAT = {"type": "overhead_squat", "findings": [{"compensation": "knees_move_inward", "side": "bilateral"}]}


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready" and ready.json()["database"] == "ok"
    assert ready.json()["catalogue_revision"] >= 1


def test_readiness_fails_when_the_database_is_gone(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with TestClient(create_app(settings)) as client:
        missing = tmp_path_factory.mktemp("gone") / "missing" / "dir" / "ceplan.db"
        client.app.state.engine = make_engine(f"sqlite:///{missing}")  # type: ignore[attr-defined]
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["database"] == "unreachable"
        # Plans keep being served from the in-memory catalogue.
        assert client.post("/v1/plans", json={"assessments": [SQUAT]}).status_code == 200


def test_request_ids_are_echoed_or_generated(client: TestClient) -> None:
    given = client.get("/v1/muscles", headers={"X-Request-ID": "3f2b6c1e9d8a4f7e8c1b2a3d4e5f6a7b"})
    assert given.headers["X-Request-ID"] == "3f2b6c1e9d8a4f7e8c1b2a3d4e5f6a7b"
    generated = client.get("/v1/muscles").headers["X-Request-ID"]
    assert len(generated) >= 16 and generated != given.headers["X-Request-ID"]


def test_catalogue_answers_carry_validators_and_answer_304(client: TestClient) -> None:
    first = client.get("/v1/exercises", params={"limit": 5})
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public")
    assert first.headers["X-Catalogue-Version"]
    again = client.get("/v1/exercises", params={"limit": 5}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag
    stale = client.get("/v1/exercises", params={"limit": 5}, headers={"If-None-Match": 'W/"0-shared"'})
    assert stale.status_code == 200


def test_plans_say_which_catalogue_made_them(client: TestClient) -> None:
    answer = client.post("/v1/plans", json={"assessments": [SQUAT]})
    assert answer.headers["X-Catalogue-Version"] == client.get("/v1/muscles").headers["X-Catalogue-Version"]


def test_metrics_count_requests_by_route_and_plans(client: TestClient) -> None:
    client.post("/v1/plans", json={"assessments": [SQUAT]})
    client.post("/v1/plans", json={"assessments": [SQUAT], "screening": {"current_pain": True}})
    text = client.get("/metrics").text
    assert 'http_requests_total{handler="/v1/plans",method="POST",status="2xx"}' in text
    assert "http_request_duration_seconds_bucket" in text
    assert 'ceplan_plans_generated_total{status="plan"}' in text
    assert 'ceplan_plans_generated_total{status="referral"}' in text


def test_cors_allows_only_the_configured_origins(settings: Settings) -> None:
    allowed = settings.model_copy(update={"cors_origins": ["https://app.example"]})
    with TestClient(create_app(allowed)) as client:
        ok = client.options(
            "/v1/plans", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
        )
        assert ok.headers["access-control-allow-origin"] == "https://app.example"
        other = client.get("/v1/muscles", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


@pytest.fixture
def crashing_client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)

    def broken() -> None:
        raise RuntimeError("SELECT secret FROM internals")

    app.dependency_overrides[catalogue_read] = broken
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_unexpected_errors_are_500_problems_without_internals(
    crashing_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        answer = crashing_client.get("/v1/muscles", headers={"X-Request-ID": "0123456789abcdef0123456789abcdef"})
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "internal_error"
    assert "secret" not in answer.text and "Traceback" not in answer.text
    logged = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert logged and any(getattr(r, "correlation_id", None) == "0123456789abcdef0123456789abcdef" for r in logged)


def test_logs_are_json_lines_with_the_request_id() -> None:
    configure_logging("INFO")
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    handler.setStream(stream)
    token = correlation_id.set("fedcba9876543210fedcba9876543210")
    try:
        logging.getLogger("ceplan").warning("plan served", extra={"plan_id": "abc"})
    finally:
        correlation_id.reset(token)
    logging.getLogger("ceplan").info("outside a request")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "plan served" and first["level"] == "WARNING" and "time" in first
    assert first["request_id"] == "fedcba9876543210fedcba9876543210" and first["plan_id"] == "abc"
    assert second["request_id"] == "-"


@pytest.mark.parametrize("access_log", [False, True])
def test_the_access_log_is_written_only_when_asked_for(access_log: bool) -> None:
    configure_logging("INFO", access_log=access_log)
    # uvicorn writes a line per request exactly when its access logger has somewhere to send it.
    assert logging.getLogger("uvicorn.access").hasHandlers() is access_log
    assert logging.getLogger("uvicorn.error").hasHandlers()
