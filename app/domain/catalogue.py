"""An immutable snapshot of the knowledge base, with the lookups the rules need.

Built once from storage and shared by every request; nothing here touches a database.
"""

import itertools
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from app.domain.model import (
    Assessment,
    Compensation,
    Condition,
    Equipment,
    Exercise,
    LifestyleNote,
    Muscle,
    Phase,
    Role,
    Ruleset,
    RulesetRow,
    ScreeningPolicy,
    TemplateVersion,
)

T = TypeVar("T")
_SNAPSHOT_IDS = itertools.count(1)
# About 8 KB an entry at most (an analysis): a full memo stays near 16 MB.
MEMO_LIMIT = 2_000


@dataclass(frozen=True, slots=True)
class StaticPattern:
    """A static distortion pattern's muscle profile: a `static_posture` row of a ruleset."""

    pattern: str  # the row's compensation
    overactive: frozenset[str]
    underactive: frozenset[str]


def _by_slug(items: Iterable[Any]) -> dict[str, Any]:
    return {item.slug: item for item in items}


def eligibility_profile(exercise: Exercise) -> Hashable:
    """All a client's eligibility looks at: whose the exercise is, its risk tags, its equipment and its level.
    Two exercises with the same profile are allowed, or refused for the same kind of reason, together."""
    return (exercise.owner, frozenset(exercise.tags), frozenset(exercise.equipment), exercise.level)


def first_of_each_profile(exercises: Iterable[Exercise]) -> tuple[Exercise, ...]:
    """The exercises in their order, without any whose eligibility profile came earlier: a walk looking for the
    first exercise a client may do (or the first refused for a given reason) never needs the later ones."""
    seen: set[Hashable] = set()
    kept = []
    for exercise in exercises:
        profile = eligibility_profile(exercise)
        if profile not in seen:
            seen.add(profile)
            kept.append(exercise)
    return tuple(kept)


def integrate_rank(exercise: Exercise) -> tuple[int, int, str, str]:
    """How the planner breaks a tie between integrate exercises that cover as many compensations, best first."""
    return (-exercise.level, len(exercise.equipment), exercise.slug, exercise.owner or "")


def pick_rank(exercise: Exercise, muscle: str, one_side: bool) -> tuple[bool, bool, int, int, str, str]:
    """How the planner ranks the exercises that serve a muscle, best first; all of it is static."""
    return (
        muscle not in exercise.targets,  # a direct target first
        one_side and not exercise.unilateral,  # a one-sided finding prefers a one-sided exercise
        -exercise.level,  # the most demanding the client is ready for
        len(exercise.equipment),
        exercise.slug,
        exercise.owner or "",  # a shared exercise before a tenant's of the same slug, as `exercises_serving` has them
    )


