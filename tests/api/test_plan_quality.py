"""What a certified corrective-exercise specialist checks before a plan reaches a client (issue 11: each test is one
class of defect the blind grading found, with its example)."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import get_settings
from app.domain.catalogue import Catalogue

SQUAT = {
    "type": "overhead_squat",
    "findings": [
        {"compensation": "knees_move_inward", "side": "bilateral"},
        {"compensation": "low_back_arches", "side": None},
        {"compensation": "feet_turn_out", "side": "left"},
    ],
}
SCREENED: dict[str, Any] = {"current_pain": False, "conditions": []}
FULL_KIT = ["foam_roller", "massage_ball", "handheld_roller", "resistance_band", "mini_band", "bench", "strap"]


def _plan(client: TestClient, **body: Any) -> dict[str, Any]:
    body.setdefault("assessments", [SQUAT])
    response = client.post("/v1/plans", json=body)
    assert response.status_code == 200, response.text
    plan: dict[str, Any] = response.json()
    return plan


def _items(plan: dict[str, Any], phase: str | None = None) -> list[dict[str, Any]]:
    return [item for p in plan["phases"] if phase in (None, p["phase"]) for item in p["exercises"]]


def _tags(catalogue: Catalogue, item: dict[str, Any]) -> set[str]:
    exercise = catalogue.exercises[item["exercise"]["slug"]]
    return set(exercise.tags)


# --- 1. safe for the intake ----------------------------------------------------------------------------------------


def test_no_floor_work_and_only_supported_balance_for_a_client_who_cannot_get_down_and_may_fall(
    client: TestClient, catalogue: Catalogue
) -> None:
    """Example: `difficulty_getting_to_floor` + `fall_risk` got a half-kneeling stretch, a hands-and-knees exercise,
    a crossed-feet side bend without support and free-standing squats."""
    screening = {"conditions": ["difficulty_getting_to_floor", "fall_risk"]}
    plan = _plan(client, screening=screening, preferences={"session_minutes": 30, "equipment": FULL_KIT})
    items = _items(plan)
    assert items, "the client still gets a plan"
    for item in items:
        tags = _tags(catalogue, item)
        assert not tags & {"floor", "unsupported_balance", "free_squat"}, item["exercise"]["slug"]
        assert item["exercise"]["position"] in ("standing", "seated_chair")
    assert {p["phase"] for p in plan["phases"] if p["exercises"]} >= {"inhibit", "lengthen", "activate"}


def test_isometrics_are_capped_at_moderate_effort_with_a_breathing_cue_for_high_blood_pressure(
    client: TestClient, catalogue: Catalogue
) -> None:
    """Example: isometrics "to full effort" for a client with controlled hypertension."""
    findings = {"type": "overhead_squat", "findings": [{"compensation": "feet_turn_out", "side": "bilateral"}]}
    plan = _plan(client, assessments=[findings], screening={"conditions": ["controlled_hypertension"]})
    isometrics = [i for i in _items(plan) if i["modality"] == "positional_isometric"]
    for item in isometrics:
        assert item["effort"] in ("light", "moderate")
        if catalogue.exercises[item["exercise"]["slug"]].effort == "maximal":
            assert any("breathe out" in note.lower() for note in item["notes"])
    assert not any("head_below_heart" in _tags(catalogue, i) for i in _items(plan))


def test_a_pregnant_client_in_the_second_trimester_gets_no_lying_and_no_leg_rolling(
    client: TestClient, catalogue: Catalogue
) -> None:
    """Example: calf rolling next to a warning about veins, in the second trimester."""
    screening = {"pregnancy": {"trimester": 2, "cleared_by_physician": True}}
    plan = _plan(client, screening=screening)
    for item in _items(plan):
        tags = _tags(catalogue, item)
        assert not tags & {"supine", "prone", "smr_lower_limb", "unsupported_balance"}, item["exercise"]["slug"]
    # An arched low back is normal in pregnancy: the plan says so rather than treating it as an imbalance.
    assert any(w["code"] == "pregnancy_low_back_arch" for w in plan["warnings"])


# --- 2. no contradiction through an exercise's other targets ------------------------------------------------------


def _sides(item: dict[str, Any]) -> set[str]:
    return {item["side"]} if item["side"] in ("left", "right") else {"left", "right"}


def _analysis_sides(plan: dict[str, Any], role: str) -> dict[str, set[str]]:
    found = {}
    for implication in plan["analysis"][role]:
        sides = set(implication["sides"])
        found[implication["muscle"]] = {"left", "right"} if "unspecified" in sides else sides
    return found


@pytest.mark.parametrize(
    "assessments",
    [
        [SQUAT],
        [{"type": "single_leg_squat", "findings": [{"compensation": "knee_valgus", "side": "left"}]}],
        [{"type": "overhead_squat", "findings": [{"compensation": "knees_move_outward", "side": "bilateral"}]}],
        [{"type": "overhead_squat", "findings": [{"compensation": "low_back_rounds", "side": None}]}],
    ],
)
def test_rolling_and_stretching_never_work_a_weak_muscle_and_activation_never_a_tight_one(
    client: TestClient, catalogue: Catalogue, assessments: list[dict[str, Any]]
) -> None:
    """Examples: a glute-minimus ball release that also rolls the weak glute medius; the whole hamstring complex rolled
    while the medial hamstrings are weak; a hamstring curl "activating" overactive hamstrings."""
    plan = _plan(client, assessments=assessments, screening=SCREENED, preferences={"level": 3})
    over, under = _analysis_sides(plan, "overactive"), _analysis_sides(plan, "underactive")
    for phase, forbidden in (
        ("inhibit", under),
        ("lengthen", under),
        ("activate", {m: s - under.get(m, set()) for m, s in over.items()}),
    ):
        for item in _items(plan, phase):
            exercise = catalogue.exercises[item["exercise"]["slug"]]
            worked = catalogue.worked(exercise)
            for muscle, sides in forbidden.items():
                if sides & _sides(item):
                    assert not catalogue.down(muscle) & worked, (phase, exercise.slug, muscle)


def test_a_conflict_names_the_test_that_decides_it_and_says_what_the_plan_does(client: TestClient) -> None:
    """Example: "Only activation is planned for it" where none was."""
    assessments = [
        {"type": "overhead_squat", "findings": [{"compensation": "excessive_forward_lean", "side": None}]},
        {"type": "push", "findings": [{"compensation": "low_back_arches", "side": None}]},
    ]
    plan = _plan(client, assessments=assessments, screening=SCREENED)
    conflicts = {c["muscle"] for c in plan["analysis"]["conflicts"]}
    assert conflicts
    activated = {m for item in _items(plan, "activate") for m in item["rationale"]["muscles"]}
    for muscle in conflicts:
        warning = next(w["message"] for w in plan["warnings"] if w["code"] == f"conflict:{muscle}")
        assert "test" in warning
        assert ("only strengthens it" in warning) == (muscle in activated)


# --- 3. priorities: coverage first ------------------------------------------------------------------------------


def test_one_exercise_serving_several_weak_upper_back_muscles_is_kept_for_arms_falling_forward(
    client: TestClient,
) -> None:
    """Example: `prone_cobra` (glute max, erectors, lower and middle trapezius, rhomboids) dropped for single-muscle
    heel and toe raises, leaving no upper-back work for arms falling forward."""
    assessments = [
        {
            "type": "overhead_squat",
            "findings": [
                {"compensation": "arms_fall_forward", "side": None},
                {"compensation": "feet_turn_out", "side": "bilateral"},
                {"compensation": "knees_move_inward", "side": "bilateral"},
            ],
        }
    ]
    plan = _plan(client, assessments=assessments, screening=SCREENED, preferences={"mode": "warm_up"})
    upper_back = {"lower_trapezius", "middle_trapezius", "rhomboids", "rotator_cuff"}
    served = {m for item in _items(plan, "activate") for m in item["rationale"]["muscles"]}
    assert served & upper_back


def test_muscles_rolled_are_also_stretched_when_there_is_room(client: TestClient) -> None:
    """Example: adductors, the first-listed muscle for knees moving in, rolled but never stretched."""
    plan = _plan(client, screening=SCREENED, preferences={"equipment": FULL_KIT})
    rolled = {m for item in _items(plan, "inhibit") for m in item["rationale"]["muscles"]}
    stretched = {m for item in _items(plan, "lengthen") for m in item["rationale"]["muscles"]}
    omitted = {o["muscle"] for o in plan["omitted"] if o["phase"] == "lengthen"}
    assert "adductor_complex" in rolled | omitted
    assert rolled - omitted <= stretched | omitted


# --- 4. the session's time is used ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "minutes"), [("cool_down", 15), ("standalone", 30), ("warm_up", 25), ("standalone", 45)]
)
def test_the_session_time_is_used(client: TestClient, mode: str, minutes: int) -> None:
    """Examples: 4 of 15 minutes (cool-down), 17 of 30, 19 of 25, 35 of 45, with items dropped "because the template
    allows N exercises in this mode", always one set."""
    plan = _plan(
        client, screening=SCREENED, preferences={"mode": mode, "session_minutes": minutes, "equipment": FULL_KIT}
    )
    assert plan["estimated_minutes"] <= minutes
    left_out_for_time = [o for o in plan["omitted"] if o["reason"] in ("time_budget", "phase_limit")]
    if plan["estimated_minutes"] < 0.9 * minutes:
        assert left_out_for_time == []
    assert not any("template allows" in o["detail"] for o in plan["omitted"])


