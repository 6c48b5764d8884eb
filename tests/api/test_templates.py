"""Versioned plan templates, tenants' own content and API keys (issue: templates, ownership, keys)."""

import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.config import Settings
from app.db.engine import make_engine
from app.services import accounts as accounts_service
from app.services.accounts import create_key
from tests.conftest import status_within

PROBLEM = "application/problem+json"
SQUAT = {"type": "overhead_squat", "findings": [{"compensation": "knees_move_inward", "side": "bilateral"}]}


def _modes(inhibit_hold: int = 40, warm_up_cap: int = 2) -> dict[str, Any]:
    def mode(cap: int) -> dict[str, Any]:
        return {
            "frequency_per_week": "3",
            "reassess_after_weeks": 4,
            "transition_seconds": 10,
            "phases": [
                {
                    "phase": "inhibit",
                    "modality": "smr",
                    "sets": 1,
                    "hold_seconds": inhibit_hold,
                    "tempo": "slow",
                    "rest_seconds": 0,
                    "max_exercises": cap,
                },
                {
                    "phase": "lengthen",
                    "modality": "static_stretch",
                    "sets": 1,
                    "hold_seconds": 30,
                    "tempo": "hold",
                    "rest_seconds": 0,
                    "max_exercises": cap,
                },
                {
                    "phase": "activate",
                    "modality": "isolated_strengthening",
                    "sets": 2,
                    "reps": 12,
                    "tempo": "4/2/1",
                    "seconds_per_rep": 7,
                    "rest_seconds": 30,
                    "max_exercises": cap,
                },
                {
                    "phase": "integrate",
                    "modality": "integrated_dynamic",
                    "sets": 1,
                    "reps": 10,
                    "tempo": "slow",
                    "seconds_per_rep": 4,
                    "rest_seconds": 30,
                    "max_exercises": 1,
                },
            ],
        }

    return {"standalone": mode(4), "warm_up": mode(warm_up_cap), "cool_down": mode(3)}


@pytest.fixture(scope="module")
def keys(writable_settings: Settings) -> dict[str, str]:
    engine = make_engine(writable_settings.database_url)
    issued = {
        "acme": create_key(engine, "acme").key,
        "acme_reader": create_key(engine, "acme", read_only=True).key,
        "globex": create_key(engine, "globex").key,
    }
    engine.dispose()
    return issued


def _auth(key: str, style: str = "bearer") -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if style == "bearer" else {"X-API-Key": key}


def _problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    if code:
        assert body["code"] == code
    return body


def _plan(client: TestClient, key: str | None, **preferences: Any) -> Any:
    headers = _auth(key) if key else {}
    return client.post("/v1/plans", json={"assessments": [SQUAT], "preferences": preferences}, headers=headers)


