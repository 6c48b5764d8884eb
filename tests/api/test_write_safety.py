"""Writes a client can retry: Idempotency-Key answers a retry of a committed write with the first answer, and a
tenant's quotas stop one key from storing without bound. Real threads for the races (PostgreSQL in CI's second run).
"""

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, update

from app.config import Settings
from app.db.engine import make_engine, session_scope
from app.db.tables import IdempotentWrite
from app.main import create_app
from app.schemas.catalogue import EXERCISE_EXAMPLE
from app.schemas.templates import EXAMPLE_MODES
from app.services.accounts import create_key

TEMPLATES = "/v1/plan-templates"


@pytest.fixture(scope="module")
def keys(writable_settings: Settings) -> dict[str, dict[str, str]]:
    engine = make_engine(writable_settings.database_url)
    issued = {tenant: {"X-API-Key": create_key(engine, tenant).key} for tenant in ("safe_gym", "other_gym")}
    engine.dispose()
    return issued


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def _template(client: TestClient, headers: dict[str, str]) -> str:
    slug = f"safe_{uuid.uuid4().hex[:8]}"
    assert client.post(TEMPLATES, headers=headers, json={"slug": slug, "title": "Safe"}).status_code == 201
    return slug


def test_a_retried_create_gets_the_first_answer_and_makes_nothing_twice(
    writable_client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    headers = keys["safe_gym"] | _key()
    body = {"slug": "safe_retried", "title": "Retried"}
    first = writable_client.post(TEMPLATES, headers=headers, json=body)
    again = writable_client.post(TEMPLATES, headers=headers, json=body)
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    # Without the key the same create is a conflict: the key is what makes the retry safe.
    assert writable_client.post(TEMPLATES, headers=keys["safe_gym"], json=body).json()["code"] == "template_exists"


def test_a_retried_draft_is_one_draft(writable_client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    slug = _template(writable_client, keys["safe_gym"])
    headers = keys["safe_gym"] | _key()
    answers = [
        writable_client.post(f"{TEMPLATES}/{slug}/versions", headers=headers, json={"modes": EXAMPLE_MODES})
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert {a.json()["version"] for a in answers} == {1}
    assert {a.headers["ETag"] for a in answers} == {answers[0].headers["ETag"]}
    versions = writable_client.get(f"{TEMPLATES}/{slug}/versions", headers=keys["safe_gym"]).json()
    assert [v["version"] for v in versions] == [1]


def test_a_retried_publish_is_answered_as_the_first(
    writable_client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    slug = _template(writable_client, keys["safe_gym"])
    writable_client.post(f"{TEMPLATES}/{slug}/versions", headers=keys["safe_gym"], json={"modes": EXAMPLE_MODES})
    headers = keys["safe_gym"] | _key()
    first = writable_client.post(f"{TEMPLATES}/{slug}/versions/1/publish", headers=headers)
    again = writable_client.post(f"{TEMPLATES}/{slug}/versions/1/publish", headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json() and again.json()["status"] == "published"


def test_a_retried_exercise_is_not_a_conflict(writable_client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    headers = keys["safe_gym"] | _key()
    body = {**EXERCISE_EXAMPLE, "slug": "safe_bridge", "name": "Safe bridge"}
    first = writable_client.post("/v1/exercises", headers=headers, json=body)
    again = writable_client.post("/v1/exercises", headers=headers, json=body)
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.json() == first.json()
    assert writable_client.get("/v1/exercises/safe_bridge", headers=keys["safe_gym"]).json() == first.json()


def test_a_key_sent_with_another_request_is_refused(
    writable_client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    headers = keys["safe_gym"] | _key()
    assert writable_client.post(TEMPLATES, headers=headers, json={"slug": "safe_one", "title": "A"}).status_code == 201
    reused = writable_client.post(TEMPLATES, headers=headers, json={"slug": "safe_two", "title": "B"})
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert reused.json()["errors"][0]["field"] == "header.Idempotency-Key"
    # The same JSON spaced and ordered differently is the same request.
    respaced = writable_client.post(
        TEMPLATES,
        headers=headers | {"Content-Type": "application/json"},
        content=b'{ "title" : "A",  "slug" : "safe_one" }',
    )
    assert respaced.status_code == 201 and respaced.headers["Idempotent-Replayed"] == "true"


def test_a_key_is_forgotten_after_a_day(
    writable_client: TestClient, keys: dict[str, dict[str, str]], writable_settings: Settings
) -> None:
    headers = keys["safe_gym"] | _key()
    body = {"slug": "safe_aged", "title": "Aged"}
    assert writable_client.post(TEMPLATES, headers=headers, json=body).status_code == 201
    engine = make_engine(writable_settings.database_url)
    with session_scope(engine) as session:  # the stored answer is now older than a day
        aged = datetime.now(UTC) - timedelta(hours=25)
        stored = col(IdempotentWrite.key) == headers["Idempotency-Key"]
        session.exec(update(IdempotentWrite).where(stored).values(created_at=aged))
    engine.dispose()
    # The same key is a new request again: the create runs, and meets the template it made a day ago.
    again = writable_client.post(TEMPLATES, headers=headers, json=body)
    assert again.status_code == 409 and again.json()["code"] == "template_exists"


def test_keys_belong_to_their_tenant(writable_client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    key = _key()
    mine = writable_client.post(TEMPLATES, headers=keys["safe_gym"] | key, json={"slug": "safe_own", "title": "A"})
    theirs = writable_client.post(TEMPLATES, headers=keys["other_gym"] | key, json={"slug": "safe_own", "title": "A"})
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in theirs.headers


@pytest.mark.parametrize("bad", ["", "x" * 256, "tab\there", "with space"])
def test_a_malformed_key_is_refused(writable_client: TestClient, keys: dict[str, dict[str, str]], bad: str) -> None:
    answer = writable_client.post(
        TEMPLATES, headers=keys["safe_gym"] | {"Idempotency-Key": bad}, json={"slug": "safe_bad", "title": "A"}
    )
    assert answer.status_code == 422, answer.text
    assert any("Idempotency-Key" in error["field"] for error in answer.json()["errors"])


def test_concurrent_retries_with_one_key_make_one_draft(
    writable_client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    slug = _template(writable_client, keys["safe_gym"])
    headers, start = keys["safe_gym"] | _key(), threading.Barrier(6)
    answers: list[Any] = []

    def send() -> None:
        start.wait()
        answers.append(
            writable_client.post(f"{TEMPLATES}/{slug}/versions", headers=headers, json={"modes": EXAMPLE_MODES})
        )

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201] * 6, [a.text for a in answers]
    assert {a.json()["version"] for a in answers} == {1}
    assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == ["", *["true"] * 5]
    versions = writable_client.get(f"{TEMPLATES}/{slug}/versions", headers=keys["safe_gym"]).json()
    assert len(versions) == 1


@pytest.fixture(scope="module")
def small_quotas(writable_settings: Settings) -> Iterator[TestClient]:
    limited = writable_settings.model_copy(
        update={"max_templates_per_tenant": 2, "max_versions_per_template": 2, "max_exercises_per_tenant": 1}
    )
    with TestClient(create_app(limited)) as client:
        yield client


def test_quotas_stop_a_tenant_storing_without_bound(writable_settings: Settings, small_quotas: TestClient) -> None:
    engine = make_engine(writable_settings.database_url)
    headers = {"X-API-Key": create_key(engine, "quota_gym").key}
    engine.dispose()
    made = [small_quotas.post(TEMPLATES, headers=headers, json={"slug": f"quota_{n}", "title": "Q"}) for n in range(3)]
    assert [m.status_code for m in made] == [201, 201, 403]
    assert made[2].json()["code"] == "quota_exceeded" and "2 plan templates" in made[2].json()["detail"]

    drafts = [
        small_quotas.post(f"{TEMPLATES}/quota_0/versions", headers=headers, json={"modes": EXAMPLE_MODES})
        for _ in range(3)
    ]
    assert [d.status_code for d in drafts] == [201, 201, 403]
    assert drafts[2].json()["code"] == "quota_exceeded"

    exercises = [
        small_quotas.post("/v1/exercises", headers=headers, json={**EXERCISE_EXAMPLE, "slug": f"quota_ex_{n}"})
        for n in range(2)
    ]
    assert [e.status_code for e in exercises] == [201, 403]
    assert exercises[1].json()["code"] == "quota_exceeded"


def test_a_tenants_write_shows_nothing_to_anyone_else(
    writable_client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    """Validators, X-Catalogue-Version and /readyz follow what the caller's own view holds: another tenant's write
    changes none of them (they let anyone watch other tenants' activity, and emptied every cache)."""
    plan = {"assessments": [{"type": "overhead_squat", "findings": [{"compensation": "knees_move_inward"}]}]}

    def observed() -> dict[str, Any]:
        return {
            "muscles": writable_client.get("/v1/muscles").headers["ETag"],
            "muscles_as_other": writable_client.get("/v1/muscles", headers=keys["other_gym"]).headers["ETag"],
            "exercises": writable_client.get("/v1/exercises").headers["ETag"],
            "exercises_as_other": writable_client.get("/v1/exercises", headers=keys["other_gym"]).headers["ETag"],
            "plan": writable_client.post("/v1/plans", json=plan).headers["X-Catalogue-Version"],
            "plan_as_other": writable_client.post("/v1/plans", json=plan, headers=keys["other_gym"]).headers[
                "X-Catalogue-Version"
            ],
            "ready": writable_client.get("/readyz").json()["catalogue_revision"],
        }

    before = observed()
    mine = writable_client.get("/v1/exercises", headers=keys["safe_gym"]).headers["ETag"]
    body = {**EXERCISE_EXAMPLE, "slug": "safe_private", "name": "Safe private"}
    assert writable_client.post("/v1/exercises", headers=keys["safe_gym"], json=body).status_code == 201
    assert observed() == before
    # The writer's own exercise reads do change, and so do its own validators.
    assert writable_client.get("/v1/exercises", headers=keys["safe_gym"]).headers["ETag"] != mine
    assert writable_client.get("/v1/muscles", headers=keys["safe_gym"]).headers["ETag"] == before["muscles"]


def test_a_tenant_with_nothing_of_its_own_shares_the_anonymous_answers(
    writable_client: TestClient, writable_settings: Settings
) -> None:
    """Its view is the shared catalogue: the same validators, and the same remembered answers (keyed by the
    view's owner, not the caller), rather than a copy of each per tenant."""
    engine = make_engine(writable_settings.database_url)
    headers = {"X-API-Key": create_key(engine, "empty_gym").key}
    engine.dispose()
    anonymous = writable_client.get("/v1/exercises", params={"limit": 3})
    keyed = writable_client.get("/v1/exercises", params={"limit": 3}, headers=headers)
    assert keyed.headers["ETag"] == anonymous.headers["ETag"] and keyed.content == anonymous.content
    assert keyed.headers["Cache-Control"].startswith("private")  # still a keyed answer to the caches between


def test_one_tenants_concurrent_creates_with_keys_all_succeed(
    writable_client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    """Each create claims its key (a row referring to the tenant) and then counts against a quota with the
    tenant's row held: with FOR UPDATE two such writers deadlocked on PostgreSQL (503s in the soak)."""
    start, answers = threading.Barrier(8), []

    def create(worker: int) -> None:
        start.wait()
        for n in range(3):
            body = {"slug": f"safe_busy_{worker}_{n}", "title": "Busy"}
            answers.append(writable_client.post(TEMPLATES, headers=keys["other_gym"] | _key(), json=body).status_code)
            exercise = {**EXERCISE_EXAMPLE, "slug": f"safe_busy_{worker}_{n}", "name": "Busy"}
            answers.append(
                writable_client.post("/v1/exercises", headers=keys["other_gym"] | _key(), json=exercise).status_code
            )

    threads = [threading.Thread(target=create, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [201] * 48
