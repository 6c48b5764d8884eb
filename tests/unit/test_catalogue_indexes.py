"""The catalogue's planner indexes: pre-sorted, one exercise per eligibility profile, same answers as a full scan."""

import itertools
from dataclasses import replace

import pytest

from app.domain.analysis import analyse
from app.domain.catalogue import Catalogue, pick_rank
from app.domain.model import Exercise, Phase
from app.domain.planner import Eligibility, _Builder
from tests.builders import exercise, request, small_catalogue

ROLL = exercise("adductor_roll", Phase.INHIBIT, "adductor_group", equipment=("foam_roller",), tags=("smr",))
# Alike in everything eligibility looks at: only the first by rank can ever be picked.
COPY = replace(ROLL, slug="adductor_roll_copy")
BALL = exercise("adductor_ball_roll", Phase.INHIBIT, "adductor_magnus", equipment=("massage_ball",), tags=("smr",))
HARD = exercise("adductor_hard_roll", Phase.INHIBIT, "adductor_group", equipment=("foam_roller",), level=3)
EASY = replace(HARD, slug="adductor_easy_roll", level=1)  # differs from HARD in its level only
OWN = replace(ROLL, owner="acme")  # a tenant's exercise of the same slug


def _catalogue(*extra: Exercise) -> Catalogue:
    return small_catalogue(extra_exercises=extra)


def test_ranked_serving_is_best_first_with_one_exercise_per_profile() -> None:
    catalogue = _catalogue(COPY, BALL, HARD, OWN)
    ranked = catalogue.ranked_serving(Phase.INHIBIT, "adductor_group", False)
    # Direct targets first, the most demanding first, a shared exercise before a tenant's of the same slug.
    assert [(e.slug, e.owner) for e in ranked] == [
        ("adductor_hard_roll", None),
        ("adductor_roll", None),
        ("adductor_roll", "acme"),
        ("adductor_ball_roll", None),
    ]
    everything = catalogue.exercises_serving(Phase.INHIBIT, "adductor_group")
    assert ranked[0] == min(everything, key=lambda e: pick_rank(e, "adductor_group", False))


def test_serving_profiles_keeps_the_library_order() -> None:
    catalogue = _catalogue(COPY, BALL, HARD, OWN)
    kept = catalogue.serving_profiles(Phase.INHIBIT, "adductor_group")
    assert [(e.slug, e.owner) for e in kept] == [
        ("adductor_ball_roll", None),
        ("adductor_hard_roll", None),
        ("adductor_roll", None),
        ("adductor_roll", "acme"),
    ]


def test_integrate_indexes_group_by_cover_and_by_compensation() -> None:
    squat = exercise("ball_squat", Phase.INTEGRATE, "gluteus_medius", for_compensations=("back_arches", "knees_in"))
    harder = replace(squat, slug="zz_hard_squat", level=2, equipment=("stability_ball",))
    catalogue = _catalogue(squat, harder)
    covers = catalogue.integrate_by_cover
    # The seed's ball_squat (knees_in, knees_out, back_arches) is another cover; ours share one, best first.
    assert [e.slug for e in covers[frozenset({"back_arches", "knees_in"})]] == ["zz_hard_squat", "ball_squat"]
    assert [e.slug for e in catalogue.integrate_for["knees_in"]] == ["ball_squat", "step_up", "zz_hard_squat"]


def _brute_force_pick(
    catalogue: Catalogue, eligibility: Eligibility, phase: Phase, muscle: str, one_side: bool
) -> tuple[Exercise | None, tuple[str, str]]:
    """The pick as the planner made it before the indexes: rank every exercise the client may do."""
    candidates = [e for e in catalogue.exercises_serving(phase, muscle) if eligibility.visible(e)]
    if not candidates:
        return None, ("no_exercise", f"the library has no {phase} exercise for {muscle}")
    eligible = [e for e in candidates if eligibility.failure(e) is None]
    if not eligible:
        order = ("contraindication", "missing_equipment", "above_level")
        failures = [f for f in map(eligibility.failure, candidates) if f is not None]
        return None, min(failures, key=lambda f: order.index(f[0]))
    best = min(eligible, key=lambda e: pick_rank(e, muscle, one_side)[:5])
    return best, ("", "")


EXCLUSIONS: list[dict[str, tuple[str, ...]]] = [
    {},
    {"smr": ("osteoporosis",)},
    {"stretch": ("hypermobility",), "smr": ("varicose_veins",)},
]
ELIGIBILITIES = [
    Eligibility(excluded, equipment, level, tenant)
    for excluded, equipment, level, tenant in itertools.product(
        EXCLUSIONS,
        [None, frozenset(), frozenset({"foam_roller"}), frozenset({"massage_ball", "mini_band"})],
        [1, 2, 3],
        [None, "acme"],
    )
]


@pytest.mark.parametrize("eligibility", ELIGIBILITIES, ids=lambda e: repr(e.key))
def test_indexed_picks_match_a_full_scan(eligibility: Eligibility) -> None:
    catalogue = _catalogue(COPY, BALL, HARD, EASY, OWN, replace(HARD, slug="aaa_hard", owner="acme", level=2))
    analysis = analyse(catalogue, catalogue.default_ruleset, request(("knees_in", "bilateral")).assessments)
    mode = catalogue.template_versions("house")[0].modes["standalone"]
    builder = _Builder(catalogue, analysis, mode, eligibility)
    for phase, muscle, one_side in itertools.product(
        (Phase.INHIBIT, Phase.LENGTHEN, Phase.ACTIVATE), catalogue.muscles, (False, True)
    ):
        exercise_, refusal = _brute_force_pick(catalogue, eligibility, phase, muscle, one_side)
        picked = builder._pick_uncached(phase, muscle, one_side)
        assert (picked.exercise, picked.refusal) == (exercise_, refusal), (phase, muscle, one_side)
