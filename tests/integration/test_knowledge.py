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


# What an instruction says about where the body is, and the positions that may say it (domain.md M.1).
POSITION_WORDS = {
    r"\bkneel": {"kneeling", "half_kneeling"},
    r"\bhands and knees\b|\bon all fours\b": {"quadruped"},
    r"\blie (?:on your back|face up)|\blying on your back\b": {"supine"},
    r"\blie (?:on your (?:front|stomach|belly)|face down)\b|\blying face down\b": {"prone"},
    r"\blie on your side\b|\blying on your side\b": {"side_lying"},
    r"\bsit on the floor\b|\bsitting on the floor\b": {"seated_floor"},
}


def test_instructions_agree_with_the_position(catalogue: Catalogue) -> None:
    """An exercise that tells the client to kneel or lie down is on the floor in its data, so a client who cannot get
    down there never gets it (issue 11: a half-kneeling stretch reached a client with difficulty_getting_to_floor)."""
    disagree = []
    for exercise in catalogue.exercises.values():
        first_steps = " ".join(exercise.instructions[:2]).lower()
        for pattern, positions in POSITION_WORDS.items():
            if re.search(pattern, first_steps) and exercise.position not in positions:
                disagree.append((exercise.slug, exercise.position, pattern))
    assert disagree == []


def test_every_floor_position_carries_the_floor_tag(catalogue: Catalogue) -> None:
    assert catalogue.safety is not None
    floor = {slug for slug, facts in catalogue.safety.positions.items() if facts.floor}
    untagged = [e.slug for e in catalogue.exercises.values() if e.position in floor and "floor" not in e.tags]
    assert untagged == []
    assert "floor" in catalogue.conditions["difficulty_getting_to_floor"].excludes


def test_one_sided_instructions_leave_the_sides_to_the_plan(catalogue: Catalogue) -> None:
    """The plan says which side and in what order: an instruction saying "repeat on the other leg" would contradict a
    prescription for one side only."""
    other_side = re.compile(
        r"\b(?:other|opposite) (?:side|leg|arm|foot|hand)\b|\bswitch (?:sides|legs|arms)\b|\bchange (?:sides|legs)\b",
        re.IGNORECASE,
    )
    stated = [
        (e.slug, line)
        for e in catalogue.exercises.values()
        if e.unilateral
        for line in e.instructions
        if other_side.search(line)
    ]
    assert stated == []


def test_rolling_and_static_stretching_start_at_level_one(catalogue: Catalogue) -> None:
    """Levels grade the stability and load of activation and integration, not the tool: every rolled or statically
    stretched muscle has a level-1 option (issue 11: TFL rolling sat at level 2)."""
    gaps = []
    for role, phase in ((Role.OVERACTIVE, Phase.INHIBIT), (Role.OVERACTIVE, Phase.LENGTHEN)):
        for muscle in sorted(_implicated(catalogue, role)):
            serving = catalogue.exercises_serving(phase, muscle)
            if serving and not any(e.level == 1 for e in serving):
                gaps.append(f"{muscle}: {phase}")
    assert gaps == []


def test_each_phase_has_a_choice_off_the_floor(catalogue: Catalogue) -> None:
    """A client who cannot get down to the floor can still lengthen every overactive and activate every underactive
    muscle, standing or seated."""
    gaps = []
    for role, phase in ((Role.OVERACTIVE, Phase.LENGTHEN), (Role.UNDERACTIVE, Phase.ACTIVATE)):
        for muscle in sorted(_implicated(catalogue, role)):
            if not any("floor" not in e.tags for e in catalogue.exercises_serving(phase, muscle)):
                gaps.append(f"{muscle}: {phase}")
    assert gaps == []


def test_isometrics_say_their_peak_effort(catalogue: Catalogue) -> None:
    for exercise in catalogue.exercises.values():
        assert (exercise.effort is not None) == (exercise.modality == "positional_isometric"), exercise.slug
