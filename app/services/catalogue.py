"""Read operations on the catalogue: filtering, paging and shaping the snapshot for the API."""

from collections.abc import Collection, Iterable

import orjson

from app.domain.catalogue import Catalogue
from app.domain.errors import shown
from app.domain.model import Exercise, Muscle, Phase, Role
from app.errors import InvalidFilter, NotFound
from app.schemas.catalogue import (
    AssessmentCompensation,
    AssessmentPublic,
    CompensationPublic,
    ConditionPublic,
    EquipmentPublic,
    ExercisePublic,
    MusclePublic,
    RuleMusclePublic,
    RulesetPublic,
    RulesetRowPublic,
    RulesetSummary,
)
from app.schemas.problem import FieldError
from app.services.bytecache import ByteBudgetCache


def _require(kind: str, slug: str, known: Iterable[str]) -> None:
    if slug not in known:
        raise NotFound(f"no {kind} '{shown(slug)}'")


def _check_filter(name: str, value: str, known: Collection[str]) -> None:
    if value not in known:
        raise InvalidFilter(
            f"unknown {name} '{shown(value)}'",
            errors=[FieldError(field=name, message="unknown id")],
            allowed=sorted(known),
        )


def _muscle(catalogue: Catalogue, muscle: Muscle) -> MusclePublic:
    return MusclePublic(
        slug=muscle.slug,
        name=muscle.name,
        region=muscle.region,
        kind=muscle.kind,
        member_of=list(muscle.member_of),
        members=list(catalogue.members(muscle.slug)),
        smr_safe=muscle.smr_safe,
        source=muscle.source,
    )


def list_muscles(catalogue: Catalogue) -> list[MusclePublic]:
    return [_muscle(catalogue, m) for m in catalogue.muscles.values()]


def get_muscle(catalogue: Catalogue, slug: str) -> MusclePublic:
    _require("muscle", slug, catalogue.muscles)
    return _muscle(catalogue, catalogue.muscles[slug])


def list_assessments(catalogue: Catalogue) -> list[AssessmentPublic]:
    result = []
    for assessment in catalogue.assessments.values():
        compensations = [
            AssessmentCompensation(slug=c.slug, name=c.name, view=p.view, checkpoint=p.checkpoint, lateral=c.lateral)
            for c in catalogue.compensations.values()
            for p in c.placements
            if p.assessment == assessment.slug
        ]
        result.append(
            AssessmentPublic(
                slug=assessment.slug,
                name=assessment.name,
                description=assessment.description,
                compensations=compensations,
                source=assessment.source,
            )
        )
    return result


def list_compensations(catalogue: Catalogue, assessment: str | None) -> list[CompensationPublic]:
    if assessment is not None:
        _check_filter("assessment", assessment, catalogue.assessments)
    return [
        CompensationPublic.model_validate(c)
        for c in catalogue.compensations.values()
        if assessment is None or assessment in c.assessments
    ]


def list_rulesets(catalogue: Catalogue) -> list[RulesetSummary]:
    return [
        RulesetSummary(
            slug=r.slug,
            name=r.name,
            description=r.description,
            is_default=r.is_default,
            source=r.source,
            row_count=len(r.rows),
        )
        for r in sorted(catalogue.rulesets.values(), key=lambda r: r.slug)
    ]


def get_ruleset(catalogue: Catalogue, slug: str) -> RulesetPublic:
    _require("ruleset", slug, catalogue.rulesets)
    ruleset = catalogue.rulesets[slug]
    rows = [
        RulesetRowPublic(
            assessment=row.assessment,
            compensation=row.compensation,
            confidence=row.confidence,
            source=row.source,
            overactive=[RuleMusclePublic.model_validate(m) for m in row.muscles if m.role is Role.OVERACTIVE],
            underactive=[RuleMusclePublic.model_validate(m) for m in row.muscles if m.role is Role.UNDERACTIVE],
        )
        for row in ruleset.rows
    ]
    return RulesetPublic(
        slug=ruleset.slug,
        name=ruleset.name,
        description=ruleset.description,
        is_default=ruleset.is_default,
        source=ruleset.source,
        row_count=len(rows),
        rows=rows,
    )


