"""Which exercises serve a phase: every exercise is judged by all its targets, on every side it works, and picked
for the evidence it covers (domain.md K, M.5).

A phase's needs are (muscle, side) pairs weighted by the findings behind them. Candidates are picked greedily: the
one covering the most uncovered weight first, so an exercise serving four weak muscles beats four serving one, and
every finding's muscles are served before any muscle gets a second exercise. What stays uncovered gets the reason
that decided it.
"""

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from app.domain.analysis import Analysis, Evidence
from app.domain.catalogue import Catalogue
from app.domain.model import Exercise, Phase

BODY_SIDES = ("left", "right")
# Levels grade the stability and load of activation and integration, not the tool of rolling or stretching.
LEVELLED_PHASES = (Phase.ACTIVATE, Phase.INTEGRATE)
# Inhibit and Lengthen calm overactive muscles; Activate wakes underactive ones (domain.md 0).
RELEASE_PHASES = (Phase.INHIBIT, Phase.LENGTHEN)


class Need(NamedTuple):
    """A muscle a phase must serve, on these body sides, because of this evidence."""

    muscle: str
    sides: frozenset[str]
    evidence: tuple[Evidence, ...]
    weight: float  # per side: the findings behind it


def body_sides(sides: Iterable[str]) -> frozenset[str]:
    """An analysis side as the body sides it may mean: one the source leaves unstated may be either."""
    given = set(sides)
    return frozenset(BODY_SIDES) if "unspecified" in given else frozenset(given & set(BODY_SIDES))


@dataclass(frozen=True, slots=True)
class SideMap:
    """Per body side, the muscles (with all their members) that an exercise of each kind must not work."""

    release_blocked: Mapping[str, frozenset[str]]  # underactive there: not to be rolled or stretched
    activation_blocked: Mapping[str, frozenset[str]]  # only overactive there: not to be strengthened
    blockers: Mapping[tuple[str, str], tuple[str, ...]]  # (kind, side) -> the muscles behind the block

    @classmethod
    def of(cls, catalogue: Catalogue, analysis: Analysis) -> "SideMap":
        over = {i.muscle: body_sides(i.sides) for i in analysis.overactive}
        under = {i.muscle: body_sides(i.sides) for i in analysis.underactive}
        release = {side: tuple(m for m, sides in under.items() if side in sides) for side in BODY_SIDES}
        activation = {
            side: tuple(m for m, sides in over.items() if side in sides and side not in under.get(m, ()))
            for side in BODY_SIDES
        }

        def closure(muscles: tuple[str, ...]) -> frozenset[str]:
            return frozenset().union(*(catalogue.down(m) for m in muscles))

        return cls(
            release_blocked={side: closure(ms) for side, ms in release.items()},
            activation_blocked={side: closure(ms) for side, ms in activation.items()},
            blockers={
                **{("release", side): ms for side, ms in release.items()},
                **{("activation", side): ms for side, ms in activation.items()},
            },
        )

    def kind(self, phase: Phase) -> str:
        return "release" if phase in RELEASE_PHASES else "activation"

    def blocked(self, phase: Phase, side: str) -> frozenset[str]:
        if phase is Phase.INTEGRATE:
            return frozenset()
        return (self.release_blocked if phase in RELEASE_PHASES else self.activation_blocked)[side]

    def allows(self, catalogue: Catalogue, phase: Phase, exercise: Exercise, sides: Iterable[str]) -> bool:
        """Whether doing the exercise on these sides works no muscle it must not."""
        worked = catalogue.worked(exercise)
        return not any(worked & self.blocked(phase, side) for side in sides)

    def conflicting(self, catalogue: Catalogue, phase: Phase, exercise: Exercise, side: str) -> tuple[str, ...]:
        """The muscles that doing the exercise on that side would wrongly work, in the analysis' order."""
        worked = catalogue.worked(exercise)
        if not worked & self.blocked(phase, side):
            return ()
        return tuple(m for m in self.blockers[(self.kind(phase), side)] if catalogue.down(m) & worked)


class Refusal(NamedTuple):
    """Why a client may not do an exercise: every kind of reason that applies."""

    causes: tuple[str, ...]  # conditions (or pregnancy) that exclude it
    tags: tuple[str, ...]  # its risk tags they exclude
    missing: tuple[str, ...]  # equipment the client lacks
    level: int | None  # its level, when above the client's

    @property
    def kinds(self) -> tuple[str, ...]:
        found = []
        if self.causes:
            found.append("contraindication")
        if self.level is not None:
            found.append("above_level")
        if self.missing:
            found.append("missing_equipment")
        return tuple(found)


