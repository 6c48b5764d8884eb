"""Tiny builders for a small in-memory catalogue, so the domain rules are tested without a database."""

from app.domain.catalogue import Catalogue
from app.domain.model import (
    Assessment,
    Compensation,
    Condition,
    ConditionAction,
    Dosage,
    Equipment,
    Exercise,
    Laterality,
    ModeVariables,
    Muscle,
    Phase,
    PhaseVariables,
    Placement,
    RuleMuscle,
    Ruleset,
    RulesetRow,
    ScreeningPolicy,
    TemplateVersion,
)
from app.domain.requests import AssessmentResult, Finding, PlanRequest, Preferences, Screening

OVER, UNDER = "overactive", "underactive"
PHASE_MODALITY = {
    Phase.INHIBIT: "smr",
    Phase.LENGTHEN: "static_stretch",
    Phase.ACTIVATE: "isolated_strengthening",
    Phase.INTEGRATE: "integrated_dynamic",
}


def muscle(slug: str, *groups: str, smr_safe: bool = True) -> Muscle:
    return Muscle(
        slug, slug.replace("_", " "), "hip", "group" if slug.endswith("_group") else "muscle", groups, smr_safe, "test"
    )


def exercise(
    slug: str,
    phase: Phase,
    *targets: str,
    equipment: tuple[str, ...] = (),
    level: int = 1,
    unilateral: bool = False,
    tags: tuple[str, ...] = (),
    for_compensations: tuple[str, ...] = (),
    modality: str | None = None,
) -> Exercise:
    holds = phase in (Phase.INHIBIT, Phase.LENGTHEN)
    return Exercise(
        slug=slug,
        name=slug,
        phase=phase,
        modality=modality or PHASE_MODALITY[phase],
        targets=targets,
        equipment=equipment,
        level=level,
        unilateral=unilateral,
        tags=tags,
        regression=None,
        progression=None,
        description="",
        instructions=("do it",),
        cues=(),
        source="test",
        defaults=Dosage(1, None if holds else 10, 30 if holds else None, "slow", 0),
        body_region="lower_body" if phase is Phase.INTEGRATE else None,
        for_compensations=for_compensations,
    )


def rule(muscle_slug: str, role: str, laterality: str = "same") -> RuleMuscle:
    from app.domain.model import Role

    return RuleMuscle(muscle_slug, Role(role), Laterality(laterality))


def phase_variables(phase: Phase, max_exercises: int = 5) -> PhaseVariables:
    holds = phase in (Phase.INHIBIT, Phase.LENGTHEN)
    return PhaseVariables(
        PHASE_MODALITY[phase],
        1,
        None if holds else 12,
        30 if holds else None,
        "slow",
        0 if holds else 5,
        0,
        max_exercises,
    )


def template(max_exercises: int = 5, transition: int = 10) -> TemplateVersion:
    mode = ModeVariables("3", 4, transition, {p: phase_variables(p, max_exercises) for p in Phase})
    modes = {"standalone": mode, "warm_up": mode, "cool_down": mode}
    return TemplateVersion("house", "House", 1, "published", modes, "test")


POLICY = ScreeningPolicy(
    recent_injury_weeks=26,
    pregnancy_refers_without_clearance=True,
    excludes_by_trimester={1: (), 2: ("prone", "supine"), 3: ("prone", "supine")},
    messages={
        "current_pain": "pain",
        "recent_injury": "injury",
        "recent_surgery": "surgery",
        "pregnancy_without_clearance": "pregnant",
        "pregnancy_with_clearance": "cleared",
        "numbness": "numb",
        "condition": "has {condition}",
        "not_screened": "not screened",
        "assumed_equipment": "assumed: {equipment}",
        "pregnancy_low_back_arch": "arch is normal in pregnancy",
    },
    urgent_signs=("severe pain",),
    referral_advice="see a clinician",
    past_injury_note="old injury",
    source="test",
)


