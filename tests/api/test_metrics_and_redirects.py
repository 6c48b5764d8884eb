"""/metrics stays small and private whatever paths clients send; redirects never point where the Host header says."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.config import Settings
from app.main import create_app

TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def fresh(settings: Settings) -> Iterator[TestClient]:
    """An app of its own: its metrics registry has seen only this test's requests."""
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def client_with(settings: Settings, **changes: object) -> TestClient:
    # Validated, as the environment's values are (a token becomes a SecretStr, a URL an HttpUrl).
    changed = Settings.model_validate({**settings.model_dump(), **changes})
    return TestClient(create_app(changed), follow_redirects=False)


def handler_labels(client: TestClient, **headers: str) -> set[str]:
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200
    return {
        sample.labels["handler"]
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
        if "handler" in sample.labels
    }


def test_unknown_and_trailing_slash_paths_add_no_label_values(fresh: TestClient) -> None:
    fresh.get("/v1/muscles")
    fresh.get("/no/such/path")
    fresh.get("/v1/muscles/")
    before = handler_labels(fresh)
    for number in range(200):
        assert fresh.get(f"/v1/plan-templates/gym-{number}-secret/").status_code == 307
        assert fresh.get(f"/v1/exercises/exercise-{number}/").status_code == 307
        assert fresh.get(f"/unknown-{number}").status_code == 404
    after = handler_labels(fresh)
    assert after == before
    assert after == {"/v1/muscles", "none"}


def test_no_tenant_slug_appears_in_the_metrics(fresh: TestClient) -> None:
    fresh.get("/v1/plan-templates/gym-a-secret")
    fresh.get("/v1/plan-templates/gym-a-secret/")
    fresh.get("/v1/plan-templates/gym-a-secret/versions/1")
    text = fresh.get("/metrics").text
    assert "secret" not in text
    assert 'handler="/v1/plan-templates/{slug}"' in text


def test_the_metrics_token_is_required_when_set(settings: Settings) -> None:
    with client_with(settings, metrics_token=TOKEN) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
            refused = client.get("/metrics", headers=headers)
            assert refused.status_code == 401, headers
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["code"] == "metrics_token_required"
            assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert handler_labels(client, Authorization=f"Bearer {TOKEN}") <= {"/metrics", "none"}


def test_metrics_are_refused_when_keys_are_required_and_no_token_is_set(settings: Settings) -> None:
    with client_with(settings, require_api_key=True) as client:
        refused = client.get("/metrics")
        assert refused.status_code == 403 and refused.json()["code"] == "metrics_token_not_set"
    with client_with(settings, require_api_key=True, metrics_token=TOKEN) as client:
        assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_redirects_ignore_a_hostile_host_header(fresh: TestClient) -> None:
    answer = fresh.get("/v1/muscles/?region=hip", headers={"Host": "evil.example"})
    assert answer.status_code == 307
    assert answer.headers["Location"] == "/v1/muscles?region=hip"
    followed = fresh.get(answer.headers["Location"])
    assert followed.status_code == 200


def test_redirects_use_the_public_url_when_set(settings: Settings) -> None:
    with client_with(settings, public_url="https://plans.example/") as client:
        answer = client.get("/v1/muscles/", headers={"Host": "evil.example"})
    assert answer.status_code == 307 and answer.headers["Location"] == "https://plans.example/v1/muscles"


@pytest.mark.parametrize("path", ["//evil.example/", "/no/such/path/", "/v1/plans/"])
def test_no_redirect_to_another_host_or_to_nothing(fresh: TestClient, path: str) -> None:
    answer = fresh.get(path, headers={"Host": "evil.example"})
    if path == "/v1/plans/":  # -> /v1/plans (a POST route: GET is then 405 there)
        assert answer.status_code == 307 and answer.headers["Location"] == "/v1/plans"
    else:  # never a Location naming another host (//evil.example), nor one for a path no route serves
        assert answer.status_code == 404 and answer.json()["code"] == "not_found"
        assert "location" not in answer.headers