@dataclass(frozen=True, slots=True)
class Client:
    """What decides which exercises a client may do."""

    excluded_tags: Mapping[str, tuple[str, ...]]  # risk tag -> the conditions that exclude it
    equipment: frozenset[str] | None  # None: not given, everything is assumed
    level: int
    tenant: str | None = None

    def visible(self, exercise: Exercise) -> bool:
        """A tenant's custom exercises serve only that tenant's plans."""
        return exercise.owner is None or exercise.owner == self.tenant

    def refusal(self, exercise: Exercise) -> Refusal | None:
        excluded, equipment = self.excluded_tags, self.equipment
        tags = tuple(tag for tag in exercise.tags if tag in excluded) if excluded else ()
        missing = () if equipment is None else tuple(e for e in exercise.equipment if e not in equipment)
        above = exercise.level > self.level and exercise.phase in LEVELLED_PHASES
        if not (tags or missing or above):
            return None
        causes = tuple(sorted({cause for tag in tags for cause in excluded[tag]}))
        return Refusal(causes, tags, missing, exercise.level if above else None)


class Pick(NamedTuple):
    exercise: Exercise
    sides: frozenset[str]  # the body sides it is done on
    covers: tuple[tuple[str, str], ...]  # the (muscle, side) needs it serves, most important first
    score: float
    first: str  # the side to do first: the more affected one (domain.md M.5), else the left


class Gap(NamedTuple):
    """A need no allowed exercise covers, and why."""

    reason: str  # contraindication | works_weak_muscle | missing_equipment | above_level | no_exercise
    muscle: str
    sides: frozenset[str]
    refusal: Refusal | None = None
    exercise: Exercise | None = None  # the exercise the reason is about
    blockers: tuple[str, ...] = ()  # works_weak_muscle: the muscles it would wrongly work


class Selection(NamedTuple):
    picks: tuple[Pick, ...]  # in priority order: a template's limit keeps the first ones
    gaps: tuple[Gap, ...]


def _rank(phase: Phase, modality: str, exercise: Exercise) -> tuple[object, ...]:
    """The fixed part of the ranking, after the evidence covered: the phase's own technique first, then (for
    rolling and stretching) the gentlest, (for activation) the most demanding the client is ready for."""
    level = -exercise.level if phase in LEVELLED_PHASES else exercise.level
    return (exercise.modality != modality, level, len(exercise.equipment), exercise.slug, exercise.owner or "")


class _Static(NamedTuple):
    """What selection needs of an exercise that depends on the catalogue alone."""

    exercise: Exercise
    serves: frozenset[str]
    worked: frozenset[str]
    rank: tuple[object, ...]


def _profile(exercise: Exercise) -> tuple[object, ...]:
    """Everything selection looks at but the slug: of exercises alike in all of it, the first by slug is always
    chosen (or refused for the same reasons) before the others, so the others need not be looked at."""
    return (
        exercise.owner,
        exercise.tags,
        exercise.equipment,
        exercise.level,
        exercise.unilateral,
        exercise.targets,
        exercise.modality,
    )


def _index(catalogue: Catalogue, phase: Phase, modality: str) -> dict[str, tuple[_Static, ...]]:
    """Per muscle, the exercises of the phase serving it, best first by the fixed ranking, one of each profile.
    Made once per snapshot, phase and technique."""

    def build() -> dict[str, tuple[_Static, ...]]:
        index = {}
        for muscle in catalogue.muscles:
            ranked = sorted(catalogue.exercises_serving(phase, muscle), key=lambda e: _rank(phase, modality, e))
            seen: set[tuple[object, ...]] = set()
            kept = []
            for exercise in ranked:
                profile = _profile(exercise)
                if profile not in seen:
                    seen.add(profile)
                    kept.append(
                        _Static(
                            exercise,
                            catalogue.serves(exercise),
                            catalogue.worked(exercise),
                            _rank(phase, modality, exercise),
                        )
                    )
            index[muscle] = tuple(kept)
        return index

    return catalogue.indexed(("selection", phase, modality), build)


