"""The seeded knowledge base is complete: every implicated muscle can be treated in each phase it needs."""

import re

from app.domain.catalogue import Catalogue
from app.domain.model import Phase, Role

NEVER_ROLLED_REGIONS = ("erector_spinae", "quadratus_lumborum", "sternocleidomastoid", "scalenes")


def _implicated(catalogue: Catalogue, role: Role) -> set[str]:
    return {
        rule.muscle
        for ruleset in catalogue.rulesets.values()
        for row in ruleset.rows
        for rule in row.muscles
        if rule.role is role
    }


def test_every_muscle_a_ruleset_or_exercise_names_exists(catalogue: Catalogue) -> None:
    named = _implicated(catalogue, Role.OVERACTIVE) | _implicated(catalogue, Role.UNDERACTIVE)
    named |= {target for exercise in catalogue.exercises.values() for target in exercise.targets}
    assert named - set(catalogue.muscles) == set()


def test_every_overactive_muscle_can_be_inhibited_where_safe_and_lengthened(catalogue: Catalogue) -> None:
    missing = []
    for muscle in sorted(_implicated(catalogue, Role.OVERACTIVE)):
        if catalogue.muscles[muscle].smr_safe and not catalogue.exercises_serving(Phase.INHIBIT, muscle):
            missing.append(f"{muscle}: inhibit")
        if not catalogue.exercises_serving(Phase.LENGTHEN, muscle):
            missing.append(f"{muscle}: lengthen")
    assert missing == []


def test_every_underactive_muscle_can_be_activated(catalogue: Catalogue) -> None:
    missing = [
        m
        for m in sorted(_implicated(catalogue, Role.UNDERACTIVE))
        if not catalogue.exercises_serving(Phase.ACTIVATE, m)
    ]
    assert missing == []


def test_no_rolling_exercise_targets_a_muscle_unsafe_to_roll(catalogue: Catalogue) -> None:
    unsafe = [
        (exercise.slug, target)
        for exercise in catalogue.exercises.values()
        if exercise.phase is Phase.INHIBIT
        for target in exercise.targets
        if not catalogue.muscles[target].smr_safe
    ]
    assert unsafe == []
    assert all(not catalogue.muscles[slug].smr_safe for slug in NEVER_ROLLED_REGIONS)


def test_rolling_and_stretching_carry_the_tags_that_conditions_exclude(catalogue: Catalogue) -> None:
    for exercise in catalogue.exercises.values():
        if exercise.phase is Phase.INHIBIT:
            assert "smr" in exercise.tags, exercise.slug
        if exercise.phase is Phase.LENGTHEN:
            assert "stretch" in exercise.tags, exercise.slug


def test_library_size_and_integrate_spread(catalogue: Catalogue) -> None:
    integrate = [e for e in catalogue.exercises.values() if e.phase is Phase.INTEGRATE]
    assert len(catalogue.exercises) >= 150
    assert len(integrate) >= 15
    assert {e.body_region for e in integrate} == {"lower_body", "upper_body", "total_body"}
    assert any(e.progression for e in integrate) and any(e.regression for e in integrate)


def test_every_compensation_has_an_integrate_exercise(catalogue: Catalogue) -> None:
    served = {c for e in catalogue.exercises.values() if e.phase is Phase.INTEGRATE for c in e.for_compensations}
    assert set(catalogue.compensations) - served == set()


def test_bodyweight_options_exist_for_the_core_phases(catalogue: Catalogue) -> None:
    """Someone with no equipment can still lengthen every overactive and activate every underactive muscle."""
    gaps = []
    for role, phase in ((Role.OVERACTIVE, Phase.LENGTHEN), (Role.UNDERACTIVE, Phase.ACTIVATE)):
        for muscle in sorted(_implicated(catalogue, role)):
            if not any(not e.equipment for e in catalogue.exercises_serving(phase, muscle)):
                gaps.append(f"{muscle}: {phase}")
    assert gaps == []


def test_progression_links_point_both_ways(catalogue: Catalogue) -> None:
    for exercise in catalogue.exercises.values():
        if exercise.progression:
            assert catalogue.exercises[exercise.progression].regression == exercise.slug, exercise.slug


def test_every_fact_carries_a_source(catalogue: Catalogue) -> None:
    sources = [fact.source for fact in catalogue.muscles.values()]
    sources += [fact.source for fact in catalogue.compensations.values()]
    sources += [fact.source for fact in catalogue.exercises.values()]
    sources += [fact.source for fact in catalogue.conditions.values()]
    sources += [fact.source for fact in catalogue.equipment.values()]
    sources += [row.source for ruleset in catalogue.rulesets.values() for row in ruleset.rows]
    assert all(source.strip() for source in sources)


def test_every_rollable_overactive_muscle_can_be_inhibited_without_a_foam_roller(catalogue: Catalogue) -> None:
    gaps = [
        muscle
        for muscle in sorted(_implicated(catalogue, Role.OVERACTIVE))
        if catalogue.muscles[muscle].smr_safe
        and not any("foam_roller" not in e.equipment for e in catalogue.exercises_serving(Phase.INHIBIT, muscle))
    ]
    assert gaps == []


def test_held_exercises_leave_the_hold_time_to_the_plan(catalogue: Catalogue) -> None:
    # Rolling and static stretches are held for the template's time (30 s in one template, 60 s in another):
    # an instruction naming its own number of seconds would contradict the prescription beside it.
    seconds = re.compile(r"\b\d+\s*(?:seconds|secs?|s)\b", re.IGNORECASE)
    stated = [
        (exercise.slug, line)
        for exercise in catalogue.exercises.values()
        if exercise.modality in ("smr", "static_stretch")
        for line in exercise.instructions
        if seconds.search(line)
    ]
    assert stated == []
