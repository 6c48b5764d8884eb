"""POST /v1/plans and /v1/plans/batch on the seeded catalogue: the rules a trainer relies on."""

import json
import subprocess
import sys
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.domain.catalogue import Catalogue

PROBLEM = "application/problem+json"
SQUAT = {
    "type": "overhead_squat",
    "findings": [
        {"compensation": "knees_move_inward", "side": "bilateral"},
        {"compensation": "low_back_arches", "side": None},
        {"compensation": "feet_turn_out", "side": "left"},
        {"compensation": "excessive_forward_lean", "side": None},
        {"compensation": "arms_fall_forward", "side": "bilateral"},
    ],
}


def _plan(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/plans", json={"assessments": [SQUAT], **body})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _exercises(plan: dict[str, Any], phase: str | None = None) -> list[dict[str, Any]]:
    return [e for p in plan["phases"] if phase in (None, p["phase"]) for e in p["exercises"]]


def test_a_typical_squat_gives_a_full_four_phase_plan(client: TestClient) -> None:
    plan = _plan(client)
    assert plan["status"] == "plan"
    assert [p["phase"] for p in plan["phases"]] == ["inhibit", "lengthen", "activate", "integrate"]
    assert plan["template"] == {
        "slug": "nasm_cex_standard",
        "version": 1,
        "title": "Corrective Exercise Continuum, standard",
    }
    assert plan["ruleset"]["slug"] == "nasm_ces_2011"
    for phase in plan["phases"]:
        assert phase["exercises"], phase["phase"]
        for item in phase["exercises"]:
            assert item["exercise"]["instructions"] and item["exercise"]["name"]
            assert item["rationale"]["findings"] and item["rationale"]["text"]
            assert item["sets"] >= 1 and (item["reps"] or item["hold_seconds"])
    assert plan["estimated_minutes"] > 0
    assert plan["frequency_per_week"] and plan["reassess_after_weeks"] == 4
    # Lifestyle notes follow what the client reported: this request reported nothing.
    assert not {n["code"] for n in plan["lifestyle"]} & {"prolonged_sitting", "sleep", "computer_work"}


def test_the_default_template_reproduces_the_acute_variables_of_domain_md_f(client: TestClient) -> None:
    phases = {p["phase"]: p["acute_variables"] for p in _plan(client)["phases"]}
    assert phases["inhibit"] | {"max_exercises": 0} == {
        "modality": "smr",
        "sets": 1,
        "reps": None,
        "hold_seconds": 30,
        "tempo": "slow",
        "rest_seconds": 0,
        "max_exercises": 0,
    }
    assert phases["lengthen"]["hold_seconds"] == 30 and phases["lengthen"]["sets"] == 1
    assert phases["activate"]["tempo"] == "4/2/1" and 10 <= phases["activate"]["reps"] <= 15
    assert 10 <= phases["integrate"]["reps"] <= 15


def test_the_same_request_gives_the_same_plan_byte_for_byte(client: TestClient) -> None:
    first = client.post("/v1/plans", json={"assessments": [SQUAT]})
    second = client.post("/v1/plans", json={"assessments": [SQUAT]})
    assert first.content == second.content
    other = client.post("/v1/plans", json={"assessments": [SQUAT], "preferences": {"mode": "warm_up"}})
    assert other.json()["plan_id"] != first.json()["plan_id"]


def test_osteoporosis_removes_rolling(client: TestClient, catalogue: Catalogue) -> None:
    plan = _plan(client, screening={"conditions": ["osteoporosis"]})
    assert plan["status"] == "plan"
    assert _exercises(plan, "inhibit") == []
    assert all("smr" not in catalogue.exercises[e["exercise"]["slug"]].tags for e in _exercises(plan))
    contraindicated = [o for o in plan["omitted"] if o["reason"] == "contraindication" and o["phase"] == "inhibit"]
    assert contraindicated and all("osteoporosis" in o["detail"] for o in contraindicated)
    assert any(w["code"] == "condition:osteoporosis" for w in plan["warnings"])


@pytest.mark.parametrize(
    "screening",
    [
        {"current_pain": True, "pain_locations": ["right shoulder"]},
        {"numbness": True},
        {"injuries": [{"kind": "surgery", "location": "left knee", "weeks_ago": 6}]},
        {"pregnancy": {"trimester": 2, "cleared_by_physician": False}},
        {"conditions": ["deep_vein_thrombosis"]},
    ],
)
def test_red_flags_get_a_referral_not_a_plan(client: TestClient, screening: dict[str, Any]) -> None:
    plan = _plan(client, screening=screening)
    assert plan["status"] == "referral"
    assert "phases" not in plan
    assert plan["referral"]["reasons"] and "physician" in plan["referral"]["advice"]


def test_bodyweight_only_plans_need_no_equipment(client: TestClient) -> None:
    plan = _plan(client, preferences={"equipment": []})
    items = _exercises(plan)
    assert items and all(item["exercise"]["equipment"] == [] for item in items)
    assert {p["phase"] for p in plan["phases"] if p["exercises"]} >= {"lengthen", "activate", "integrate"}


def test_a_foam_roller_only_client_gets_only_roller_or_bodyweight_work(client: TestClient) -> None:
    plan = _plan(client, preferences={"equipment": ["foam_roller"]})
    assert all(set(i["exercise"]["equipment"]) <= {"foam_roller"} for i in _exercises(plan))
    assert _exercises(plan, "inhibit")


def test_a_ten_minute_warm_up_fits_in_ten_minutes(client: TestClient) -> None:
    plan = _plan(client, preferences={"mode": "warm_up", "session_minutes": 10})
    assert 0 < plan["estimated_minutes"] <= 10
    standalone = _plan(client)
    assert len(_exercises(plan)) < len(_exercises(standalone))
    assert any(o["reason"] in ("time_budget", "phase_limit") for o in plan["omitted"])


def test_a_cool_down_is_rolling_and_stretching_only(client: TestClient) -> None:
    plan = _plan(client, preferences={"mode": "cool_down"})
    assert _exercises(plan, "activate") == [] and _exercises(plan, "integrate") == []
    assert _exercises(plan, "inhibit") and _exercises(plan, "lengthen")


def test_choosing_another_template_changes_the_plan(client: TestClient) -> None:
    house = _plan(client, preferences={"template": {"slug": "extended_holds"}})
    assert house["template"]["slug"] == "extended_holds" and house["template"]["version"] == 1
    inhibit = next(p for p in house["phases"] if p["phase"] == "inhibit")
    assert inhibit["acute_variables"]["hold_seconds"] == 60
    assert all(e["hold_seconds"] == 60 for e in inhibit["exercises"])


def test_side_specific_findings_give_side_specific_prescriptions(client: TestClient) -> None:
    body = {
        "assessments": [{"type": "single_leg_squat", "findings": [{"compensation": "hip_drop", "side": "left"}]}],
        "preferences": {"level": 3},
    }
    plan = client.post("/v1/plans", json=body).json()
    activate = _exercises(plan, "activate")
    assert activate and {e["side"] for e in activate} <= {"left", None}
    assert any(e["side"] == "left" for e in activate)


def test_a_same_side_conflict_is_activated_only(client: TestClient) -> None:
    body = {
        "assessments": [
            {
                "type": "overhead_squat",
                "findings": [
                    {"compensation": "low_back_arches", "side": None},
                    {"compensation": "excessive_forward_lean", "side": None},
                ],
            }
        ]
    }
    plan = client.post("/v1/plans", json=body).json()
    lengthened = {m for e in _exercises(plan, "lengthen") for m in e["muscles"]}
    assert "erector_spinae" not in lengthened
    assert "erector_spinae" in {m for e in _exercises(plan, "activate") for m in e["muscles"]}
    assert any(o["reason"] == "conflict" and o["muscle"] == "erector_spinae" for o in plan["omitted"])
    assert any(w["code"] == "conflict:erector_spinae" and "mobility test" in w["message"] for w in plan["warnings"])


def _problem(response: Any, code: str, field: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert [e["field"] for e in body["errors"]] == [field]
    return body


@pytest.mark.parametrize(
    ("body", "code", "field", "allowed"),
    [
        (
            {"assessments": [{"type": "overhead_squat", "findings": [{"compensation": "knees_wobble"}]}]},
            "unknown_compensation",
            "assessments.0.findings.0.compensation",
            "knees_move_inward",
        ),
        (
            {"assessments": [{"type": "push", "findings": [{"compensation": "feet_turn_out"}]}]},
            "invalid_findings",
            "assessments.0.findings.0.compensation",
            "shoulders_elevate",
        ),
        ({"assessments": [SQUAT], "ruleset": "nasm_2030"}, "unknown_ruleset", "ruleset", "nasm_cpt7_2021"),
        (
            {"assessments": [SQUAT], "preferences": {"template": {"slug": "nope"}}},
            "unknown_template",
            "preferences.template.slug",
            "extended_holds",
        ),
        (
            {"assessments": [SQUAT], "preferences": {"template": {"slug": "nasm_cex_standard", "version": 9}}},
            "template_version_unavailable",
            "preferences.template.version",
            "1",
        ),
        (
            {"assessments": [SQUAT], "preferences": {"equipment": ["kettlebell"]}},
            "unknown_equipment",
            "preferences.equipment.0",
            "foam_roller",
        ),
        (
            {"assessments": [SQUAT], "screening": {"conditions": ["bad_knees"]}},
            "unknown_condition",
            "screening.conditions.0",
            "osteoporosis",
        ),
        (
            {
                "assessments": [{"type": "overhead_squat", "findings": [{"compensation": "feet_flatten"}]}],
                "ruleset": "nasm_cpt4_6",
            },
            "invalid_findings",
            "assessments.0.findings.0.compensation",
            "feet_turn_out",
        ),
    ],
)
def test_unknown_ids_are_422_naming_the_field_and_the_allowed_values(
    client: TestClient, body: dict[str, Any], code: str, field: str, allowed: str
) -> None:
    for path in ("/v1/plans", "/v1/analyses"):
        if path == "/v1/analyses" and field.startswith(("preferences", "screening")):
            continue
        problem = _problem(client.post(path, json=body), code, field)
        assert allowed in problem["allowed"]


@pytest.mark.parametrize(
    ("findings", "field"),
    [
        (
            [
                {"compensation": "knees_move_inward", "side": "left"},
                {"compensation": "knees_move_outward", "side": "bilateral"},
            ],
            "assessments.0.findings.1.compensation",
        ),
        (
            [{"compensation": "low_back_arches"}, {"compensation": "low_back_rounds"}],
            "assessments.0.findings.1.compensation",
        ),
        (
            [{"compensation": "feet_turn_out", "side": "left"}, {"compensation": "feet_turn_out", "side": "bilateral"}],
            "assessments.0.findings.1.side",
        ),
    ],
)
def test_contradictory_or_repeated_findings_are_422(
    client: TestClient, findings: list[dict[str, Any]], field: str
) -> None:
    body = {"assessments": [{"type": "overhead_squat", "findings": findings}]}
    _problem(client.post("/v1/plans", json=body), "invalid_findings", field)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"assessments": [{"type": "overhead_squat", "findings": []}]}, "assessments.0.findings"),
        ({"assessments": []}, "assessments"),
        (
            {"assessments": [{"type": "deadlift", "findings": [{"compensation": "knees_move_inward"}]}]},
            "assessments.0.type",
        ),
        ({"assessments": [SQUAT], "colour": "blue"}, "colour"),
        ({"assessments": [SQUAT], "preferences": {"session_minutes": "10"}}, "preferences.session_minutes"),
        ({"assessments": [SQUAT], "preferences": {"mode": "marathon"}}, "preferences.mode"),
        ({"assessments": [SQUAT], "screening": {"current_pain": "no"}}, "screening.current_pain"),
    ],
)
def test_malformed_requests_are_422_validation_problems(client: TestClient, body: dict[str, Any], field: str) -> None:
    _problem(client.post("/v1/plans", json=body), "validation_error", field)