class _Candidate(NamedTuple):
    exercise: Exercise
    serves: frozenset[str]
    sides: frozenset[str]  # the sides it may be done on without working a muscle it must not
    rank: tuple[object, ...]


_SIDES_ALLOWED = {
    (True, True): frozenset(BODY_SIDES),
    (True, False): frozenset({"left"}),
    (False, True): frozenset({"right"}),
    (False, False): frozenset(),
}


def select(
    catalogue: Catalogue, phase: Phase, modality: str, needs: list[Need], client: Client, sides: SideMap
) -> Selection:
    """Every exercise the phase could use for these needs, best first, and the needs left uncovered. A pure function
    of its arguments, so remembered per snapshot under a key naming all of them (the needs without their evidence,
    which selection does not read; the client with the conditions behind each excluded tag; the muscles that block
    each side)."""
    kind = sides.kind(phase)
    key = (
        "select",
        phase,
        modality,
        tuple((need.muscle, need.sides, need.weight) for need in needs),
        (tuple(client.excluded_tags.items()), client.equipment, client.level, client.tenant),
        sides.blockers[(kind, "left")] if phase is not Phase.INTEGRATE else (),
        sides.blockers[(kind, "right")] if phase is not Phase.INTEGRATE else (),
    )
    return catalogue.memoised(key, lambda: _select(catalogue, phase, modality, needs, client, sides))


def _select(
    catalogue: Catalogue, phase: Phase, modality: str, needs: list[Need], client: Client, sides: SideMap
) -> Selection:
    index = _index(catalogue, phase, modality)
    wanted = {need.muscle for need in needs}
    considered: dict[int, _Static] = {}
    for need in needs:  # in the needs' order, so candidates come in the same order whatever the hashing
        for static in index.get(need.muscle, ()):
            if client.visible(static.exercise):
                considered.setdefault(id(static.exercise), static)
    left, right = sides.blocked(phase, "left"), sides.blocked(phase, "right")
    candidates, refused = [], []
    for static in considered.values():
        exercise = static.exercise
        refusal = client.refusal(exercise)
        if refusal is not None:
            refused.append((exercise, refusal))
            continue
        worked = static.worked
        fine = (not (left and worked & left), not (right and worked & right))
        # Done on both sides at once, it may not work a muscle it must not on either.
        allowed = _SIDES_ALLOWED[fine] if exercise.unilateral or all(fine) else frozenset()
        candidates.append(_Candidate(exercise, static.serves, allowed, static.rank))
    uncovered = {(need.muscle, side): need.weight for need in needs for side in need.sides}
    picks = _greedy(candidates, uncovered, wanted)
    gaps = _gaps(catalogue, phase, needs, uncovered, candidates, refused, sides)
    return Selection(tuple(picks), tuple(gaps))


def _cover_key(
    candidate: _Candidate, covers: list[tuple[str, str]], uncovered: dict[tuple[str, str], float]
) -> tuple[object, ...]:
    """Best first: the most uncovered evidence; then direct targets over an exercise for a group or one of its parts;
    then, for a need on one side only, an exercise that works that side only; then the fixed ranking."""
    score = sum(uncovered[p] for p in covers)
    direct = sum(1 for muscle, _ in covers if muscle in candidate.exercise.targets)
    one_sided = not candidate.exercise.unilateral and len({side for _, side in covers}) == 1
    return (-score, -direct, one_sided, *candidate.rank)


def _greedy(candidates: list[_Candidate], uncovered: dict[tuple[str, str], float], wanted: set[str]) -> list[Pick]:
    """Repeatedly the candidate covering the most uncovered evidence. A candidate's key only gets worse as others
    cover its needs, so keys are kept in a heap and re-checked only when one reaches the top (lazy greedy: the same
    picks as re-scoring every candidate each round)."""
    need_sides: dict[str, list[str]] = {}
    for muscle, side in uncovered:
        need_sides.setdefault(muscle, []).append(side)
    heap = []
    for index, candidate in enumerate(candidates):
        if candidate.sides:
            could = [(m, s) for m in candidate.serves & wanted for s in need_sides[m] if s in candidate.sides]
            if could:
                heap.append((_cover_key(candidate, could, uncovered), index, could))
    heapq.heapify(heap)
    picks: list[Pick] = []
    while uncovered and heap:
        key, index, could = heapq.heappop(heap)
        covers = [p for p in could if p in uncovered]
        if not covers:
            continue
        current = _cover_key(candidates[index], covers, uncovered)
        if current != key and heap and heap[0][:2] < (current, index):
            heapq.heappush(heap, (current, index, covers))  # others covered some of its needs: look again later
            continue
        chosen = candidates[index].exercise
        ordered = tuple(sorted(covers, key=lambda p: (-uncovered[p], p)))
        done_on = frozenset(side for _, side in covers) if chosen.unilateral else frozenset(BODY_SIDES)
        weight = {side: sum(uncovered[p] for p in covers if p[1] == side) for side in BODY_SIDES}
        first = max(BODY_SIDES, key=lambda side: (weight[side], side == "left"))
        picks.append(Pick(chosen, done_on, ordered, sum(uncovered[p] for p in covers), first))
        for pair in covers:
            del uncovered[pair]
    return picks