def list_equipment(catalogue: Catalogue) -> list[EquipmentPublic]:
    return [EquipmentPublic.model_validate(e) for e in catalogue.equipment.values()]


def exercise_public(exercise: Exercise) -> ExercisePublic:
    return ExercisePublic.model_validate(exercise)


def _exercise_fragment(catalogue: Catalogue, exercise: Exercise) -> orjson.Fragment:
    # An exercise reads the same until the catalogue changes: serialise it once per snapshot.
    return catalogue.memoised(
        ("exercise_public_json", exercise.owner, exercise.slug),
        lambda: orjson.Fragment(exercise_public(exercise).model_dump_json().encode()),
    )


def get_exercise(catalogue: Catalogue, slug: str, tenant: str | None = None) -> ExercisePublic:
    exercise = catalogue.exercise(slug, tenant)
    if exercise is None:
        raise NotFound(f"no exercise '{shown(slug)}'")
    return exercise_public(exercise)


def parse_equipment(catalogue: Catalogue, values: list[str] | None, field: str) -> frozenset[str] | None:
    """Equipment the user has: repeated or comma-separated ids; an empty value means bodyweight only."""
    if values is None:
        return None
    have = frozenset(part.strip() for value in values for part in value.split(",") if part.strip())
    for slug in sorted(have):
        _check_filter(field, slug, catalogue.equipment)
    return have


def _matches_text(exercise: Exercise, needle: str) -> bool:
    haystack = (exercise.slug, exercise.name, exercise.description, *exercise.cues)
    return any(needle in text.casefold() for text in haystack)


# At most 8 MiB per worker: about 130 pages of 50 exercises (60 KB). A key holds only validated filters (known
# ids, a search of at most 100 characters), so 1 KB each is ample.
PAGE_CACHE_BYTES = 8 * 1024 * 1024
_pages: ByteBudgetCache[tuple[object, ...], bytes] = ByteBudgetCache(PAGE_CACHE_BYTES, len, key_bytes=1024)


def list_exercises(
    catalogue: Catalogue,
    *,
    phase: Phase | None = None,
    muscle: str | None = None,
    equipment: frozenset[str] | None = None,
    level: int | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
    tenant: str | None = None,
) -> bytes:
    """One page of matching exercises as JSON (the shape of Page[ExercisePublic]). Front-ends ask for the same
    pages on every screen, so recent pages are kept per snapshot."""
    key = (catalogue.snapshot_id, phase, muscle, equipment, level, q, limit, offset, tenant)
    page = _pages.get(key)
    if page is None:
        page = _render_page(catalogue, phase, muscle, equipment, level, q, limit, offset, tenant)
        _pages.put(key, page)
    return page


def _render_page(
    catalogue: Catalogue,
    phase: Phase | None,
    muscle: str | None,
    equipment: frozenset[str] | None,
    level: int | None,
    q: str | None,
    limit: int,
    offset: int,
    tenant: str | None,
) -> bytes:
    if muscle is not None:
        _check_filter("muscle", muscle, catalogue.muscles)
        related = catalogue.related_muscles(muscle)
    needle = q.casefold().strip() if q else ""
    matching = [
        e
        for e in catalogue.visible_exercises(tenant)
        if (phase is None or e.phase is phase)
        and (muscle is None or not related.isdisjoint(e.targets))
        and (equipment is None or set(e.equipment) <= equipment)
        and (level is None or e.level == level)
        and (not needle or _matches_text(e, needle))
    ]
    items = [_exercise_fragment(catalogue, e) for e in matching[offset : offset + limit]]
    return orjson.dumps({"total": len(matching), "limit": limit, "offset": offset, "items": items})


def list_conditions(catalogue: Catalogue) -> list[ConditionPublic]:
    return [ConditionPublic.model_validate(c) for c in catalogue.conditions.values()]