def test_more_time_brings_more_sets(client: TestClient) -> None:
    short = _plan(client, screening=SCREENED, preferences={"session_minutes": 20, "equipment": FULL_KIT})
    long = _plan(client, screening=SCREENED, preferences={"session_minutes": 60, "equipment": FULL_KIT})
    assert max(i["sets"] for i in _items(long)) > 1
    assert sum(i["sets"] for i in _items(long)) > sum(i["sets"] for i in _items(short))


# --- 5. levels grade activation and integration, not the tool -----------------------------------------------------


def test_a_client_with_a_foam_roller_and_no_level_gets_tfl_rolling_and_no_level_claim(client: TestClient) -> None:
    """Example: a foam roller and no stated level gave no TFL rolling, "above the client's level 1"."""
    plan = _plan(client, screening=SCREENED, preferences={"equipment": ["foam_roller"]})
    rolled = {m for item in _items(plan, "inhibit") for m in item["rationale"]["muscles"]}
    assert "tensor_fasciae_latae" in rolled
    assert not any("above" in o["detail"] and "level" in o["detail"] for o in plan["omitted"])
    assert not any(o["reason"] == "above_level" for o in plan["omitted"] if o["phase"] in ("inhibit", "lengthen"))


# --- 6. omissions give the reason that decided them -----------------------------------------------------------------


