"""Tenants' own exercises: validated against the shared catalogue, then stored for that tenant alone."""

from collections.abc import Iterable

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from app.db.accounts import tenant_id
from app.db.engine import session_scope
from app.db.exercises import insert_exercise
from app.domain.catalogue import Catalogue
from app.domain.errors import shown
from app.domain.model import Phase
from app.domain.vocabulary import DeclaredTag, values
from app.errors import Conflict, InvalidInput
from app.schemas.catalogue import ExerciseCreate
from app.schemas.problem import FieldError
from app.services.accounts import Principal


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


def create_exercise(engine: Engine, catalogue: Catalogue, data: ExerciseCreate, principal: Principal) -> None:
    validate(catalogue, data, principal.tenant)
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
    try:
        with session_scope(engine) as session:
            owner = tenant_id(session, principal.tenant)
            assert owner is not None
            insert_exercise(session, owner, values, links)
    except IntegrityError as error:  # a concurrent create of the same slug won the race
        raise Conflict(f"an exercise '{data.slug}' already exists", code="exercise_exists") from error