def test_batch_answers_each_request_on_its_own(client: TestClient) -> None:
    good = {"assessments": [SQUAT]}
    bad = {"assessments": [{"type": "overhead_squat", "findings": [{"compensation": "knees_wobble"}]}]}
    malformed = {"assessments": "squat"}
    response = client.post("/v1/plans/batch", json={"requests": [good, bad, malformed, good]})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [200, 422, 422, 200]
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert results[0]["plan"] == results[3]["plan"] == client.post("/v1/plans", json=good).json()
    assert results[1]["problem"]["code"] == "unknown_compensation"
    assert results[1]["problem"]["errors"][0]["field"] == "requests.1.assessments.0.findings.0.compensation"
    assert results[2]["problem"]["code"] == "validation_error"
    assert results[2]["problem"]["errors"][0]["field"].startswith("requests.2.assessments")


def test_batch_size_is_limited(client: TestClient) -> None:
    response = client.post("/v1/plans/batch", json={"requests": [{"assessments": [SQUAT]}] * 101})
    _problem(response, "validation_error", "requests")


def test_the_command_line_prints_the_same_plan(settings: Settings, client: TestClient) -> None:
    body = {"assessments": [SQUAT], "preferences": {"mode": "warm_up"}}
    env = {"CEPLAN_DATABASE_URL": settings.database_url, "CEPLAN_AUTO_MIGRATE": "false", "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "plan", "-"],
        input=json.dumps(body),
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip().encode() == client.post("/v1/plans", json=body).content
