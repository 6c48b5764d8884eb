"""Who gets limited, and how they are told: failed API keys (per address and per key prefix, never a key that
verifies), the optional plan budget (CEPLAN_PLAN_RATE), ambiguous credentials, and the RateLimit header fields."""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.config import Settings
from app.db.engine import make_engine
from app.main import create_app
from app.services.accounts import create_key
from tests.live_server import LiveServer

PROBLEM = "application/problem+json"
SPEC_FILE = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
SQUAT = {"type": "overhead_squat", "findings": [{"compensation": "knees_move_inward", "side": "bilateral"}]}
PLAN = {"assessments": [SQUAT]}
# RateLimit: "name";r=<remaining>;t=<seconds>, one item per policy (draft-ietf-httpapi-ratelimit-headers).
ITEM = re.compile(r'"(?P<name>[a-z-]+)";r=(?P<r>\d+);t=(?P<t>\d+)')


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def _remaining(response: Any) -> dict[str, int]:
    """What the RateLimit field says is left, by policy name."""
    return {m["name"]: int(m["r"]) for m in ITEM.finditer(response.headers["RateLimit"])}


def _wrong(key: str) -> str:
    """The same prefix with another secret: what somebody guessing that key's secret sends."""
    return key[:-4] + ("aaaa" if not key.endswith("aaaa") else "bbbb")


@pytest.fixture(scope="module")
def key_pair(writable_settings: Settings) -> tuple[str, str]:
    engine = make_engine(writable_settings.database_url)
    keys = create_key(engine, "limits_a").key, create_key(engine, "limits_b").key
    engine.dispose()
    return keys


def _client(settings: Settings, **changes: Any) -> TestClient:
    # key_cache_seconds=0: every request checks its key, as it does a second after a worker last saw it.
    return TestClient(create_app(settings.model_copy(update={"key_cache_seconds": 0.0, **changes})))


@pytest.fixture
def strict_client(writable_settings: Settings) -> Iterator[TestClient]:
    with _client(writable_settings, auth_failures_per_minute=3) as client:
        yield client


# Item 3: failed keys never lock out a key that verifies.


def test_a_valid_key_keeps_working_from_an_address_that_has_exhausted_its_failures(
    strict_client: TestClient, key_pair: tuple[str, str]
) -> None:
    valid, _ = key_pair
    for attempt in range(3):
        refused = strict_client.get("/v1/plan-templates", headers={"X-API-Key": f"cep_guess{attempt}_nope"})
        _problem(refused, 401, "unauthorized")
        assert _remaining(refused) == {"failed-keys-per-address": 2 - attempt}
    blocked = strict_client.get("/v1/plan-templates", headers={"X-API-Key": "cep_guess9_nope"})
    assert "failed-keys-per-address" in _problem(blocked, 429, "too_many_requests")["detail"]
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert blocked.headers["RateLimit-Policy"] == '"failed-keys-per-address";q=3;w=60'
    assert _remaining(blocked) == {"failed-keys-per-address": 0}
    assert strict_client.get("/v1/plan-templates", headers={"X-API-Key": valid}).status_code == 200
    assert strict_client.post("/v1/plans", json=PLAN, headers={"Authorization": f"Bearer {valid}"}).status_code == 200


def test_guessing_a_keys_secret_is_limited_per_key_but_the_key_itself_still_works(
    strict_client: TestClient, key_pair: tuple[str, str]
) -> None:
    valid, other = key_pair
    for _ in range(2):
        _problem(strict_client.get("/v1/plan-templates", headers={"X-API-Key": _wrong(valid)}), 401, "unauthorized")
    last = strict_client.get("/v1/plan-templates", headers={"X-API-Key": _wrong(valid)})
    _problem(last, 401, "unauthorized")
    assert _remaining(last) == {"failed-keys-per-address": 0, "failed-keys-per-key": 0}
    _problem(strict_client.get("/v1/plan-templates", headers={"X-API-Key": _wrong(valid)}), 429, "too_many_requests")
    assert strict_client.get("/v1/plan-templates", headers={"X-API-Key": valid}).status_code == 200
    assert strict_client.get("/v1/plan-templates", headers={"X-API-Key": other}).status_code == 200


