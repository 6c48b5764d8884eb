"""The catalogue's read endpoints: content, filters, paging and error shapes."""

import pytest
from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


def _problem(response_json: dict[str, object], status: int, code: str) -> None:
    assert response_json["status"] == status
    assert response_json["code"] == code
    assert response_json["type"] == f"urn:ceplan:problem:{code}"
    assert response_json["title"] and response_json["detail"]


def test_gluteus_medius_activate_exercises_are_real(client: TestClient) -> None:
    response = client.get("/v1/exercises", params={"muscle": "gluteus_medius", "phase": "activate"})
    assert response.status_code == 200
    page = response.json()
    assert page["total"] >= 2
    for item in page["items"]:
        assert item["phase"] == "activate"
        assert item["instructions"] and item["name"]
        assert {"gluteus_medius", "hip_abductors"} & set(item["targets"])


def test_muscle_detail_shows_group_and_members(client: TestClient) -> None:
    group = client.get("/v1/muscles/hip_flexor_complex").json()
    assert {"psoas", "rectus_femoris", "tensor_fasciae_latae"} <= set(group["members"])
    member = client.get("/v1/muscles/rectus_femoris").json()
    assert "hip_flexor_complex" in member["member_of"]


def test_a_group_filter_matches_exercises_of_its_members_and_a_member_filter_its_groups(
    client: TestClient,
) -> None:
    by_group = client.get("/v1/exercises", params={"muscle": "hip_flexor_complex", "limit": 200}).json()
    targets = {t for item in by_group["items"] for t in item["targets"]}
    assert targets & {"rectus_femoris", "tensor_fasciae_latae", "psoas"}
    by_member = client.get("/v1/exercises", params={"muscle": "psoas", "limit": 200}).json()
    assert any("hip_flexor_complex" in item["targets"] for item in by_member["items"])


def test_equipment_filter_returns_only_exercises_needing_nothing_else(client: TestClient) -> None:
    bodyweight = client.get("/v1/exercises", params={"equipment": "", "limit": 200}).json()
    assert bodyweight["total"] > 0
    assert all(item["equipment"] == [] for item in bodyweight["items"])
    rollers = client.get("/v1/exercises", params={"equipment": "foam_roller", "limit": 200}).json()
    assert all(set(item["equipment"]) <= {"foam_roller"} for item in rollers["items"])
    assert any(item["equipment"] == ["foam_roller"] for item in rollers["items"])
    both = client.get("/v1/exercises", params=[("equipment", "foam_roller"), ("equipment", "mini_band")]).json()
    assert both["total"] >= rollers["total"]


def test_paging_is_stable_and_reports_the_total(client: TestClient) -> None:
    everything = client.get("/v1/exercises", params={"limit": 200}).json()
    slugs = [item["slug"] for item in everything["items"]]
    assert slugs == sorted(slugs)
    first = client.get("/v1/exercises", params={"limit": 10, "offset": 0}).json()
    second = client.get("/v1/exercises", params={"limit": 10, "offset": 10}).json()
    assert first["total"] == second["total"] == everything["total"]
    assert [i["slug"] for i in first["items"] + second["items"]] == slugs[:20]
    beyond = client.get("/v1/exercises", params={"offset": 10_000}).json()
    assert beyond["items"] == [] and beyond["total"] == everything["total"]


def test_level_and_text_search(client: TestClient) -> None:
    level_one = client.get("/v1/exercises", params={"level": 1, "limit": 200}).json()
    assert level_one["total"] > 0 and all(item["level"] == 1 for item in level_one["items"])
    found = client.get("/v1/exercises", params={"q": "CALF"}).json()
    assert found["total"] > 0
    assert all(
        "calf" in (i["name"] + i["description"] + " ".join(i["cues"]) + i["slug"]).lower() for i in found["items"]
    )


def test_assessments_list_their_compensations(client: TestClient) -> None:
    assessments = {a["slug"]: a for a in client.get("/v1/assessments").json()}
    assert set(assessments) == {"overhead_squat", "single_leg_squat", "push", "pull", "static_posture"}
    ohsa = {c["slug"] for c in assessments["overhead_squat"]["compensations"]}
    assert {"feet_turn_out", "heels_rise", "asymmetric_weight_shift", "low_back_arches"} <= ohsa
    push = {c["slug"] for c in assessments["push"]["compensations"]}
    assert push == {"low_back_arches", "shoulders_elevate", "head_juts_forward"}