def test_an_omission_blames_equipment_only_when_equipment_is_what_is_missing(
    client: TestClient, catalogue: Catalogue
) -> None:
    """Example: "tfl_ball_release needs massage_ball" for a client who owns a foam roller and was blocked by level;
    the same muscle omitted twice with two reasons."""
    plan = _plan(client, screening=SCREENED, preferences={"equipment": ["foam_roller"], "session_minutes": 60})
    keys = [(o["phase"], o["muscle"]) for o in plan["omitted"] if o["muscle"]]
    assert len(keys) == len(set(keys))
    for omission in plan["omitted"]:
        if omission["reason"] == "missing_equipment":
            exercise = catalogue.exercises[omission["exercise"]]
            assert set(exercise.equipment) - {"foam_roller"}
            name = catalogue.equipment[sorted(set(exercise.equipment) - {"foam_roller"})[0]].name.lower()
            assert name in omission["detail"].lower()


# --- 7. warnings and notes say only what is true ------------------------------------------------------------------


def test_one_sided_prescriptions_say_their_side_and_never_the_other(client: TestClient) -> None:
    """Example: one-sided prescriptions whose instructions say "repeat on the other leg"."""
    assessments = [{"type": "single_leg_squat", "findings": [{"compensation": "knee_valgus", "side": "right"}]}]
    plan = _plan(client, assessments=assessments, screening=SCREENED)
    one_sided = [i for i in _items(plan) if i["side"] in ("left", "right")]
    assert one_sided
    for item in one_sided:
        assert item["side"] in item["side_text"].lower()
        text = " ".join(item["exercise"]["instructions"]).lower()
        assert not re.search(r"\b(?:other|opposite) (?:side|leg|arm)\b|\bswitch (?:sides|legs)\b", text)


def test_lifestyle_advice_follows_what_the_client_reported(client: TestClient) -> None:
    """Example: office-worker and running advice for people who said nothing about either."""
    silent = _plan(client, screening=SCREENED)
    codes = {n["code"] for n in silent["lifestyle"]}
    assert not codes & {"prolonged_sitting", "computer_work", "running_load", "sleep", "stress"}
    told = _plan(
        client,
        screening=SCREENED,
        lifestyle={"sitting_hours": 9, "activities": ["desk_work", "running"], "sleep_hours": 5.5, "stress": 4},
    )
    assert {n["code"] for n in told["lifestyle"]} >= {
        "prolonged_sitting",
        "computer_work",
        "running_load",
        "sleep",
        "stress",
    }
    text = " ".join(n["message"] for n in told["lifestyle"])
    assert "from this plan" not in text


# --- 8. words for people -----------------------------------------------------------------------------------------


