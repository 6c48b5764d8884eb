"""Each rule of the auditor fires on a hand-built answer that breaks it, and stays quiet on one that keeps it.

A small seed of its own (written to a temporary folder) keeps these tests independent of the real seed, which
may be mid-edit: `clean()` is a request and an answer keeping every rule, and each test breaks one thing."""

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.audit.auditor import CONTRACT_SAFETY, RULES, Knowledge, Violation, audit

Json = dict[str, Any]


def _muscle(slug: str, *groups: str, smr_safe: bool = True) -> Json:
    return {"slug": slug, "name": slug.replace("_", " ").capitalize(), "member_of": list(groups), "smr_safe": smr_safe}


def _exercise(slug: str, phase: str, modality: str, targets: list[str], position: str, **extra: Any) -> Json:
    exercise: Json = {
        "slug": slug,
        "name": slug.replace("_", " "),
        "phase": phase,
        "modality": modality,
        "targets": targets,
        "equipment": [],
        "level": 1,
        "unilateral": False,
        "tags": [],
        "position": position,
        "stance": "bilateral" if position == "standing" else "none",
        "supported": False,
        "instructions": ["Get into position.", "Hold for the time your plan sets."],
    }
    return exercise | extra


SEED: dict[str, Any] = {
    "muscles.yaml": [
        _muscle("hamstring_complex"),
        _muscle("medial_hamstring_complex", "hamstring_complex"),
        _muscle("biceps_femoris", "hamstring_complex"),
        _muscle("biceps_femoris_short_head", "biceps_femoris"),
        _muscle("gluteus_maximus"),
        _muscle("gluteus_medius"),
        _muscle("erector_spinae", smr_safe=False),
        _muscle("soleus"),
    ],
    "equipment.yaml": [{"slug": s} for s in ("foam_roller", "handheld_roller", "strap", "stability_ball")],
    "assessments.yaml": [{"slug": "overhead_squat"}, {"slug": "static_posture"}],
    "compensations.yaml": [
        {"slug": "feet_turn_out", "lateral": True, "assessments": [{"assessment": "overhead_squat"}]},
        {"slug": "low_back_arches", "lateral": False, "assessments": [{"assessment": "overhead_squat"}]},
        {"slug": "lower_crossed_syndrome", "lateral": False, "assessments": [{"assessment": "static_posture"}]},
        {"slug": "upper_crossed_syndrome", "lateral": False, "assessments": [{"assessment": "static_posture"}]},
    ],
    "rulesets/mini.yaml": {
        "slug": "mini",
        "default": True,
        "rows": [
            {"assessment": "overhead_squat", "compensation": "feet_turn_out"},
            {"assessment": "overhead_squat", "compensation": "low_back_arches"},
            {"assessment": "static_posture", "compensation": "lower_crossed_syndrome"},
            {"assessment": "static_posture", "compensation": "upper_crossed_syndrome"},
        ],
    },
    "conditions.yaml": [
        {"slug": "difficulty_getting_to_floor", "action": "exclude", "excludes": ["floor"]},
        {"slug": "fall_risk", "action": "exclude", "excludes": ["unsupported_balance", "free_squat"]},
        {"slug": "controlled_hypertension", "action": "exclude", "excludes": ["head_below_heart"]},
        {"slug": "deep_vein_thrombosis", "action": "refer", "excludes": []},
    ],
    "screening.yaml": {
        "recent_injury_weeks": 26,
        "pregnancy": {
            "without_clearance": "refer",
            "excludes_by_trimester": {
                1: [],
                2: ["supine", "prone", "unsupported_balance", "high_impact", "smr_lower_limb", "head_below_heart"],
                3: ["supine", "prone", "unsupported_balance", "high_impact", "smr_lower_limb", "head_below_heart"],
            },
        },
    },
    "lifestyle.yaml": [{"slug": "prolonged_sitting"}, {"slug": "computer_work"}, {"slug": "sleep"}],
    "mobility_tests.yaml": {"tests": [{"slug": "knee_to_wall", "name": "knee-to-wall lunge", "muscles": ["soleus"]}]},
    "templates/house.yaml": {"slug": "house", "versions": [{"version": 1, "status": "published"}]},
    "exercise_safety.yaml": {
        "positions": {
            "standing": {"floor": False, "group": 3, "tags": []},
            "seated_chair": {"floor": False, "group": 2, "tags": []},
            "seated_floor": {"floor": True, "group": 1, "tags": ["floor"]},
            "supine": {"floor": True, "group": 1, "tags": ["floor", "supine"]},
            "side_lying": {"floor": True, "group": 1, "tags": ["floor", "side_lying"]},
        },
        "stances": {
            "none": {"tags": [], "unsupported_tags": []},
            "bilateral": {"tags": [], "unsupported_tags": []},
            "staggered": {"tags": [], "unsupported_tags": []},
            "single_leg": {"tags": ["single_leg"], "unsupported_tags": ["unsupported_balance"]},
        },
        "efforts": {
            "light": {"rank": 1, "tags": []},
            "moderate": {"rank": 2, "tags": []},
            "maximal": {"rank": 3, "tags": ["maximal_isometric"]},
        },
        "effort_caps": {"effort": "moderate", "for_conditions": ["controlled_hypertension"], "for_pregnancy": True},
    },
    "exercises/all.yaml": [
        _exercise(
            "lateral_hamstring_roll",
            "inhibit",
            "smr",
            ["biceps_femoris_short_head"],
            "seated_floor",
            equipment=["foam_roller"],
            unilateral=True,
            tags=["smr", "smr_lower_limb"],
        ),
        _exercise("hamstring_roll", "inhibit", "smr", ["hamstring_complex"], "seated_floor", equipment=["foam_roller"]),
        _exercise("soleus_chair_roll", "inhibit", "smr", ["soleus"], "seated_chair", equipment=["handheld_roller"]),
        _exercise(
            "standing_soleus_stretch",
            "lengthen",
            "static_stretch",
            ["soleus"],
            "standing",
            stance="staggered",
            supported=True,
            unilateral=True,
            tags=["stretch"],
        ),
        _exercise(
            "lying_hamstring_stretch", "lengthen", "static_stretch", ["biceps_femoris"], "supine", tags=["stretch"]
        ),
        _exercise("glute_bridge", "activate", "isolated_strengthening", ["gluteus_maximus"], "supine"),
        _exercise("ball_hamstring_curl", "activate", "isolated_strengthening", ["hamstring_complex"], "supine"),
        _exercise(
            "standing_hip_isometric",
            "activate",
            "positional_isometric",
            ["gluteus_medius"],
            "standing",
            stance="single_leg",
            supported=True,
            effort="maximal",
        ),
        _exercise(
            "ball_wall_squat",
            "integrate",
            "integrated_dynamic",
            ["gluteus_maximus"],
            "standing",
            equipment=["stability_ball"],
            supported=True,
            for_compensations=["feet_turn_out", "low_back_arches"],
        ),
    ],
}