def test_the_full_lifecycle_with_pinning_and_the_plan_echo(writable_client: TestClient, keys: dict[str, str]) -> None:
    client, acme = writable_client, _auth(keys["acme"])
    created = client.post("/v1/plan-templates", json={"slug": "acme_house", "title": "Acme house"}, headers=acme)
    assert created.status_code == 201 and created.json()["owner"] == "tenant"

    draft = client.post("/v1/plan-templates/acme_house/versions", json={"modes": _modes(40)}, headers=acme)
    assert draft.status_code == 201 and draft.json()["version"] == 1 and draft.json()["status"] == "draft"
    # A draft is not usable by plans yet.
    _problem(
        _plan(client, keys["acme"], template={"slug": "acme_house", "version": 1}), 422, "template_version_unavailable"
    )

    etag = client.get("/v1/plan-templates/acme_house/versions/1", headers=acme).headers["ETag"]
    edited = client.put(
        "/v1/plan-templates/acme_house/versions/1", json={"modes": _modes(45)}, headers={**acme, "If-Match": etag}
    )
    assert edited.status_code == 200 and edited.headers["ETag"] != etag
    _problem(
        client.put(
            "/v1/plan-templates/acme_house/versions/1", json={"modes": _modes(50)}, headers={**acme, "If-Match": etag}
        ),
        412,
        "precondition_failed",
    )
    _problem(
        client.put("/v1/plan-templates/acme_house/versions/1", json={"modes": _modes(50)}, headers=acme),
        428,
        "precondition_required",
    )

    published = client.post("/v1/plan-templates/acme_house/versions/1/publish", headers=acme)
    assert published.json()["status"] == "published" and published.json()["published_at"]
    _problem(
        client.put(
            "/v1/plan-templates/acme_house/versions/1",
            json={"modes": _modes(60)},
            headers={**acme, "If-Match": published.headers["ETag"]},
        ),
        409,
        "version_immutable",
    )
    _problem(client.post("/v1/plan-templates/acme_house/versions/1/publish", headers=acme), 409)

    plan = _plan(client, keys["acme"], template={"slug": "acme_house"}).json()
    assert plan["template"] == {"slug": "acme_house", "version": 1, "title": "Acme house"}
    assert next(p for p in plan["phases"] if p["phase"] == "inhibit")["acute_variables"]["hold_seconds"] == 45

    second = client.post("/v1/plan-templates/acme_house/versions", json={"copy_from": 1}, headers=acme).json()
    assert second["version"] == 2 and second["modes"] == published.json()["modes"]
    client.put(
        "/v1/plan-templates/acme_house/versions/2",
        json={"modes": _modes(90)},
        headers={**acme, "If-Match": second["etag"]},
    )
    client.post("/v1/plan-templates/acme_house/versions/2/publish", headers=acme)

    latest = _plan(client, keys["acme"], template={"slug": "acme_house"}).json()
    pinned = _plan(client, keys["acme"], template={"slug": "acme_house", "version": 1}).json()
    assert latest["template"]["version"] == 2 and pinned["template"]["version"] == 1
    assert pinned["plan_id"] == plan["plan_id"]  # a March plan is reproducible in June

    diff = client.get("/v1/plan-templates/acme_house/diff", params={"from": 1, "to": 2}, headers=acme).json()
    assert {c["path"] for c in diff["changes"]} == {
        f"{m}.phases.inhibit.hold_seconds" for m in ("standalone", "warm_up", "cool_down")
    }

    retired = client.post("/v1/plan-templates/acme_house/versions/1/retire", headers=acme)
    assert retired.json()["status"] == "retired"
    problem = _problem(
        _plan(client, keys["acme"], template={"slug": "acme_house", "version": 1}), 422, "template_version_unavailable"
    )
    assert problem["allowed"] == ["2"] and "retired" in problem["detail"]
    listing = client.get("/v1/plan-templates/acme_house", headers=acme).json()
    assert listing["latest_published"] == 2
    assert [(v["version"], v["status"]) for v in listing["versions"]] == [(1, "retired"), (2, "published")]


@pytest.mark.parametrize(
    ("phases_edit", "message"),
    [
        (lambda phases: phases.reverse(), "order"),
        (lambda phases: phases[0].update(hold_seconds=None, reps=10), "hold"),
        (lambda phases: phases[2].update(reps=None, hold_seconds=30), "repetitions"),
        (lambda phases: phases[1].update(sets=0), "greater than or equal to 1"),
    ],
)
def test_template_versions_are_validated(
    writable_client: TestClient, keys: dict[str, str], phases_edit: Any, message: str
) -> None:
    client, acme = writable_client, _auth(keys["acme"])
    client.post("/v1/plan-templates", json={"slug": "acme_checked", "title": "Checked"}, headers=acme)
    modes = _modes()
    phases_edit(modes["warm_up"]["phases"])
    problem = _problem(
        client.post("/v1/plan-templates/acme_checked/versions", json={"modes": modes}, headers=acme),
        422,
        "validation_error",
    )
    assert message in problem["detail"]
    assert problem["errors"][0]["field"].startswith("modes.warm_up.phases")


def test_one_tenant_never_sees_or_uses_another_tenants_template(
    writable_client: TestClient, keys: dict[str, str]
) -> None:
    client, acme, globex = writable_client, _auth(keys["acme"]), _auth(keys["globex"])
    client.post("/v1/plan-templates", json={"slug": "acme_private", "title": "Private"}, headers=acme)
    client.post("/v1/plan-templates/acme_private/versions", json={"modes": _modes()}, headers=acme)
    client.post("/v1/plan-templates/acme_private/versions/1/publish", headers=acme)

    _problem(client.get("/v1/plan-templates/acme_private", headers=globex), 404, "not_found")
    _problem(client.get("/v1/plan-templates/acme_private"), 404, "not_found")
    _problem(client.post("/v1/plan-templates/acme_private/versions", json={"copy_from": 1}, headers=globex), 404)
    assert "acme_private" not in {t["slug"] for t in client.get("/v1/plan-templates", headers=globex).json()}
    problem = _problem(_plan(client, keys["globex"], template={"slug": "acme_private"}), 422, "unknown_template")
    assert "acme_private" not in problem["allowed"] and "nasm_cex_standard" in problem["allowed"]
    assert _plan(client, keys["acme"], template={"slug": "acme_private"}).status_code == 200
    # Another tenant may use the same slug for its own template: slugs are per tenant.
    assert (
        client.post("/v1/plan-templates", json={"slug": "acme_private", "title": "Mine"}, headers=globex).status_code
        == 201
    )