def small_catalogue(*, extra_exercises: tuple[Exercise, ...] = (), max_exercises: int = 5) -> Catalogue:
    """Knees cave in (both sides) and a one-sided weight shift, over six muscles and a handful of exercises."""
    muscles = [
        muscle("adductor_group"),
        muscle("adductor_magnus", "adductor_group"),
        muscle("gluteus_medius"),
        muscle("tensor_fasciae_latae"),
        muscle("erector_spinae", smr_safe=False),
        muscle("soleus"),
    ]
    compensations = [
        Compensation("knees_in", "Knees in", "", True, ("knees_out",), (Placement("squat", "anterior", "knee"),), "t"),
        Compensation("knees_out", "Knees out", "", True, ("knees_in",), (Placement("squat", "anterior", "knee"),), "t"),
        Compensation("shift", "Shift", "", True, (), (Placement("squat", "posterior", "lphc"),), "t"),
        Compensation("back_arches", "Back arches", "", False, (), (Placement("squat", "lateral", "lphc"),), "t"),
    ]
    rows = (
        RulesetRow(
            "squat",
            "knees_in",
            (rule("adductor_group", OVER), rule("tensor_fasciae_latae", OVER), rule("gluteus_medius", UNDER)),
            "high",
            "t",
        ),
        RulesetRow("squat", "knees_out", (rule("gluteus_medius", OVER), rule("adductor_group", UNDER)), "high", "t"),
        RulesetRow(
            "squat",
            "shift",
            (
                rule("adductor_group", OVER, "same"),
                rule("adductor_group", UNDER, "opposite"),
                rule("soleus", OVER, "opposite"),
                rule("gluteus_medius", UNDER, "unspecified"),
            ),
            "medium",
            "t",
        ),
        RulesetRow("squat", "back_arches", (rule("erector_spinae", OVER), rule("gluteus_medius", UNDER)), "high", "t"),
    )
    exercises = [
        exercise("adductor_roll", Phase.INHIBIT, "adductor_group", equipment=("foam_roller",), tags=("smr",)),
        exercise("tfl_roll", Phase.INHIBIT, "tensor_fasciae_latae", equipment=("foam_roller",), tags=("smr",)),
        exercise("soleus_roll", Phase.INHIBIT, "soleus", equipment=("foam_roller",), tags=("smr",)),
        exercise("adductor_stretch", Phase.LENGTHEN, "adductor_magnus", unilateral=True, tags=("stretch",)),
        exercise("tfl_stretch", Phase.LENGTHEN, "tensor_fasciae_latae", unilateral=True, tags=("stretch",)),
        exercise("erector_stretch", Phase.LENGTHEN, "erector_spinae", tags=("stretch",)),
        exercise("soleus_stretch", Phase.LENGTHEN, "soleus", unilateral=True, tags=("stretch",)),
        exercise("glute_med_stretch", Phase.LENGTHEN, "gluteus_medius", unilateral=True, tags=("stretch",)),
        exercise("band_walk", Phase.ACTIVATE, "gluteus_medius", equipment=("mini_band",), level=2),
        exercise("side_lying_abduction", Phase.ACTIVATE, "gluteus_medius", unilateral=True),
        exercise("adductor_squeeze", Phase.ACTIVATE, "adductor_group"),
        exercise(
            "ball_squat",
            Phase.INTEGRATE,
            "gluteus_medius",
            equipment=("stability_ball",),
            for_compensations=("knees_in", "knees_out", "back_arches"),
        ),
        exercise(
            "step_up",
            Phase.INTEGRATE,
            "gluteus_medius",
            unilateral=True,
            tags=("single_leg",),
            for_compensations=("knees_in", "shift"),
        ),
        *extra_exercises,
    ]
    conditions = [
        Condition("osteoporosis", "Osteoporosis", "", ConditionAction.EXCLUDE, ("smr",), "no rolling", "t"),
        Condition("fall_risk", "Fall risk", "", ConditionAction.EXCLUDE, ("single_leg",), "no one-leg work", "t"),
        Condition("dvt", "Deep-vein thrombosis", "", ConditionAction.REFER, (), "clot", "t"),
        Condition("fibromyalgia", "Fibromyalgia", "", ConditionAction.CAUTION, (), "gentle pressure", "t"),
    ]
    return Catalogue.build(
        revision=1,
        muscles=muscles,
        assessments=[Assessment("squat", "Squat", "", "t")],
        compensations=compensations,
        rulesets=[Ruleset("rs", "Ruleset", "", True, "t", rows)],
        equipment=[Equipment(s, s, "", "t") for s in ("foam_roller", "mini_band", "stability_ball")],
        exercises=exercises,
        conditions=conditions,
        screening=POLICY,
        templates=[template(max_exercises)],
        default_template="house",
    )


def request(
    *findings: tuple[str, str | None], screening: Screening | None = None, preferences: Preferences | None = None
) -> PlanRequest:
    return PlanRequest(
        assessments=(AssessmentResult("squat", tuple(Finding(c, s) for c, s in findings)),),
        screening=screening or Screening(),
        preferences=preferences or Preferences(level=3),
    )