def write_seed(folder: Path, seed: dict[str, Any]) -> Path:
    for name, content in seed.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def knowledge(tmp_path_factory: pytest.TempPathFactory) -> Knowledge:
    return Knowledge.load(write_seed(tmp_path_factory.mktemp("seed"), SEED))


def _evidence(compensation: str = "feet_turn_out", side: str | None = "left") -> list[Json]:
    return [{"assessment": "overhead_squat", "compensation": compensation, "side": side}]


def _implication(muscle: str, *sides: str) -> Json:
    return {"muscle": muscle, "sides": list(sides), "evidence": _evidence()}


def item(
    slug: str,
    modality: str,
    position: str,
    muscles: list[str],
    side: str | None = None,
    side_text: str | None = None,
    **extra: Any,
) -> Json:
    planned: Json = {
        "exercise": {
            "slug": slug,
            "name": slug,
            "instructions": ["Get into position.", "Hold for the time your plan sets."],
        },
        "muscles": muscles,
        "side": side,
        "side_text": side_text,
        "modality": modality,
        "position": position,
        "effort": None,
        "notes": [],
        "stop_rule": "Stop if you feel pain, numbness, tingling or dizziness.",
        "progression": None,
        "regression": None,
        "sets": 1,
        "reps": None,
        "hold_seconds": 30,
        "tempo": "slow",
        "rest_seconds": 0,
        "rationale": {"muscles": muscles, "findings": _evidence(), "text": "Eases the tight outer hamstring."},
    }
    return planned | extra


def phase(name: str, *items: Json) -> Json:
    return {"phase": name, "modalities": list(dict.fromkeys(i["modality"] for i in items)), "exercises": list(items)}


def clean() -> tuple[Json, Json]:
    """A request (feet turn out on the left) and an answer that keeps every rule."""
    request: Json = {
        "assessments": [{"type": "overhead_squat", "findings": [{"compensation": "feet_turn_out", "side": "left"}]}],
        "screening": {"conditions": []},
        "preferences": {"equipment": ["foam_roller", "strap", "stability_ball"], "level": 2, "session_minutes": 20},
    }
    answer: Json = {
        "plan_id": "0" * 32,
        "status": "plan",
        "template": {"slug": "house", "version": 1, "title": "House"},
        "ruleset": {"slug": "mini", "name": "Mini"},
        "mode": "standalone",
        "analysis": {
            "ruleset": {"slug": "mini", "name": "Mini"},
            "overactive": [_implication("biceps_femoris_short_head", "left"), _implication("soleus", "left")],
            "underactive": [_implication("medial_hamstring_complex", "left"), _implication("gluteus_maximus", "left")],
            "conflicts": [],
            "patterns": [],
        },
        "referral": None,
        "phases": [
            phase(
                "inhibit",
                item(
                    "lateral_hamstring_roll",
                    "smr",
                    "seated_floor",
                    ["biceps_femoris_short_head"],
                    "left",
                    "Left side only.",
                ),
            ),
            phase(
                "lengthen",
                item("standing_soleus_stretch", "static_stretch", "standing", ["soleus"], "left", "Left leg only."),
            ),
            phase("activate", item("glute_bridge", "isolated_strengthening", "supine", ["gluteus_maximus"], reps=12)),
            phase("integrate", item("ball_wall_squat", "integrated_dynamic", "standing", ["gluteus_maximus"])),
        ],
        "estimated_minutes": 19,
        "session_minutes": 20,
        "frequency_per_week": "3-7",
        "reassess_after_weeks": 4,
        "warnings": [],
        "lifestyle": [{"code": "sleep", "message": "Sleep: seven to nine hours a night helps recovery."}],
        "omitted": [],
    }
    return request, answer