def test_shared_templates_are_read_only(writable_client: TestClient, keys: dict[str, str]) -> None:
    acme = _auth(keys["acme"])
    shared = writable_client.get("/v1/plan-templates/nasm_cex_standard", headers=acme).json()
    assert shared["owner"] == "shared" and shared["latest_published"] == 1
    _problem(
        writable_client.post("/v1/plan-templates/nasm_cex_standard/versions", json={"copy_from": 1}, headers=acme),
        403,
        "shared_read_only",
    )
    _problem(
        writable_client.post("/v1/plan-templates", json={"slug": "nasm_cex_standard", "title": "x"}, headers=acme),
        409,
        "template_exists",
    )


CUSTOM = {
    "slug": "aaa_acme_glute_med_hold",
    "name": "Acme side hold",
    "phase": "activate",
    "modality": "isolated_strengthening",
    "targets": ["gluteus_medius", "quadratus_lumborum", "internal_oblique", "external_oblique"],
    "equipment": [],
    "level": 3,
    "unilateral": True,
    "position": "side_lying",
    "stance": "none",
    "tags": [],
    "description": "Our own.",
    "instructions": ["Lie on your side.", "Lift."],
    "defaults": {"sets": 1, "reps": 12, "tempo": "4/2/1", "rest_seconds": 30},
}


def test_custom_exercises_serve_their_tenant_alone(writable_client: TestClient, keys: dict[str, str]) -> None:
    client, acme, globex = writable_client, _auth(keys["acme"]), _auth(keys["globex"])
    before = int(client.get("/v1/muscles").headers["X-Catalogue-Version"])
    created = client.post("/v1/exercises", json=CUSTOM, headers=acme)
    assert created.status_code == 201, created.text
    # The answer says the revision that holds the new exercise, not the one it was checked against.
    assert int(created.headers["X-Catalogue-Version"]) > before
    assert created.json()["slug"] == CUSTOM["slug"]
    assert client.get(f"/v1/exercises/{CUSTOM['slug']}", headers=acme).status_code == 200
    _problem(client.get(f"/v1/exercises/{CUSTOM['slug']}", headers=globex), 404)
    _problem(client.get(f"/v1/exercises/{CUSTOM['slug']}"), 404)
    mine = client.get("/v1/exercises", params={"muscle": "gluteus_medius", "limit": 200}, headers=acme).json()
    theirs = client.get("/v1/exercises", params={"muscle": "gluteus_medius", "limit": 200}, headers=globex).json()
    assert mine["total"] == theirs["total"] + 1

    body = {
        "assessments": [{"type": "single_leg_squat", "findings": [{"compensation": "hip_drop", "side": "left"}]}],
        "preferences": {"level": 3},
    }

    def activated(key: str) -> set[str]:
        plan = client.post("/v1/plans", json=body, headers=_auth(key)).json()
        return {e["exercise"]["slug"] for p in plan["phases"] if p["phase"] == "activate" for e in p["exercises"]}

    assert CUSTOM["slug"] in activated(keys["acme"])
    assert CUSTOM["slug"] not in activated(keys["globex"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"targets": ["glutes"]}, "targets.0"),
        ({"equipment": ["kettlebell"]}, "equipment.0"),
        ({"modality": "smr"}, "modality"),
        ({"phase": "inhibit", "modality": "smr", "targets": ["erector_spinae"], "tags": ["smr"]}, "targets"),
        ({"phase": "inhibit", "modality": "smr", "targets": ["piriformis"]}, "tags"),
        ({"progression": "calf_foam_roll"}, "progression"),
        ({"position": "standing"}, "stance"),  # standing needs a stance
        ({"modality": "positional_isometric"}, "effort"),  # an isometric says its peak effort
    ],
)
def test_custom_exercises_are_checked_against_the_catalogue(
    writable_client: TestClient, keys: dict[str, str], change: dict[str, Any], field: str
) -> None:
    body = {**CUSTOM, "slug": "acme_checked_exercise", **change}
    problem = _problem(
        writable_client.post("/v1/exercises", json=body, headers=_auth(keys["acme"])), 422, "invalid_exercise"
    )
    assert problem["errors"][0]["field"] == field