@dataclass(frozen=True)
class Catalogue:
    revision: int
    muscles: Mapping[str, Muscle]
    assessments: Mapping[str, Assessment]
    compensations: Mapping[str, Compensation]
    rulesets: Mapping[str, Ruleset]
    equipment: Mapping[str, Equipment]
    exercises: Mapping[str, Exercise]
    conditions: Mapping[str, Condition]
    lifestyle: tuple[LifestyleNote, ...]
    screening: ScreeningPolicy | None
    templates: Mapping[tuple[str | None, str], tuple[TemplateVersion, ...]] = field(default_factory=dict)
    default_template: str = ""
    custom_exercises: Mapping[str, Mapping[str, Exercise]] = field(default_factory=dict)
    # Unique in this process, unlike `revision` (two databases may share a revision number).
    snapshot_id: int = field(default_factory=lambda: next(_SNAPSHOT_IDS))

    @classmethod
    def build(
        cls,
        *,
        revision: int,
        muscles: Iterable[Muscle],
        assessments: Iterable[Assessment],
        compensations: Iterable[Compensation],
        rulesets: Iterable[Ruleset],
        equipment: Iterable[Equipment],
        exercises: Iterable[Exercise],
        conditions: Iterable[Condition],
        lifestyle: Iterable[LifestyleNote] = (),
        screening: ScreeningPolicy | None = None,
        templates: Iterable[TemplateVersion] = (),
        default_template: str = "",
    ) -> "Catalogue":
        versions: dict[tuple[str | None, str], list[TemplateVersion]] = {}
        for version in templates:
            versions.setdefault((version.owner, version.template), []).append(version)
        exercises = sorted(exercises, key=lambda e: e.slug)
        custom: dict[str, dict[str, Exercise]] = {}
        for exercise in exercises:
            if exercise.owner is not None:
                custom.setdefault(exercise.owner, {})[exercise.slug] = exercise
        return cls(
            revision=revision,
            muscles=_by_slug(sorted(muscles, key=lambda m: m.slug)),
            assessments=_by_slug(assessments),
            compensations=_by_slug(sorted(compensations, key=lambda c: c.slug)),
            rulesets=_by_slug(rulesets),
            equipment=_by_slug(sorted(equipment, key=lambda e: e.slug)),
            exercises=_by_slug(e for e in exercises if e.owner is None),
            conditions=_by_slug(sorted(conditions, key=lambda c: c.slug)),
            lifestyle=tuple(lifestyle),
            screening=screening,
            templates={key: tuple(sorted(vs, key=lambda v: v.version)) for key, vs in versions.items()},
            default_template=default_template,
            custom_exercises=custom,
        )

    @cached_property
    def default_ruleset(self) -> Ruleset:
        return next(r for r in self.rulesets.values() if r.is_default)

    @cached_property
    def _rows(self) -> dict[tuple[str, str, str], RulesetRow]:
        return {
            (ruleset.slug, row.assessment, row.compensation): row
            for ruleset in self.rulesets.values()
            for row in ruleset.rows
        }

    def row(self, ruleset: str, assessment: str, compensation: str) -> RulesetRow | None:
        return self._rows.get((ruleset, assessment, compensation))

    @cached_property
    def _static_patterns(self) -> dict[str, tuple[StaticPattern, ...]]:
        return {}

    def static_patterns(self, ruleset: Ruleset) -> tuple[StaticPattern, ...]:
        """The ruleset's static distortion patterns, in its row order; made once per snapshot and ruleset slug
        (as analyses are remembered)."""
        patterns = self._static_patterns.get(ruleset.slug)
        if patterns is None:
            patterns = self._static_patterns[ruleset.slug] = tuple(
                StaticPattern(
                    row.compensation,
                    frozenset(m.muscle for m in row.muscles if m.role is Role.OVERACTIVE),
                    frozenset(m.muscle for m in row.muscles if m.role is Role.UNDERACTIVE),
                )
                for row in ruleset.rows
                if row.assessment == "static_posture"
            )
        return patterns

    @cached_property
    def _members(self) -> dict[str, tuple[str, ...]]:
        members: dict[str, list[str]] = {}
        for muscle in self.muscles.values():
            for group in muscle.member_of:
                members.setdefault(group, []).append(muscle.slug)
        return {group: tuple(sorted(slugs)) for group, slugs in members.items()}

    def members(self, slug: str) -> tuple[str, ...]:
        return self._members.get(slug, ())

    def _walk(self, start: str, step: Any) -> frozenset[str]:
        seen: set[str] = set()
        pending = list(step(start))
        while pending:
            slug = pending.pop()
            if slug not in seen:
                seen.add(slug)
                pending.extend(step(slug))
        return frozenset(seen)

    def ancestors(self, slug: str) -> frozenset[str]:
        """Every group the muscle belongs to, directly or through another group."""
        return self._walk(slug, lambda s: self.muscles[s].member_of if s in self.muscles else ())

    def descendants(self, slug: str) -> frozenset[str]:
        """Every member of the group, directly or through a sub-group."""
        return self._walk(slug, self.members)

    @cached_property
    def _related(self) -> dict[str, frozenset[str]]:
        return {slug: frozenset({slug}) | self.ancestors(slug) | self.descendants(slug) for slug in self.muscles}

    def related_muscles(self, slug: str) -> frozenset[str]:
        """The muscle, its groups and its members: an exercise targeting any of them serves it."""
        return self._related.get(slug, frozenset({slug}))

    def all_exercises(self) -> Iterable[Exercise]:
        """Shared and custom exercises of every tenant."""
        yield from self.exercises.values()
        for own in self.custom_exercises.values():
            yield from own.values()

    def visible_exercises(self, tenant: str | None) -> list[Exercise]:
        """The shared catalogue plus the tenant's own exercises, by slug."""

        def visible() -> list[Exercise]:
            own = self.custom_exercises.get(tenant, {}) if tenant else {}
            return sorted((*self.exercises.values(), *own.values()), key=lambda e: e.slug)

        return self.memoised(("visible", tenant), visible)

    def exercise(self, slug: str, tenant: str | None) -> Exercise | None:
        if tenant and slug in self.custom_exercises.get(tenant, {}):
            return self.custom_exercises[tenant][slug]
        return self.exercises.get(slug)

    @cached_property
    def _served_by(self) -> dict[tuple[str | None, str], frozenset[str]]:
        return {
            (exercise.owner, exercise.slug): frozenset().union(*(self.related_muscles(t) for t in exercise.targets))
            for exercise in self.all_exercises()
        }

    def serves(self, exercise: Exercise) -> frozenset[str]:
        """Every muscle the exercise serves: its targets, their groups and their members."""
        return self._served_by[(exercise.owner, exercise.slug)]

    @cached_property
    def _serving(self) -> dict[tuple[Phase, str], tuple[Exercise, ...]]:
        serving: dict[tuple[Phase, str], list[Exercise]] = {}
        for exercise in sorted(self.all_exercises(), key=lambda e: (e.slug, e.owner or "")):
            for muscle in self.serves(exercise):
                serving.setdefault((exercise.phase, muscle), []).append(exercise)
        return {key: tuple(exercises) for key, exercises in serving.items()}

    def exercises_serving(self, phase: Phase, muscle: str) -> tuple[Exercise, ...]:
        """Exercises of the phase (shared and every tenant's) serving the muscle, one of its groups or members."""
        return self._serving.get((phase, muscle), ())

    # --- indexes for the planner: static data only, built on first use and kept for the snapshot's life. They live
    # outside `_memo`, which holds answers that depend on a client; these depend on nothing but the catalogue.
    @cached_property
    def _ranked_serving(self) -> dict[tuple[Phase, str, bool], tuple[Exercise, ...]]:
        return {}

    def ranked_serving(self, phase: Phase, muscle: str, one_side: bool) -> tuple[Exercise, ...]:
        """`exercises_serving`, best first by `pick_rank`, only the first of each eligibility profile: the
        planner's pick is the first of these the client may do, found without looking at the rest."""
        key = (phase, muscle, one_side)
        ranked = self._ranked_serving.get(key)
        if ranked is None:
            candidates = sorted(self.exercises_serving(phase, muscle), key=lambda e: pick_rank(e, muscle, one_side))
            ranked = self._ranked_serving[key] = first_of_each_profile(candidates)
        return ranked

    @cached_property
    def _serving_profiles(self) -> dict[tuple[Phase, str], tuple[Exercise, ...]]:
        return {}

    def serving_profiles(self, phase: Phase, muscle: str) -> tuple[Exercise, ...]:
        """`exercises_serving` in its order, only the first of each eligibility profile: when the client may do
        none of them, the first refusal of each kind (which the planner reports) is among these."""
        key = (phase, muscle)
        kept = self._serving_profiles.get(key)
        if kept is None:
            kept = self._serving_profiles[key] = first_of_each_profile(self.exercises_serving(phase, muscle))
        return kept

    @cached_property
    def integrate_by_cover(self) -> dict[frozenset[str], tuple[Exercise, ...]]:
        """Integrate exercises (shared and every tenant's) that cover compensations, grouped by the set they cover,
        each group best first by `integrate_rank` and only the first of each eligibility profile: of a group, the
        planner's greedy cover can only ever choose the first one the client may do."""
        groups: dict[frozenset[str], list[Exercise]] = {}
        for exercise in sorted(self._integrate_exercises, key=integrate_rank):
            if exercise.for_compensations:
                groups.setdefault(frozenset(exercise.for_compensations), []).append(exercise)
        return {cover: first_of_each_profile(group) for cover, group in groups.items()}

    @cached_property
    def integrate_for(self) -> dict[str, tuple[Exercise, ...]]:
        """The integrate exercises that cover each compensation, by slug (a shared one before a tenant's of the same
        slug), only the first of each eligibility profile: the first refusal among them is the one the planner
        reports when the compensation stays uncovered."""
        covering: dict[str, list[Exercise]] = {}
        for exercise in self._integrate_exercises:
            for compensation in exercise.for_compensations:
                covering.setdefault(compensation, []).append(exercise)
        return {compensation: first_of_each_profile(group) for compensation, group in covering.items()}

    @cached_property
    def _integrate_exercises(self) -> list[Exercise]:
        integrate = (e for e in self.all_exercises() if e.phase is Phase.INTEGRATE)
        return sorted(integrate, key=lambda e: (e.slug, e.owner or ""))

    @cached_property
    def _memo(self) -> dict[Hashable, Any]:
        return {}

    def memoised(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A value computed once per snapshot (rules ask the same questions of it again and again).
        Bounded: when full it starts over, so odd keys cannot grow it without limit."""
        try:
            value: T = self._memo[key]
            return value
        except KeyError:
            if len(self._memo) >= MEMO_LIMIT:
                self._memo.clear()
            value = self._memo[key] = compute()
            return value

    def template_versions(self, slug: str, tenant: str | None = None) -> tuple[TemplateVersion, ...]:
        """The versions of the template the tenant sees under that slug: its own, else the shared one."""
        own = self.templates.get((tenant, slug)) if tenant else None
        return own or self.templates.get((None, slug), ())

    def visible_templates(self, tenant: str | None) -> list[str]:
        return sorted(slug for owner, slug in self.templates if owner is None or owner == tenant)