def referral() -> tuple[Json, Json]:
    request, _ = clean()
    request["screening"] = {"current_pain": True}
    answer: Json = {
        "plan_id": "1" * 32,
        "status": "referral",
        "ruleset": {"slug": "mini", "name": "Mini"},
        "analysis": {"overactive": [], "underactive": [], "conflicts": [], "patterns": []},
        "referral": {
            "reasons": [{"code": "current_pain", "message": "The person reports current pain."}],
            "advice": "Please see a physician or physical therapist first.",
            "findings": ["Feet turn out on the left in the overhead squat."],
            "urgent_signs": ["Pain that is severe or getting worse."],
        },
        "warnings": [],
    }
    return request, answer


def rules(request: Json, answer: Json, knowledge: Knowledge) -> set[str]:
    return {v.rule for v in audit(request, answer, knowledge)}


def fired(request: Json, answer: Json, knowledge: Knowledge, rule: str) -> list[Violation]:
    return [v for v in audit(request, answer, knowledge) if v.rule == rule]


def omission(reason: str, phase_name: str | None, muscle: str | None, detail: str = "Left out.", **extra: Any) -> Json:
    return {
        "reason": reason,
        "phase": phase_name,
        "detail": detail,
        "muscle": muscle,
        "side": None,
        "exercise": None,
        "compensation": None,
    } | extra


def exercises(answer: Json, phase_name: str) -> list[Json]:
    found: list[Json] = next(p for p in answer["phases"] if p["phase"] == phase_name)["exercises"]
    return found


# --- the clean plan and referral keep every rule ------------------------------------------------------------------


def test_the_clean_plan_keeps_every_rule(knowledge: Knowledge) -> None:
    assert audit(*clean(), knowledge) == []


def test_the_clean_referral_keeps_every_rule(knowledge: Knowledge) -> None:
    assert audit(*referral(), knowledge) == []


def test_every_rule_code_is_tested() -> None:
    tested = {name.removeprefix("test_").split("__")[0] for name in globals() if name.startswith("test_")}
    untested = set(RULES) - tested - {"request_rejected"}  # that one belongs to the property test's harness
    assert not untested, f"no unit test for {sorted(untested)}"


# --- shape --------------------------------------------------------------------------------------------------------


def test_shape__a_missing_required_field(knowledge: Knowledge) -> None:
    request, answer = clean()
    del exercises(answer, "inhibit")[0]["position"]
    del answer["estimated_minutes"]
    details = [v.detail for v in fired(request, answer, knowledge, "shape")]
    assert any("`position` is missing" in d for d in details), details
    assert any("`estimated_minutes` is missing" in d for d in details), details


def test_shape__an_exercise_the_seed_lacks_and_wrong_phases(knowledge: Knowledge) -> None:
    request, answer = clean()
    exercises(answer, "activate")[0]["exercise"]["slug"] = "made_up_exercise"
    answer["phases"].pop()
    details = [v.detail for v in fired(request, answer, knowledge, "shape")]
    assert any("not in the seed" in d for d in details), details
    assert any("not ['inhibit', 'lengthen', 'activate', 'integrate']" in d for d in details), details


def test_shape__modalities_position_and_effort_must_match(knowledge: Knowledge) -> None:
    request, answer = clean()
    planned = exercises(answer, "inhibit")[0]
    planned["position"], planned["effort"] = "standing", "extreme"
    answer["phases"][0]["modalities"] = []
    details = " | ".join(v.detail for v in fired(request, answer, knowledge, "shape"))
    assert "the seed says 'seated_floor'" in details
    assert "effort 'extreme'; contract: null, light, moderate, maximal" in details
    assert "modalities []" in details


def test_shape__position_may_sit_on_the_exercise(knowledge: Knowledge) -> None:
    request, answer = clean()
    planned = exercises(answer, "inhibit")[0]
    planned["exercise"]["position"] = planned.pop("position")
    assert not fired(request, answer, knowledge, "shape")
    planned["exercise"]["position"] = "supine"
    assert fired(request, answer, knowledge, "shape")


def test_shape__garbage_never_raises(knowledge: Knowledge) -> None:
    request, _ = clean()
    for garbage in ({}, {"status": "plan", "phases": "x", "analysis": 3, "omitted": [1]}, {"status": "referral"}):
        found = audit(request, garbage, knowledge)
        assert found and {v.rule for v in found} <= set(RULES), found
    assert audit(request, [], knowledge)[0].rule == "shape"  # type: ignore[arg-type]


# --- unsafe_for_intake --------------------------------------------------------------------------------------------


def test_unsafe_for_intake__a_floor_exercise_for_someone_who_cannot_get_down(knowledge: Knowledge) -> None:
    request, answer = clean()
    request["screening"]["conditions"] = ["difficulty_getting_to_floor"]
    found = fired(request, answer, knowledge, "unsafe_for_intake")
    assert [v.detail for v in found] == [
        "inhibit[0] lateral_hamstring_roll is floor, excluded by difficulty_getting_to_floor",
        "activate[0] glute_bridge is floor, excluded by difficulty_getting_to_floor",
    ]
    # the same intake with chair and standing work only
    answer["phases"][0] = phase("inhibit", item("soleus_chair_roll", "smr", "seated_chair", ["soleus"]))
    answer["phases"][2] = phase("activate")
    assert not fired(request, answer, knowledge, "unsafe_for_intake")