# When one reason alone keeps an exercise out, the one a trainer can act on is given first: equipment to get, a level
# to reach; then the plan's own rule (it would work a weak muscle); then the client's conditions. When several do, the
# gravest decides it (no equipment makes a contraindicated exercise safe).
_ACTIONABLE = ("missing_equipment", "above_level", "works_weak_muscle", "contraindication")
_GRAVEST = ("contraindication", "works_weak_muscle", "above_level", "missing_equipment")


def _deciding(kinds: list[str]) -> tuple[int, int, str]:
    """(tier, order, reason) for an exercise kept out for these reasons: a single reason before several."""
    if len(kinds) == 1:
        return 0, _ACTIONABLE.index(kinds[0]), kinds[0]
    reason = min(kinds, key=_GRAVEST.index)
    return 1, _GRAVEST.index(reason), reason


def _gaps(
    catalogue: Catalogue,
    phase: Phase,
    needs: list[Need],
    uncovered: dict[tuple[str, str], float],
    candidates: list[_Candidate],
    refused: list[tuple[Exercise, Refusal]],
    sides: SideMap,
) -> list[Gap]:
    open_needs = [(need, frozenset(side for side in need.sides if (need.muscle, side) in uncovered)) for need in needs]
    open_needs = [(need, open_sides) for need, open_sides in open_needs if open_sides]
    if not open_needs:
        return []
    # Each refused exercise, judged once: what it serves, its reasons, and the sides it would work wrongly on.
    judged = []
    for exercise, refusal in refused:
        blocked = frozenset(s for s in BODY_SIDES if catalogue.worked(exercise) & sides.blocked(phase, s))
        judged.append((exercise, refusal, catalogue.serves(exercise), blocked))
    gaps = []
    for need, open_sides in open_needs:
        options: list[tuple[int, int, int, str, Gap, str | None]] = []  # ranks, gap, a side it would work wrongly
        for exercise, refusal, serves, blocked in judged:
            if need.muscle not in serves:
                continue
            kinds = list(refusal.kinds)
            wrong = blocked & open_sides
            if wrong and (not exercise.unilateral or open_sides <= blocked):
                kinds.append("works_weak_muscle")  # it would not do even with the equipment or the level
            tier, order, reason = _deciding(kinds)
            gap = Gap(reason, need.muscle, open_sides, refusal, exercise)
            rank = (tier, order, len(refusal.missing), exercise.slug)
            options.append((*rank, gap, min(wrong) if wrong else None))
        for candidate in candidates:
            if need.muscle in candidate.serves and not open_sides <= candidate.sides:
                # The side it would work wrongly on (a two-sided exercise may be refused for one side only).
                worked = catalogue.worked(candidate.exercise)
                at = [s for s in sorted(open_sides) if worked & sides.blocked(phase, s)]
                side = at[0] if at else min(open_sides - candidate.sides)
                gap = Gap("works_weak_muscle", need.muscle, open_sides, None, candidate.exercise)
                tier, order, _ = _deciding(["works_weak_muscle"])
                options.append((tier, order, 0, candidate.exercise.slug, gap, side))
        if not options:
            gaps.append(Gap("no_exercise", need.muscle, open_sides))
            continue
        *_, gap, wrong_side = min(options, key=lambda o: o[:4])
        if gap.reason == "works_weak_muscle" and gap.exercise is not None and wrong_side is not None:
            gap = gap._replace(blockers=sides.conflicting(catalogue, phase, gap.exercise, wrong_side))
        gaps.append(gap)
    return gaps