@pytest.mark.parametrize("tag", ["dangerous", "supine"])  # position tags are derived, never declared
def test_custom_exercises_declare_only_known_risk_tags(
    writable_client: TestClient, keys: dict[str, str], tag: str
) -> None:
    body = {**CUSTOM, "slug": "acme_tagged_exercise", "tags": [tag]}
    problem = _problem(writable_client.post("/v1/exercises", json=body, headers=_auth(keys["acme"])), 422)
    assert problem["errors"][0]["field"] == "tags.0"


def test_a_custom_exercise_cannot_take_a_shared_slug(writable_client: TestClient, keys: dict[str, str]) -> None:
    body = {**CUSTOM, "slug": "floor_bridge"}
    _problem(writable_client.post("/v1/exercises", json=body, headers=_auth(keys["acme"])), 409, "exercise_exists")


@pytest.mark.parametrize("style", ["bearer", "header"])
def test_writes_need_a_valid_writable_key(writable_client: TestClient, keys: dict[str, str], style: str) -> None:
    body = {"slug": "acme_keyed", "title": "Keyed"}
    _problem(writable_client.post("/v1/plan-templates", json=body), 401, "unauthorized")
    missing = writable_client.post("/v1/plan-templates", json=body)
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    _problem(writable_client.post("/v1/plan-templates", json=body, headers=_auth("cep_nope_nope", style)), 401)
    _problem(
        writable_client.post("/v1/plan-templates", json=body, headers=_auth(keys["acme_reader"], style)),
        403,
        "read_only_key",
    )
    reader_view = writable_client.get("/v1/plan-templates", headers=_auth(keys["acme_reader"], style))
    assert reader_view.status_code == 200
    assert "acme_house" in {t["slug"] for t in reader_view.json()}


def test_keys_are_stored_only_as_hashes_and_can_be_revoked(
    writable_settings: Settings, writable_client: TestClient
) -> None:
    engine = make_engine(writable_settings.database_url)
    issued = create_key(engine, "initech")
    secret = issued.key.split("_", 2)[2]
    with Session(engine) as session:
        rows = session.execute(text("SELECT * FROM api_key")).all()
        dumped = " ".join(str(value) for row in rows for value in row)
        stored = session.execute(text("SELECT secret_hash FROM api_key WHERE prefix = :p"), {"p": issued.prefix}).one()
    assert secret not in dumped and issued.key not in dumped
    assert stored[0] == hashlib.sha256(secret.encode()).hexdigest()
    body = {"slug": "initech_t", "title": "T"}
    assert writable_client.post("/v1/plan-templates", json=body, headers=_auth(issued.key)).status_code == 201
    from app.services.accounts import revoke_key

    assert revoke_key(engine, issued.prefix)
    engine.dispose()
    # Each worker trusts a key it has just seen for key_cache_seconds (1 s): revocation takes effect within that.
    retry = {**body, "slug": "initech_u"}

    def send() -> Any:
        return writable_client.post("/v1/plan-templates", json=retry, headers=_auth(issued.key))

    assert status_within(send, 401, writable_settings.key_cache_seconds + 1) == 401
    _problem(send(), 401)


def test_a_key_just_seen_is_not_looked_up_again(writable_client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = writable_client.app.state.engine  # type: ignore[attr-defined]
    key = create_key(engine, "globex").key
    lookups: list[str] = []
    real = accounts_service.authenticate

    def counted(*args: Any, **kwargs: Any) -> Any:
        lookups.append("db")
        return real(*args, **kwargs)

    monkeypatch.setattr(accounts_service, "authenticate", counted)
    for _ in range(5):
        assert writable_client.get("/v1/plan-templates", headers=_auth(key)).status_code == 200
    assert lookups == ["db"]
    # A wrong key is never remembered: each attempt is checked (and counted by the failure limiter).
    for _ in range(2):
        _problem(writable_client.get("/v1/plan-templates", headers=_auth(key + "x")), 401)
    assert lookups == ["db", "db", "db"]


def test_reads_can_require_a_key(writable_settings: Settings, keys: dict[str, str]) -> None:
    strict = writable_settings.model_copy(update={"require_api_key": True})
    from app.main import create_app

    with TestClient(create_app(strict)) as client:
        _problem(client.get("/v1/muscles"), 401, "unauthorized")
        _problem(client.post("/v1/plans", json={"assessments": [SQUAT]}), 401)
        assert client.get("/v1/muscles", headers=_auth(keys["globex"])).status_code == 200
        assert client.post("/v1/plans", json={"assessments": [SQUAT]}, headers=_auth(keys["globex"])).status_code == 200