def test_unsafe_for_intake__pregnancy_excludes_by_trimester(knowledge: Knowledge) -> None:
    request, answer = clean()
    request["screening"]["pregnancy"] = {"trimester": 2, "cleared_by_physician": True}
    details = [v.detail for v in fired(request, answer, knowledge, "unsafe_for_intake")]
    assert "inhibit[0] lateral_hamstring_roll is smr_lower_limb, excluded by pregnancy (trimester 2)" in details
    assert "activate[0] glute_bridge is supine, excluded by pregnancy (trimester 2)" in details
    request["screening"]["pregnancy"]["trimester"] = 1
    assert not fired(request, answer, knowledge, "unsafe_for_intake")


def test_unsafe_for_intake__a_derived_balance_tag(knowledge: Knowledge, tmp_path: Path) -> None:
    request, answer = clean()
    request["screening"]["conditions"] = ["fall_risk"]
    isometric = item("standing_hip_isometric", "positional_isometric", "standing", ["gluteus_medius"])
    answer["phases"][2] = phase("activate", exercises(answer, "activate")[0], isometric)
    assert not fired(request, answer, knowledge, "unsafe_for_intake")  # single-leg, but a hand on the wall
    changed = copy.deepcopy(SEED)
    changed["exercises/all.yaml"][7]["supported"] = False
    knowledge_unsupported = Knowledge.load(write_seed(tmp_path, changed))
    details = [v.detail for v in fired(request, answer, knowledge_unsupported, "unsafe_for_intake")]
    assert details == ["activate[1] standing_hip_isometric is unsupported_balance, excluded by fall_risk"]


def test_unsafe_for_intake__an_uncapped_isometric_with_high_blood_pressure(knowledge: Knowledge) -> None:
    request, answer = clean()
    request["screening"]["conditions"] = ["controlled_hypertension"]
    isometric = item("standing_hip_isometric", "positional_isometric", "standing", ["gluteus_medius"])
    answer["phases"][2] = phase("activate", exercises(answer, "activate")[0], isometric)
    details = [v.detail for v in fired(request, answer, knowledge, "unsafe_for_intake")]
    assert len(details) == 2 and "with effort None, not 'moderate'" in details[0] and "breathe out" in details[1]
    isometric["effort"] = "moderate"
    isometric["notes"].append("Build to moderate effort and breathe out during each push.")
    assert not fired(request, answer, knowledge, "unsafe_for_intake")
    # without the condition, no cap is needed
    request, answer = clean()
    answer["phases"][2] = phase("activate", isometric | {"effort": None, "notes": []})
    assert not fired(request, answer, knowledge, "unsafe_for_intake")


def test_unsafe_for_intake__a_plan_despite_a_red_flag(knowledge: Knowledge) -> None:
    request, answer = clean()
    request["screening"] = {"current_pain": True, "injuries": [{"kind": "injury", "location": "knee", "weeks_ago": 3}]}
    details = [v.detail for v in fired(request, answer, knowledge, "unsafe_for_intake")]
    assert details == ["a plan, not a referral, despite current pain, injury 3 weeks ago"]
    request["screening"] = {"injuries": [{"kind": "injury", "location": "knee", "weeks_ago": 30}]}
    assert not fired(request, answer, knowledge, "unsafe_for_intake")


# --- the worked-set rules -----------------------------------------------------------------------------------------


def test_works_weak_muscle__rolling_the_whole_hamstring_on_the_weak_side(knowledge: Knowledge) -> None:
    request, answer = clean()
    answer["phases"][0] = phase(
        "inhibit", item("hamstring_roll", "smr", "seated_floor", ["biceps_femoris_short_head"], side=None)
    )
    details = [v.detail for v in fired(request, answer, knowledge, "works_weak_muscle")]
    assert details == [
        "inhibit[0] hamstring_roll (side None) works medial_hamstring_complex, underactive or in conflict on left"
    ]
    exercises(answer, "inhibit")[0]["side"] = "right"  # the medial hamstrings are weak on the left only
    assert not fired(request, answer, knowledge, "works_weak_muscle")


def test_works_weak_muscle__a_muscle_in_conflict(knowledge: Knowledge) -> None:
    request, answer = clean()
    answer["analysis"]["conflicts"] = [
        {"muscle": "soleus", "sides": ["left"], "overactive_evidence": [], "underactive_evidence": []}
    ]
    answer["warnings"] = [{"code": "conflict", "message": "Soleus is both tight and weak: do a knee-to-wall test."}]
    details = [v.detail for v in fired(request, answer, knowledge, "works_weak_muscle")]
    assert details == [
        "lengthen[0] standing_soleus_stretch (side left) works soleus, underactive or in conflict on left"
    ]


def test_activates_tight_muscle__a_hamstring_curl_with_a_tight_short_head(knowledge: Knowledge) -> None:
    request, answer = clean()
    curl = item("ball_hamstring_curl", "isolated_strengthening", "supine", ["medial_hamstring_complex"])
    answer["phases"][2] = phase("activate", exercises(answer, "activate")[0], curl)
    details = [v.detail for v in fired(request, answer, knowledge, "activates_tight_muscle")]
    assert details == [
        "activate[1] ball_hamstring_curl (side None) works biceps_femoris_short_head, overactive and not "
        "underactive on left"
    ]
    # overactive and underactive on that side: activation is allowed (domain.md K.5)
    answer["analysis"]["underactive"].append(_implication("biceps_femoris_short_head", "unspecified"))
    assert not fired(request, answer, knowledge, "activates_tight_muscle")