@pytest.fixture(scope="module")
def servers(writable_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LiveServer]]:
    """The real server twice on one database: as shipped (no trusted proxy), and behind a proxy on 127.0.0.1."""
    logs = tmp_path_factory.mktemp("servers")
    url, limit = writable_settings.database_url, {"auth_failures_per_minute": "3"}
    started = {
        "direct": LiveServer(url, logs / "direct.log", **limit),
        "proxied": LiveServer(url, logs / "proxied.log", trusted_proxies='["127.0.0.1"]', **limit),
    }
    try:
        for server in started.values():  # both start at once; wait for each
            server.wait_ready()
        yield started
    finally:
        for server in started.values():
            server.stop()


def _guess(server: LiveServer, key: str, forwarded_for: str | None = None) -> httpx.Response:
    headers = {"X-API-Key": key, **({"X-Forwarded-For": forwarded_for} if forwarded_for else {})}
    return httpx.get(f"{server.base_url}/v1/plan-templates", headers=headers, timeout=10)


def test_a_forged_x_forwarded_for_from_an_untrusted_peer_does_not_change_whom_is_limited(
    servers: dict[str, LiveServer],
) -> None:
    server = servers["direct"]
    for n in range(3):
        assert _guess(server, f"cep_forged{n}_nope", forwarded_for=f"203.0.113.{n}").status_code == 401
    # Every guess counted against the peer (127.0.0.1), whatever address it claimed: a fourth claimed address
    # is limited, and so is the peer's own.
    _problem(_guess(server, "cep_forged8_nope", forwarded_for="198.51.100.8"), 429, "too_many_requests")
    _problem(_guess(server, "cep_forged9_nope"), 429, "too_many_requests")


def test_behind_a_trusted_proxy_failures_count_per_forwarded_address_and_per_key(
    servers: dict[str, LiveServer], key_pair: tuple[str, str]
) -> None:
    server, (valid, _) = servers["proxied"], key_pair
    for n in range(3):  # three clients behind the proxy, each guessing once at the same key
        assert _guess(server, _wrong(valid), forwarded_for=f"192.0.2.{n}").status_code == 401
    # A fourth client is not limited for its own mistakes, but the key being guessed is.
    assert _guess(server, "cep_typo_nope", forwarded_for="192.0.2.50").status_code == 401
    guessed = _problem(_guess(server, _wrong(valid), forwarded_for="192.0.2.51"), 429, "too_many_requests")
    assert "failed-keys-per-key" in guessed["detail"] and "per-address" not in guessed["detail"]
    assert _guess(server, valid, forwarded_for="192.0.2.52").status_code == 200


def test_browsers_may_read_the_rate_limit_headers(settings: Settings) -> None:
    with TestClient(create_app(settings.model_copy(update={"cors_origins": ["https://app.example"]}))) as client:
        answer = client.get("/v1/muscles", headers={"Origin": "https://app.example"})
    exposed = {name.strip().lower() for name in answer.headers["access-control-expose-headers"].split(",")}
    assert {"retry-after", "ratelimit", "ratelimit-policy"} <= exposed


