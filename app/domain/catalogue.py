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
    ExerciseSafety,
    LifestyleNote,
    MobilityTest,
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


def integrate_rank(exercise: Exercise) -> tuple[int, int, str, str]:
    """How the planner breaks a tie between integrate exercises that cover as many compensations, best first."""
    return (-exercise.level, len(exercise.equipment), exercise.slug, exercise.owner or "")


@dataclass(frozen=True)
class Catalogue:
    """What one caller sees: the seeded knowledge, plus a tenant's own exercises and templates in a tenant's view."""

    revision: int  # of the view: up whenever anything it holds changes (see app.db.repositories.StoredCatalogue)
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
    safety: ExerciseSafety | None = None
    mobility_tests: tuple[MobilityTest, ...] = ()
    shared_revision: int = 0  # of the seeded knowledge alone: what answers that hold nothing of a tenant depend on
    owner: str | None = None  # the tenant whose view this is; None for the shared catalogue
    # Unique in this process, unlike `revision` (two databases may share a revision number).
    snapshot_id: int = field(default_factory=lambda: next(_SNAPSHOT_IDS))

    @classmethod
    def build(
        cls,
        *,
        revision: int,
        shared_revision: int | None = None,
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
        safety: ExerciseSafety | None = None,
        mobility_tests: Iterable[MobilityTest] = (),
        owner: str | None = None,
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
            shared_revision=revision if shared_revision is None else shared_revision,
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
            safety=safety,
            mobility_tests=tuple(mobility_tests),
            owner=owner,
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

    @cached_property
    def _down(self) -> dict[str, frozenset[str]]:
        return {slug: frozenset({slug}) | self.descendants(slug) for slug in self.muscles}

    def down(self, slug: str) -> frozenset[str]:
        """The muscle and every member of it: what working the muscle works."""
        return self._down.get(slug, frozenset({slug}))

    @cached_property
    def _worked(self) -> dict[tuple[str | None, str], frozenset[str]]:
        return {
            (exercise.owner, exercise.slug): frozenset().union(*(self.down(t) for t in exercise.targets))
            for exercise in self.all_exercises()
        }

    def worked(self, exercise: Exercise) -> frozenset[str]:
        """Every muscle the exercise works: its targets and all their members (not the groups they belong to)."""
        return self._worked[(exercise.owner, exercise.slug)]

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

    def mobility_test(self, muscle: str) -> MobilityTest | None:
        """The first test that decides the muscle, directly or through a group it belongs to."""
        related = {muscle} | self.ancestors(muscle)
        return next((test for test in self.mobility_tests if related & set(test.muscles)), None)

    @property
    def integrate_exercises(self) -> list[Exercise]:
        """Integrate exercises of the shared catalogue and every tenant, by slug."""
        return self._integrate_exercises

    @cached_property
    def _integrate_exercises(self) -> list[Exercise]:
        integrate = (e for e in self.all_exercises() if e.phase is Phase.INTEGRATE)
        return sorted(integrate, key=lambda e: (e.slug, e.owner or ""))

    @cached_property
    def _indexes(self) -> dict[Hashable, Any]:
        return {}

    def indexed(self, key: Hashable, build: Callable[[], T]) -> T:
        """An index of the catalogue alone, built on first use and kept for the snapshot's life. Apart from
        `memoised`, which holds answers that depend on a client: the keys here are few (a phase and a technique),
        and clearing the memo does not rebuild them."""
        try:
            value: T = self._indexes[key]
            return value
        except KeyError:
            value = self._indexes[key] = build()
            return value

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