# --- time ---------------------------------------------------------------------------------------------------------


def test_time_unused__time_budget_with_time_to_spare(knowledge: Knowledge) -> None:
    request, answer = clean()
    answer["omitted"] = [omission("time_budget", "lengthen", "biceps_femoris_short_head")]
    assert not fired(request, answer, knowledge, "time_unused")  # 19 of 20 minutes used
    answer["estimated_minutes"] = 12
    assert [v.detail for v in fired(request, answer, knowledge, "time_unused")] == [
        "omitted[0] time_budget (lengthen, biceps_femoris_short_head) with 12 of 20 min used"
    ]


def test_time_unused__phase_limit_only_without_session_minutes(knowledge: Knowledge) -> None:
    request, answer = clean()
    answer["omitted"] = [omission("phase_limit", "lengthen", "biceps_femoris_short_head")]
    assert fired(request, answer, knowledge, "time_unused")
    del request["preferences"]["session_minutes"]
    answer["session_minutes"] = None
    assert not fired(request, answer, knowledge, "time_unused")


def test_over_time__more_minutes_than_asked(knowledge: Knowledge) -> None:
    request, answer = clean()
    answer["estimated_minutes"] = 21
    assert [v.detail for v in fired(request, answer, knowledge, "over_time")] == ["estimated 21 min, session 20 min"]
    answer["estimated_minutes"] = 20
    assert not fired(request, answer, knowledge, "over_time")


# --- words --------------------------------------------------------------------------------------------------------


def test_id_in_text__ids_in_rationale_warning_omission_and_referral(knowledge: Knowledge) -> None:
    request, answer = clean()
    exercises(answer, "inhibit")[0]["rationale"]["text"] = "Inhibit overactive biceps_femoris_short_head."
    answer["omitted"] = [omission("no_exercise", "activate", "gluteus_medius", "No exercise for gluteus_medius.")]
    answer["warnings"] = [{"code": "x", "message": "Found with feet_turn_out in overhead_squat."}]
    details = [v.detail for v in fired(request, answer, knowledge, "id_in_text")]
    assert len(details) == 4, details
    assert any("muscle `biceps_femoris_short_head`" in d for d in details)
    assert any("compensation `feet_turn_out`" in d for d in details)
    assert any("assessment `overhead_squat`" in d for d in details)
    request, answer = referral()
    answer["referral"]["findings"] = ["knees_move_inward on the left"]
    assert [v.rule for v in audit(request, answer, knowledge)] == ["id_in_text"]


def test_side_text__the_side_is_named_and_no_instruction_switches(knowledge: Knowledge) -> None:
    request, answer = clean()
    exercises(answer, "inhibit")[0]["side_text"] = "Right side only."
    exercises(answer, "lengthen")[0]["exercise"]["instructions"].append("Hold, then change legs.")
    details = [v.detail for v in fired(request, answer, knowledge, "side_text")]
    assert details == [
        "inhibit[0] lateral_hamstring_roll is left only, side_text 'Right side only.' does not say so",
        "lengthen[0] standing_soleus_stretch is left only, an instruction says 'Hold, then change legs.'",
    ]
    exercises(answer, "inhibit")[0]["side_text"] = None
    assert len(fired(request, answer, knowledge, "side_text")) == 2
    for text in ("Repeat on the other side.", "Switch sides and repeat.", "Then do the same on the opposite leg."):
        exercises(answer, "lengthen")[0]["exercise"]["instructions"] = [text]
        assert any(text in v.detail for v in fired(request, answer, knowledge, "side_text")), text
    exercises(answer, "lengthen")[0]["exercise"]["instructions"] = ["Keep the other foot flat on the floor."]
    exercises(answer, "inhibit")[0]["side_text"] = "Left side only."
    assert not fired(request, answer, knowledge, "side_text")


def test_level_claim__no_client_level_without_one(knowledge: Knowledge) -> None:
    request, answer = clean()
    answer["omitted"] = [omission("above_level", "inhibit", "soleus", "A level-2 roll is above the client's level.")]
    assert not fired(request, answer, knowledge, "level_claim")  # the request gave level 2
    del request["preferences"]["level"]
    assert fired(request, answer, knowledge, "level_claim")
    answer["omitted"][0]["detail"] = (
        "The rolls for the calf start at level 2; plans start at level 1 unless a level is given."
    )
    assert not fired(request, answer, knowledge, "level_claim")


def _conflict(answer: Json, warning: str) -> None:
    answer["analysis"]["conflicts"] = [
        {"muscle": "erector_spinae", "sides": ["left", "right"], "overactive_evidence": [], "underactive_evidence": []}
    ]
    answer["analysis"]["overactive"].append(_implication("erector_spinae", "left", "right"))
    answer["analysis"]["underactive"].append(_implication("erector_spinae", "left", "right"))
    answer["warnings"] = [{"code": "conflict", "message": warning}] if warning else []


