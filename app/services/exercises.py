"""Tenants' own exercises: validated against the shared catalogue, then stored for that tenant alone."""

from collections.abc import Iterable

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.db.exercises import count_exercises, insert_exercise
from app.domain.catalogue import Catalogue
from app.domain.errors import shown
from app.domain.model import Dosage, Exercise, Phase
from app.domain.vocabulary import DeclaredTag, values
from app.errors import Conflict, Forbidden, InvalidInput
from app.schemas.catalogue import ExerciseCreate, ExercisePublic
from app.schemas.problem import FieldError
from app.services.accounts import Principal
from app.services.writes import IdempotencyKey, write

SOURCE_OF_TENANT_EXERCISES = "tenant"


def _reject(
    field: str, message: str, allowed: Iterable[str] | None = None, *, value: str | None = None
) -> InvalidInput:
    """The detail quotes the value at fault (once, shortened), the field's message says what is wrong with it."""
    quoted = f" '{shown(value)}'" if value is not None else ""
    return InvalidInput(
        f"{field}: {message}{quoted}",
        errors=[FieldError(field=field, message=message)],
        allowed=sorted(allowed) if allowed is not None else None,
        code="invalid_exercise",
    )


def _check_known(field: str, values: list[str], known: Iterable[str]) -> None:
    known = set(known)
    for index, value in enumerate(values):
        if value not in known:
            raise _reject(f"{field}.{index}", "unknown id", known, value=value)


def validate(catalogue: Catalogue, data: ExerciseCreate, tenant: str) -> None:
    """What a shared exercise of the phase looks like is what a custom one must look like."""
    phase = Phase(data.phase)
    shared = [e for e in catalogue.exercises.values() if e.phase is phase]
    modalities = {e.modality for e in shared}
    if data.modality not in modalities:
        raise _reject("modality", f"not a modality of the {phase} phase", modalities)
    _check_known("targets", data.targets, catalogue.muscles)
    _check_known("equipment", data.equipment, catalogue.equipment)
    _check_known("for_compensations", data.for_compensations, catalogue.compensations)
    if (data.position == "standing") != (data.stance != "none"):
        raise _reject("stance", "a standing exercise has a stance other than none, and only a standing one does")
    if (data.modality == "positional_isometric") != (data.effort is not None):
        raise _reject("effort", "give the peak effort of a positional isometric, and only of one")
    declared = set(values(DeclaredTag))  # the tags of position, stance and effort are derived, never required
    required = set.intersection(*(set(e.tags) & declared for e in shared)) if shared else set()
    if missing := sorted(required - set(data.tags)):
        raise _reject("tags", f"{phase} exercises must carry {', '.join(missing)} so conditions can exclude them")
    if phase is Phase.INHIBIT:
        unsafe = [m for m in data.targets if not catalogue.muscles[m].smr_safe]
        if unsafe:
            raise _reject("targets", f"{', '.join(unsafe)} must never be rolled")
    if data.defaults.reps is None and data.defaults.hold_seconds is None:
        raise _reject("defaults", "give reps or hold_seconds")
    for field in ("regression", "progression"):
        slug = getattr(data, field)
        if slug is None:
            continue
        linked = catalogue.exercise(slug, tenant)
        if linked is None or linked.phase is not phase:
            raise _reject(field, f"not an exercise of the {phase} phase", value=slug)
    if catalogue.exercise(data.slug, tenant) is not None:
        raise Conflict(f"an exercise '{data.slug}' already exists", code="exercise_exists")


def as_stored(catalogue: Catalogue, data: ExerciseCreate, tenant: str) -> Exercise:
    """The exercise as a snapshot reads it back once stored: what the write answers, whether or not this worker's
    snapshot could be refreshed after the commit (a test holds the two equal)."""
    defaults = data.defaults
    safety = catalogue.safety
    derived = safety.derived_tags(data.position, data.stance, data.supported, data.effort) if safety else ()
    return Exercise(
        slug=data.slug,
        name=data.name,
        phase=Phase(data.phase),
        modality=data.modality,
        targets=tuple(sorted(data.targets)),
        equipment=tuple(sorted(data.equipment)),
        level=data.level,
        unilateral=data.unilateral,
        tags=tuple(sorted({*data.tags, *derived})),
        regression=data.regression,
        progression=data.progression,
        description=data.description,
        instructions=tuple(data.instructions),
        cues=tuple(data.cues),
        defaults=Dosage(defaults.sets, defaults.reps, defaults.hold_seconds, defaults.tempo, defaults.rest_seconds),
        source=SOURCE_OF_TENANT_EXERCISES,
        body_region=data.body_region,
        for_compensations=tuple(sorted(data.for_compensations)),
        owner=tenant,
        position=data.position,
        stance=data.stance,
        supported=data.supported,
        effort=data.effort,
    )


def create_exercise(
    engine: Engine,
    catalogue: Catalogue,
    data: ExerciseCreate,
    principal: Principal,
    quota: int,
    idempotency: IdempotencyKey | None = None,
) -> ExercisePublic:
    """Store the tenant's exercise (at most `quota` per tenant); answers it as the tenant's snapshot will hold it."""
    values = (
        data.model_dump(
            include={
                "slug",
                "name",
                "phase",
                "modality",
                "level",
                "unilateral",
                "position",
                "stance",
                "supported",
                "effort",
                "description",
                "instructions",
                "cues",
                "body_region",
            }
        )
        | data.defaults.model_dump()
    )
    links = data.model_dump(include={"targets", "equipment", "tags", "for_compensations", "regression", "progression"})

    def perform(session: Session, owner: int) -> ExercisePublic:
        validate(catalogue, data, principal.tenant)  # here, after a retry's stored answer was looked for
        if count_exercises(session, owner) >= quota:
            raise Forbidden(f"your tenant has reached its quota of {quota} exercises", code="quota_exceeded")
        insert_exercise(session, owner, values, links, SOURCE_OF_TENANT_EXERCISES)
        return ExercisePublic.model_validate(as_stored(catalogue, data, principal.tenant))

    try:
        return write(engine, principal, idempotency, ExercisePublic, perform)
    except IntegrityError as error:  # a concurrent create of the same slug won the race
        raise Conflict(f"an exercise '{data.slug}' already exists", code="exercise_exists") from error