def test_text_for_people_uses_names_not_ids(client: TestClient, catalogue: Catalogue) -> None:
    """Example: "Inhibit overactive biceps_femoris_short_head: found with feet_turn_out (bilateral) in
    overhead_squat"."""
    ids = {
        s
        for s in (*catalogue.muscles, *catalogue.compensations, *catalogue.exercises, *catalogue.equipment)
        if "_" in s
    }
    ids |= {s for s in (*catalogue.conditions, *catalogue.assessments) if "_" in s}
    screening = {
        "conditions": ["osteoporosis", "fall_risk"],
        "injuries": [{"kind": "injury", "location": "ankle", "weeks_ago": 60}],
    }
    plan = _plan(client, screening=screening, preferences={"equipment": ["foam_roller"], "session_minutes": 20})
    texts = [i["rationale"]["text"] for i in _items(plan)]
    texts += [n["message"] for n in (*plan["warnings"], *plan["lifestyle"])]
    texts += [o["detail"] for o in plan["omitted"]]
    words = {w for text in texts for w in re.findall(r"[a-z0-9]+(?:_[a-z0-9]+)+", text)}
    assert words & ids == set()


# --- 9. screening and assumptions are said --------------------------------------------------------------------------


def test_a_plan_without_screening_says_so_first_and_names_the_equipment_it_assumed(
    client: TestClient, catalogue: Catalogue
) -> None:
    """Example: half the requests had no screening block and got full plans with no warning; with no equipment list
    the plan silently assumed a foam roller, balls, a strap and a bench."""
    plan = _plan(client)
    assert plan["warnings"][0]["code"] == "not_screened"
    assumed = next(w["message"] for w in plan["warnings"] if w["code"] == "assumed_equipment")
    used = {e for item in _items(plan) for e in item["exercise"]["equipment"]}
    assert used
    for slug in used:
        assert catalogue.equipment[slug].name.lower() in assumed.lower()
    screened = _plan(client, screening=SCREENED, preferences={"equipment": []})
    assert not {w["code"] for w in screened["warnings"]} & {"not_screened", "assumed_equipment"}


def test_a_service_may_refuse_unscreened_requests(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEPLAN_REQUIRE_SCREENING", "true")
    get_settings.cache_clear()
    try:
        refused = client.post("/v1/plans", json={"assessments": [SQUAT]})
        assert refused.status_code == 422
        assert refused.json()["code"] == "screening_required"
        assert refused.json()["errors"][0]["field"] == "screening"
        assert client.post("/v1/plans", json={"assessments": [SQUAT], "screening": SCREENED}).status_code == 200
    finally:
        monkeypatch.delenv("CEPLAN_REQUIRE_SCREENING")
        get_settings.cache_clear()


def test_an_entered_posture_pattern_leads_the_resemblances(client: TestClient) -> None:
    """Example: an entered lower crossed syndrome shown as resembling pronation distortion instead."""
    assessments = [
        SQUAT,
        {"type": "static_posture", "findings": [{"compensation": "lower_crossed_syndrome", "side": None}]},
    ]
    plan = _plan(client, assessments=assessments, screening=SCREENED)
    patterns = plan["analysis"]["patterns"]
    assert patterns[0]["pattern"] == "lower_crossed_syndrome"
    assert all(len(p["matched_overactive"]) + len(p["matched_underactive"]) >= 2 for p in patterns[1:])


# --- 10. referrals that help -----------------------------------------------------------------------------------------


def test_a_referral_hands_the_clinician_the_findings_and_the_urgent_signs_and_nothing_of_a_plan(
    client: TestClient,
) -> None:
    plan = _plan(client, screening={"current_pain": True, "pain_locations": ["left knee"]})
    assert plan["status"] == "referral"
    for field in ("phases", "template", "mode", "estimated_minutes", "frequency_per_week", "reassess_after_weeks"):
        assert field not in plan
    referral = plan["referral"]
    assert "Knees move inward (both sides) in the overhead squat assessment." in referral["findings"]
    assert referral["urgent_signs"]
    assert "left knee" in referral["reasons"][0]["message"]


def test_a_part_overactive_inside_an_underactive_group_is_named_with_its_test(client: TestClient) -> None:
    """Example (second grading): hamstrings weak with the low-back arch, the short head of the biceps femoris tight
    with knees moving in; the short head was silently left out, with no test offered."""
    plan = _plan(client, screening=SCREENED)
    overlap = next(w["message"] for w in plan["warnings"] if w["code"].startswith("overlap:biceps_femoris_short_head"))
    assert "test" in overlap and "hamstrings" in overlap


def test_every_exercise_says_when_to_stop_and_what_comes_next(client: TestClient, catalogue: Catalogue) -> None:
    plan = _plan(client, screening=SCREENED, preferences={"equipment": FULL_KIT, "level": 2})
    items = _items(plan)
    assert all("Stop if you feel pain" in item["stop_rule"] for item in items)
    steps = [item[key] for item in items for key in ("progression", "regression") if item[key]]
    assert steps
    for step in steps:
        linked = catalogue.exercises[step["slug"]]
        assert set(linked.equipment) <= set(FULL_KIT) and step["when"]