def test_conflict_warning__a_warning_naming_a_mobility_test(knowledge: Knowledge) -> None:
    request, answer = clean()
    _conflict(answer, "")
    assert [v.detail for v in fired(request, answer, knowledge, "conflict_warning")] == [
        "no conflict warning names erector_spinae (left, right)"
    ]
    _conflict(answer, "The erector spinae look both tight and weak; confirm before stretching them.")
    assert [v.detail[:45] for v in fired(request, answer, knowledge, "conflict_warning")] == [
        "warning conflict names no mobility test: 'The"
    ]
    _conflict(answer, "The erector spinae look both tight and weak: a mobility test decides; nothing is stretched.")
    assert not fired(request, answer, knowledge, "conflict_warning")
    _conflict(answer, "The erector spinae look both tight and weak: the knee-to-wall lunge decides.")  # a seed name
    assert not fired(request, answer, knowledge, "conflict_warning")


def test_conflict_warning__no_claim_of_activation_that_is_not_planned(knowledge: Knowledge) -> None:
    request, answer = clean()
    _conflict(answer, "The erector spinae look both tight and weak. Only activation is planned; test mobility first.")
    assert "claims activation" in fired(request, answer, knowledge, "conflict_warning")[0].detail
    _conflict(answer, "Erector spinae: until a mobility test decides, only activation is planned.")
    assert "claims activation" in fired(request, answer, knowledge, "conflict_warning")[0].detail
    # with an activate exercise for it, the claim is true
    back = item("glute_bridge", "isolated_strengthening", "supine", ["erector_spinae"])
    answer["phases"][2] = phase("activate", exercises(answer, "activate")[0], back)
    assert not fired(request, answer, knowledge, "conflict_warning")
    answer["phases"][2] = phase("activate", exercises(answer, "activate")[0])
    _conflict(answer, "The erector spinae look both tight and weak; no activation is planned until a test decides.")
    assert not fired(request, answer, knowledge, "conflict_warning")


# --- omissions ----------------------------------------------------------------------------------------------------


def test_omission_duplicate__one_omission_per_phase_and_muscle(knowledge: Knowledge) -> None:
    request, answer = clean()
    answer["omitted"] = [
        omission("conflict", "inhibit", "erector_spinae"),
        omission("unsafe_to_roll", "inhibit", "erector_spinae"),
        omission("conflict", "lengthen", "erector_spinae"),
    ]
    assert [v.detail for v in fired(request, answer, knowledge, "omission_duplicate")] == [
        "2 omissions for (inhibit, erector_spinae): ['conflict', 'unsafe_to_roll']"
    ]
    answer["omitted"].pop(1)
    assert not fired(request, answer, knowledge, "omission_duplicate")


def test_omission_contradicts_plan__no_omission_for_a_muscle_served(knowledge: Knowledge) -> None:
    request, answer = clean()
    answer["omitted"] = [omission("no_exercise", "inhibit", "biceps_femoris_short_head")]
    assert fired(request, answer, knowledge, "omission_contradicts_plan")
    answer["omitted"] = [omission("no_exercise", "lengthen", "biceps_femoris_short_head")]
    assert not fired(request, answer, knowledge, "omission_contradicts_plan")
    # sides: the roll works the left side only, so the right side may be left out, but not both
    answer["omitted"] = [omission("works_weak_muscle", "inhibit", "biceps_femoris_short_head", side="right")]
    assert not fired(request, answer, knowledge, "omission_contradicts_plan")
    answer["omitted"] = [omission("works_weak_muscle", "inhibit", "biceps_femoris_short_head", side="left,right")]
    assert fired(request, answer, knowledge, "omission_contradicts_plan")


def test_missing_equipment_claim__when_a_bodyweight_exercise_would_do(knowledge: Knowledge) -> None:
    request, answer = clean()
    request["preferences"]["equipment"] = []
    answer["phases"] = [phase("inhibit"), phase("lengthen"), phase("activate"), phase("integrate")]
    answer["omitted"] = [omission("missing_equipment", "lengthen", "soleus")]  # the soleus stretch needs nothing
    assert [v.detail for v in fired(request, answer, knowledge, "missing_equipment_claim")] == [
        "omitted[0] missing_equipment for (lengthen, soleus) but standing_soleus_stretch needs nothing the client "
        "lacks and is otherwise allowed"
    ]
    # a bodyweight exercise the other rules forbid (it would stretch a weak muscle) does not make the claim false
    answer["analysis"]["underactive"].append(_implication("soleus", "left"))
    answer["omitted"][0]["side"] = "left"
    assert not fired(request, answer, knowledge, "missing_equipment_claim")
    answer["analysis"]["underactive"].pop()
    answer["omitted"] = [omission("missing_equipment", "inhibit", "soleus")]  # every soleus roll needs a roller
    assert not fired(request, answer, knowledge, "missing_equipment_claim")
    # integrate omissions name a compensation
    answer["omitted"] = [omission("missing_equipment", "integrate", None, compensation="feet_turn_out")]
    assert not fired(request, answer, knowledge, "missing_equipment_claim")
    del request["preferences"]["equipment"]  # no list: nothing is missing
    answer["omitted"] = [omission("missing_equipment", "lengthen", "soleus")]
    assert not fired(request, answer, knowledge, "missing_equipment_claim")


# --- notices and referrals ----------------------------------------------------------------------------------------