def test_compensations_filter_by_assessment(client: TestClient) -> None:
    sls = client.get("/v1/compensations", params={"assessment": "single_leg_squat"}).json()
    assert {c["slug"] for c in sls} == {
        "knee_valgus",
        "hip_hike",
        "hip_drop",
        "inward_trunk_rotation",
        "outward_trunk_rotation",
    }


def test_rulesets_and_their_rows(client: TestClient) -> None:
    rulesets = {r["slug"]: r for r in client.get("/v1/rulesets").json()}
    assert set(rulesets) == {"nasm_ces_2011", "nasm_cpt4_6", "nasm_cpt7_2021"}
    assert [slug for slug, r in rulesets.items() if r["is_default"]] == ["nasm_ces_2011"]
    ces = client.get("/v1/rulesets/nasm_ces_2011").json()
    shift = next(r for r in ces["rows"] if r["compensation"] == "asymmetric_weight_shift")
    over = {(m["muscle"], m["laterality"]) for m in shift["overactive"]}
    assert ("adductor_complex", "same") in over and ("piriformis", "opposite") in over
    under = {(m["muscle"], m["laterality"]) for m in shift["underactive"]}
    assert ("anterior_tibialis", "unspecified") in under


def test_equipment_list(client: TestClient) -> None:
    slugs = {e["slug"] for e in client.get("/v1/equipment").json()}
    assert {"foam_roller", "mini_band", "stability_ball"} <= slugs


@pytest.mark.parametrize(
    "path", ["/v1/muscles/not_a_muscle", "/v1/exercises/nope", "/v1/rulesets/nasm_1999", "/v1/nothing-here"]
)
def test_unknown_paths_are_404_problems(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    _problem(response.json(), 404, "not_found")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"phase": "stretching"}, "query.phase"),
        ({"level": 4}, "query.level"),
        ({"level": "one"}, "query.level"),
        ({"limit": 0}, "query.limit"),
        ({"offset": -1}, "query.offset"),
        ({"phse": "inhibit"}, "query.phse"),  # a misspelt filter must not return the whole library
    ],
)
def test_bad_filters_are_422_problems_naming_the_field(
    client: TestClient, params: dict[str, str | int], field: str
) -> None:
    response = client.get("/v1/exercises", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    _problem(body, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == [field]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/exercises", {"muscle": "glutes"}, "muscle"),
        ("/v1/exercises", {"equipment": "kettlebell"}, "equipment"),
        ("/v1/compensations", {"assessment": "deadlift"}, "assessment"),
    ],
)
def test_unknown_filter_ids_are_422_with_the_allowed_values(
    client: TestClient, path: str, params: dict[str, str], field: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 422
    body = response.json()
    _problem(body, 422, "invalid_filter")
    assert body["errors"][0]["field"] == field
    assert body["allowed"]


def test_compensations_refuse_unknown_and_repeated_filters(client: TestClient) -> None:
    assert client.get("/v1/compensations?assessment=overhead_squat").status_code == 200
    for query, field in (
        ("assesment=overhead_squat", "query.assesment"),  # misspelt: would have listed every compensation
        ("assessment=overhead_squat&assessment=single_leg_squat", "query.assessment"),  # two valid values
    ):
        response = client.get(f"/v1/compensations?{query}")
        assert response.status_code == 422
        body = response.json()
        _problem(body, 422, "validation_error")
        assert [e["field"] for e in body["errors"]] == [field]


def test_a_filter_given_twice_is_refused_but_equipment_may_repeat(client: TestClient) -> None:
    twice = client.get("/v1/exercises?level=1&level=3")
    assert twice.status_code == 422
    assert [e["field"] for e in twice.json()["errors"]] == ["query.level"]
    repeated = client.get("/v1/exercises?equipment=foam_roller&equipment=mini_band&limit=200")
    comma = client.get("/v1/exercises?equipment=foam_roller,mini_band&limit=200")
    assert repeated.status_code == 200 and repeated.json() == comma.json()
    assert {e for item in repeated.json()["items"] for e in item["equipment"]} <= {"foam_roller", "mini_band"}


def test_wrong_method_is_a_405_problem(client: TestClient) -> None:
    response = client.delete("/v1/muscles")
    assert response.status_code == 405
    _problem(response.json(), 405, "method_not_allowed")