@pytest.mark.parametrize("setting", [{"trusted_proxies": ["10.0.0.300"]}, {"plan_rate": "lots/minute"}])
def test_a_limit_setting_with_a_typo_stops_the_start(setting: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Settings(**setting)


# Item 8: the plan budget.


@pytest.fixture
def budget_client(writable_settings: Settings) -> Iterator[TestClient]:
    with _client(writable_settings, plan_rate="3/minute") as client:
        yield client


def test_plans_and_analyses_spend_the_budget_then_get_429(budget_client: TestClient) -> None:
    first = budget_client.post("/v1/plans", json=PLAN)
    assert first.status_code == 200
    assert first.headers["RateLimit-Policy"] == '"plans-per-address";q=3;w=60'
    assert _remaining(first) == {"plans-per-address": 2}
    assert _remaining(budget_client.post("/v1/analyses", json=PLAN)) == {"plans-per-address": 1}
    assert _remaining(budget_client.post("/v1/plans", json=PLAN)) == {"plans-per-address": 0}
    over = budget_client.post("/v1/plans", json=PLAN)
    body = _problem(over, 429, "plan_budget_exceeded")
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    assert _remaining(over) == {"plans-per-address": 0}
    assert "3 plans per 60 s" in body["detail"]
    _problem(budget_client.post("/v1/analyses", json=PLAN), 429, "plan_budget_exceeded")


def test_a_batch_spends_one_unit_per_plan_and_all_or_nothing(budget_client: TestClient) -> None:
    two = {"requests": [PLAN, PLAN]}
    assert _remaining(budget_client.post("/v1/plans/batch", json=two)) == {"plans-per-address": 1}
    # Two more do not fit in the one left: refused whole, and nothing spent.
    _problem(budget_client.post("/v1/plans/batch", json=two), 429, "plan_budget_exceeded")
    assert _remaining(budget_client.post("/v1/plans", json=PLAN)) == {"plans-per-address": 0}


def test_a_batch_larger_than_the_whole_budget_says_to_send_smaller_ones(budget_client: TestClient) -> None:
    body = _problem(budget_client.post("/v1/plans/batch", json={"requests": [PLAN] * 4}), 429, "plan_budget_exceeded")
    assert "smaller batches" in body["detail"]


def test_each_key_has_its_own_budget_apart_from_its_address(
    budget_client: TestClient, key_pair: tuple[str, str]
) -> None:
    first, second = key_pair
    budget_client.post("/v1/plans/batch", json={"requests": [PLAN] * 3})  # the address's budget, all of it
    _problem(budget_client.post("/v1/plans", json=PLAN), 429, "plan_budget_exceeded")
    keyed = budget_client.post("/v1/plans", json=PLAN, headers={"X-API-Key": first})
    assert keyed.status_code == 200
    assert _remaining(keyed) == {"plans-per-key": 2}
    budget_client.post("/v1/plans/batch", json={"requests": [PLAN] * 2}, headers={"X-API-Key": first})
    _problem(budget_client.post("/v1/plans", json=PLAN, headers={"X-API-Key": first}), 429, "plan_budget_exceeded")
    assert _remaining(budget_client.post("/v1/plans", json=PLAN, headers={"X-API-Key": second})) == {"plans-per-key": 2}


def test_without_a_budget_plans_are_unlimited_and_carry_no_rate_limit_headers(client: TestClient) -> None:
    answers = [client.post("/v1/plans/batch", json={"requests": [PLAN] * 50}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert not {"ratelimit", "ratelimit-policy"} & set(answers[-1].headers)


# Item 10: ambiguous credentials.

AMBIGUOUS = {
    "both headers": ([("Authorization", "Bearer {a}"), ("X-API-Key", "{b}")], ["Authorization", "X-API-Key"]),
    "X-API-Key twice": ([("X-API-Key", "{a}"), ("X-API-Key", "{b}")], ["X-API-Key"]),
    "Authorization twice": ([("Authorization", "Bearer {a}"), ("Authorization", "Bearer {b}")], ["Authorization"]),
    "the same key twice": ([("X-API-Key", "{a}"), ("X-API-Key", "{a}")], ["X-API-Key"]),
}


@pytest.mark.parametrize("case", AMBIGUOUS, ids=list(AMBIGUOUS))
@pytest.mark.parametrize(("method", "path"), [("POST", "/v1/plans"), ("GET", "/v1/plan-templates")])
def test_more_than_one_key_is_refused_naming_the_headers(
    writable_client: TestClient, key_pair: tuple[str, str], case: str, method: str, path: str
) -> None:
    template, named = AMBIGUOUS[case]
    a, b = key_pair
    headers = [(name, value.format(a=a, b=b)) for name, value in template]
    answer = writable_client.request(method, path, headers=headers, json=PLAN if method == "POST" else None)
    detail = _problem(answer, 400, "ambiguous_credentials")["detail"]
    assert [name for name in ("Authorization", "X-API-Key") if name in detail] == named


def test_one_key_in_one_header_is_not_ambiguous(writable_client: TestClient, key_pair: tuple[str, str]) -> None:
    valid, _ = key_pair
    # A non-Bearer Authorization (a proxy's Basic credentials, say) is not an API key.
    headers = {"Authorization": "Basic dXNlcjpwYXNz", "X-API-Key": valid}
    assert writable_client.get("/v1/plan-templates", headers=headers).status_code == 200


def test_the_spec_documents_the_rate_limit_answers() -> None:
    spec = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    for path in ("/v1/plans", "/v1/plans/batch", "/v1/analyses"):
        responses = spec["paths"][path]["post"]["responses"]
        assert {"RateLimit", "RateLimit-Policy"} <= set(responses["200"]["headers"]), path
        assert {"Retry-After", "RateLimit", "RateLimit-Policy"} <= set(responses["429"]["headers"]), path
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if path.startswith("/v1"):
                assert "ambiguous_credentials" in operation["responses"]["400"]["description"], f"{method} {path}"