def test_screening_notice__not_screened_first_and_assumed_equipment(knowledge: Knowledge) -> None:
    request, answer = clean()
    del request["screening"]
    del request["preferences"]["equipment"]
    details = [v.detail for v in fired(request, answer, knowledge, "screening_notice")]
    assert details == [
        "no screening block, but warnings[0] is absent",
        "no equipment list, and no assumed_equipment warning",
    ]
    answer["warnings"] = [
        {"code": "assumed_equipment", "message": "A full gym was assumed."},
        {"code": "not_screened", "message": "No health screening was done."},
    ]
    assert [v.detail for v in fired(request, answer, knowledge, "screening_notice")] == [
        "no screening block, but warnings[0] is ['assumed_equipment']"
    ]
    answer["warnings"].reverse()
    assert not fired(request, answer, knowledge, "screening_notice")
    request, answer = clean()
    answer["warnings"] = [{"code": "not_screened", "message": "No health screening was done."}]
    assert [v.detail for v in fired(request, answer, knowledge, "screening_notice")] == [
        "a not_screened warning although the request had a screening block"
    ]


def test_referral_shape__no_plan_fields_and_words_for_the_clinician(knowledge: Knowledge) -> None:
    request, answer = referral()
    answer["phases"], answer["omitted"] = [], []
    answer["referral"]["findings"] = []
    del answer["referral"]["urgent_signs"]
    details = [v.detail for v in fired(request, answer, knowledge, "referral_shape")]
    assert details == [
        "a referral with `phases`",
        "a referral with `omitted`",
        "referral.findings is [], not a non-empty list of words",
        "referral.urgent_signs is None, not a non-empty list of words",
    ]


# --- order, lifestyle, patterns -----------------------------------------------------------------------------------


def test_order__floor_then_chair_then_standing(knowledge: Knowledge) -> None:
    request, answer = clean()
    floor = exercises(answer, "inhibit")[0]
    chair = item("soleus_chair_roll", "smr", "seated_chair", ["soleus"])
    request["preferences"]["equipment"].append("handheld_roller")
    answer["phases"][0] = phase("inhibit", chair, floor)
    assert [v.detail for v in fired(request, answer, knowledge, "order")] == [
        "inhibit[1] lateral_hamstring_roll (seated_floor) comes after soleus_chair_roll (seated_chair)"
    ]
    answer["phases"][0] = phase("inhibit", floor, chair)
    assert not fired(request, answer, knowledge, "order")


def test_lifestyle_presumed__only_what_the_client_reported(knowledge: Knowledge) -> None:
    request, answer = clean()
    answer["lifestyle"] = [
        {"code": "prolonged_sitting", "message": "Long hours of sitting: stand up every half hour."},
        {"code": "computer_work", "message": "Computer work: raise the screen."},
        {"code": "running_load", "message": "Running: build up the distance slowly."},
        {"code": "behaviour_change", "message": "Change what keeps causing it, such as a daily running load."},
    ]
    assert len(fired(request, answer, knowledge, "lifestyle_presumed")) == 4
    request["lifestyle"] = {"sitting_hours": 8, "activities": ["desk_work", "running"], "stress": 2}
    assert not fired(request, answer, knowledge, "lifestyle_presumed")
    request["lifestyle"] = {"sitting_hours": 5.5, "activities": ["running"]}
    assert [v.detail for v in fired(request, answer, knowledge, "lifestyle_presumed")] == [
        "lifestyle[0] (prolonged_sitting): sitting_hours reported 5.5 (not >= 6), no sitting activity",
        "lifestyle[1] (computer_work): desk_work not reported",
    ]
    # driving is done sitting, but it is not desk work
    request["lifestyle"] = {"activities": ["driving", "running"]}
    answer["lifestyle"][0]["message"] = "Long hours of sitting: on long desk days, stand up every half hour."
    assert [v.detail[:60] for v in fired(request, answer, knowledge, "lifestyle_presumed")] == [
        "lifestyle[0] (prolonged_sitting) speaks of desk work, not re",
        "lifestyle[1] (computer_work): desk_work not reported",
    ]


def test_pattern_contradicts_intake__the_entered_pattern_comes_first(knowledge: Knowledge) -> None:
    request, answer = clean()
    request["assessments"].append({"type": "static_posture", "findings": [{"compensation": "lower_crossed_syndrome"}]})
    upper = {"pattern": "upper_crossed_syndrome", "ruleset": "mini", "score": 0.4, "matched_overactive": ["a", "b"]}
    lower = {"pattern": "lower_crossed_syndrome", "ruleset": "mini", "score": 0.3, "matched_underactive": ["c", "d"]}
    answer["analysis"]["patterns"] = [upper, lower]
    assert [v.detail for v in fired(request, answer, knowledge, "pattern_contradicts_intake")] == [
        "entered ['lower_crossed_syndrome'], first pattern listed 'upper_crossed_syndrome'"
    ]
    answer["analysis"]["patterns"] = [lower, upper]
    assert not fired(request, answer, knowledge, "pattern_contradicts_intake")
    answer["analysis"]["patterns"] = [lower, upper | {"matched_overactive": ["a"]}]
    assert [v.detail for v in fired(request, answer, knowledge, "pattern_contradicts_intake")] == [
        "pattern upper_crossed_syndrome listed on 1 muscle(s)"
    ]


# --- equipment and level ------------------------------------------------------------------------------------------


def test_needs_missing_equipment__only_what_the_client_has(knowledge: Knowledge) -> None:
    request, answer = clean()
    request["preferences"]["equipment"] = ["foam_roller", "strap"]
    assert [v.detail for v in fired(request, answer, knowledge, "needs_missing_equipment")] == [
        "integrate[0] ball_wall_squat needs ['stability_ball']"
    ]
    del request["preferences"]["equipment"]
    assert not fired(request, answer, knowledge, "needs_missing_equipment")


