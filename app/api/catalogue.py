"""GET endpoints of the catalogue: muscles, assessments, compensations, rulesets, exercises, equipment."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from app.api.auth import WriterDep
from app.api.caching import CatalogueReadDep, ExerciseReadDep
from app.api.deps import CATALOGUE_VERSION_HEADER, IdempotencyDep, get_store, say_if_replayed
from app.api.params import SlugPath, query_model, query_parameters
from app.api.responses import BODY, CACHED_READ, problems
from app.domain.model import Phase
from app.schemas.catalogue import (
    AssessmentPublic,
    CompensationPublic,
    CompensationQuery,
    ConditionPublic,
    EquipmentPublic,
    ExerciseCreate,
    ExercisePublic,
    ExerciseQuery,
    MusclePublic,
    Page,
    RulesetPublic,
    RulesetSummary,
)
from app.services import catalogue as service
from app.services import exercises as exercise_service

# Reads are open unless CEPLAN_REQUIRE_API_KEY is set; a key also shows the tenant's own exercises.
# Reads are cached by revision: ETag / Cache-Control, and 304 for a current If-None-Match (every read takes
# CatalogueReadDep, which sets them).
router = APIRouter(tags=["catalogue"], responses=CACHED_READ)
writes = APIRouter(tags=["catalogue"], responses={**BODY, **problems(503)})


# Exercises first: routes are tried in order, and the exercise search is the read asked for most.
@router.get(
    "/exercises",
    summary="Search exercises",
    response_class=Response,
    responses={200: {"model": Page[ExercisePublic], "description": "One page of exercises."}, **problems(422)},
    openapi_extra=query_parameters(ExerciseQuery),
)
async def list_exercises(
    read: ExerciseReadDep, query: Annotated[ExerciseQuery, Depends(query_model(ExerciseQuery))]
) -> Response:
    """Exercises of the library, filtered, in a stable order (by slug), with the total before paging."""
    page = service.list_exercises(
        read.catalogue,
        phase=Phase(query.phase) if query.phase else None,
        muscle=query.muscle,
        equipment=service.parse_equipment(read.catalogue, query.equipment, "equipment"),
        level=query.level,
        q=query.q,
        limit=query.limit,
        offset=query.offset,
        tenant=read.tenant,
    )
    return read.json(page)


@router.get("/exercises/{slug}", summary="Read one exercise", responses=problems(404))
async def get_exercise(read: ExerciseReadDep, slug: SlugPath) -> ExercisePublic:
    """One exercise with instructions, cues, equipment and default acute variables."""
    return service.get_exercise(read.catalogue, slug, read.tenant)


@router.get("/muscles", summary="List muscles and groups")
async def list_muscles(read: CatalogueReadDep) -> list[MusclePublic]:
    """Every muscle, part, group and fascia the rulesets and exercises refer to, by id."""
    return service.list_muscles(read.catalogue)


@router.get("/muscles/{slug}", summary="Read one muscle", responses=problems(404))
async def get_muscle(read: CatalogueReadDep, slug: SlugPath) -> MusclePublic:
    """One muscle with its groups and members."""
    return service.get_muscle(read.catalogue, slug)


@router.get("/assessments", summary="List assessment types and their compensations")
async def list_assessments(read: CatalogueReadDep) -> list[AssessmentPublic]:
    """The movement assessments and, for each, the compensations it can find."""
    return service.list_assessments(read.catalogue)


@router.get(
    "/compensations",
    summary="List compensations",
    responses=problems(422),
    openapi_extra=query_parameters(CompensationQuery),
)
async def list_compensations(
    read: CatalogueReadDep, query: Annotated[CompensationQuery, Depends(query_model(CompensationQuery))]
) -> list[CompensationPublic]:
    """Compensations (observations) with the assessments, views and checkpoints they belong to."""
    return service.list_compensations(read.catalogue, query.assessment)


@router.get("/rulesets", summary="List rulesets")
async def list_rulesets(read: CatalogueReadDep) -> list[RulesetSummary]:
    """The evidence rulesets (textbook editions) that map compensations to muscles."""
    return service.list_rulesets(read.catalogue)


@router.get("/rulesets/{slug}", summary="Read one ruleset with its rows", responses=problems(404))
async def get_ruleset(read: CatalogueReadDep, slug: SlugPath) -> RulesetPublic:
    """Every row of the ruleset: compensation to probable overactive and underactive muscles, with laterality."""
    return service.get_ruleset(read.catalogue, slug)


@writes.post(
    "/exercises",
    status_code=status.HTTP_201_CREATED,
    summary="Add your own exercise",
    responses=problems(401, 403, 409, 422),
)
def create_exercise(
    request: Request, response: Response, principal: WriterDep, data: ExerciseCreate, idempotency: IdempotencyDep
) -> ExercisePublic:
    """A custom exercise for your tenant's plans only, validated against the catalogue's muscles, phases,
    equipment and risk tags."""
    store = get_store(request)
    quota = request.app.state.settings.max_exercises_per_tenant
    engine = request.app.state.engine
    created = exercise_service.create_exercise(engine, store.get(principal.tenant), data, principal, quota, idempotency)
    fresh = store.catch_up(principal.tenant)
    if fresh.exercise(data.slug, principal.tenant) is not None:  # not when the refresh after the commit failed
        response.headers[CATALOGUE_VERSION_HEADER] = str(fresh.revision)  # the revision that holds the new exercise
    say_if_replayed(response, idempotency)
    return created


@router.get("/equipment", summary="List equipment")
async def list_equipment(read: CatalogueReadDep) -> list[EquipmentPublic]:
    """Equipment ids that exercises need and that a client may list as available."""
    return service.list_equipment(read.catalogue)


@router.get("/conditions", summary="List health conditions of the intake")
async def list_conditions(read: CatalogueReadDep) -> list[ConditionPublic]:
    """The closed list of conditions a plan request's screening may report, and what each does to a plan."""
    return service.list_conditions(read.catalogue)