def test_above_client_level__level_one_when_none_is_given(tmp_path: Path) -> None:
    request, answer = clean()
    isometric = item("standing_hip_isometric", "positional_isometric", "standing", ["gluteus_medius"])
    answer["phases"][2] = phase("activate", exercises(answer, "activate")[0], isometric)
    changed = copy.deepcopy(SEED)
    changed["exercises/all.yaml"][7]["level"] = 2
    higher = Knowledge.load(write_seed(tmp_path, changed))
    assert not fired(request, answer, higher, "above_client_level")  # the request asks for level 2
    del request["preferences"]["level"]
    assert [v.detail for v in fired(request, answer, higher, "above_client_level")] == [
        "activate[1] standing_hip_isometric is level 2, the client 1"
    ]
    changed["exercises/all.yaml"][7]["level"] = 1
    changed["exercises/all.yaml"][0]["level"] = 3  # rolling is not levelled
    assert not fired(request, answer, Knowledge.load(write_seed(tmp_path, changed)), "above_client_level")


# --- the knowledge ------------------------------------------------------------------------------------------------


def test_knowledge_members_are_transitive_and_touching_goes_down(knowledge: Knowledge) -> None:
    assert knowledge.members("hamstring_complex") == {
        "hamstring_complex",
        "medial_hamstring_complex",
        "biceps_femoris",
        "biceps_femoris_short_head",
    }
    assert knowledge.worked["lying_hamstring_stretch"] == {"biceps_femoris", "biceps_femoris_short_head"}
    worked = knowledge.worked["lateral_hamstring_roll"]
    assert knowledge.touches(worked, "hamstring_complex")  # a member of the group is worked
    assert not knowledge.touches(worked, "medial_hamstring_complex")
    assert knowledge.risk["standing_hip_isometric"] == {"single_leg", "maximal_isometric"}  # supported
    assert knowledge.risk["lateral_hamstring_roll"] == {"smr", "smr_lower_limb", "floor"}
    assert knowledge.fallbacks == ()


def test_knowledge_without_exercise_safety_uses_the_contract_constants(tmp_path: Path) -> None:
    seed = {k: v for k, v in SEED.items() if k != "exercise_safety.yaml"}
    knowledge = Knowledge.load(write_seed(tmp_path, seed))
    assert knowledge.safety is CONTRACT_SAFETY
    assert knowledge.risk["glute_bridge"] == {"floor", "supine"}
    assert any("exercise_safety.yaml absent" in note for note in knowledge.fallbacks)


def test_knowledge_of_an_old_seed_infers_positions_and_uses_contract_exclusions(tmp_path: Path) -> None:
    old = copy.deepcopy(SEED)
    old["conditions.yaml"][0]["excludes"] = ["supine", "prone"]
    old["screening.yaml"]["pregnancy"]["excludes_by_trimester"][2] = ["supine", "prone", "single_leg"]
    for exercise in old["exercises/all.yaml"]:
        for key in ("position", "stance", "supported", "effort"):
            exercise.pop(key, None)
    old["exercises/all.yaml"][5]["instructions"] = ["Lie on your back with knees bent.", "Lift the hips."]
    old["exercises/all.yaml"][7]["instructions"] = ["Stand on one leg beside a wall, one hand on it.", "Push."]
    knowledge = Knowledge.load(write_seed(tmp_path, old))
    assert knowledge.conditions["difficulty_getting_to_floor"].excludes == ("floor",)
    assert "unsupported_balance" in knowledge.pregnancy_excludes[2]
    bridge, isometric = knowledge.exercises["glute_bridge"], knowledge.exercises["standing_hip_isometric"]
    assert (bridge.position, bridge.stance) == ("supine", "none")
    assert (isometric.position, isometric.supported, isometric.effort) == ("standing", True, "maximal")
    assert len(knowledge.fallbacks) == 3, knowledge.fallbacks  # floor, trimester 2, the exercises


# --- next_step --------------------------------------------------------------------------------------------------


def test_next_step__every_exercise_says_when_to_stop(knowledge: Knowledge) -> None:
    request, answer = clean()
    exercises(answer, "lengthen")[0]["stop_rule"] = ""
    assert [v.detail for v in fired(request, answer, knowledge, "next_step")] == [
        "lengthen[0] standing_soleus_stretch has no stop rule"
    ]


def test_next_step__a_progression_the_client_may_not_do_is_not_offered(knowledge: Knowledge) -> None:
    request, answer = clean()
    inhibit = exercises(answer, "inhibit")[0]
    inhibit["progression"] = {"slug": "hamstring_roll", "name": "Hamstring roll", "when": "once it feels easy"}
    assert not fired(request, answer, knowledge, "next_step")  # the client has the foam roller
    inhibit["regression"] = {"slug": "soleus_chair_roll", "name": "Chair roll", "when": "if it is too much"}
    assert [v.detail for v in fired(request, answer, knowledge, "next_step")] == [
        "inhibit[0] lateral_hamstring_roll: regression soleus_chair_roll needs ['handheld_roller']"
    ]
    inhibit["regression"] = {"slug": "no_such_exercise", "name": "?", "when": "soon"}
    assert "not in the seed" in fired(request, answer, knowledge, "next_step")[0].detail
