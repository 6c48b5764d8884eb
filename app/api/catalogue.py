"""GET endpoints of the catalogue: muscles, assessments, compensations, rulesets, exercises, equipment."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from app.api.auth import ReaderDep, WriterDep, tenant_of
from app.api.caching import cached_json, catalogue_validators
from app.api.deps import CatalogueDep
from app.api.params import SlugPath
from app.api.responses import BODY, CACHED_READ, problems
from app.domain.model import Phase
from app.schemas.catalogue import (
    AssessmentPublic,
    CompensationPublic,
    ConditionPublic,
    EquipmentPublic,
    ExerciseCreate,
    ExercisePublic,
    MusclePublic,
    Page,
    RulesetPublic,
    RulesetSummary,
)
from app.services import catalogue as service
from app.services import exercises as exercise_service

# Reads are open unless CEPLAN_REQUIRE_API_KEY is set; a key also shows the tenant's own exercises.
# Reads are cached by revision: ETag / Cache-Control, and 304 for a current If-None-Match.
router = APIRouter(tags=["catalogue"], dependencies=[Depends(catalogue_validators)], responses=CACHED_READ)
writes = APIRouter(tags=["catalogue"], responses={**BODY, **problems(503)})


@router.get("/muscles", summary="List muscles and groups")
async def list_muscles(catalogue: CatalogueDep) -> list[MusclePublic]:
    """Every muscle, part, group and fascia the rulesets and exercises refer to, by id."""
    return service.list_muscles(catalogue)


@router.get("/muscles/{slug}", summary="Read one muscle", responses=problems(404))
async def get_muscle(catalogue: CatalogueDep, slug: SlugPath) -> MusclePublic:
    """One muscle with its groups and members."""
    return service.get_muscle(catalogue, slug)


@router.get("/assessments", summary="List assessment types and their compensations")
async def list_assessments(catalogue: CatalogueDep) -> list[AssessmentPublic]:
    """The movement assessments and, for each, the compensations it can find."""
    return service.list_assessments(catalogue)


@router.get("/compensations", summary="List compensations", responses=problems(422))
async def list_compensations(
    catalogue: CatalogueDep,
    assessment: Annotated[str | None, Query(description="Only those of this assessment type.")] = None,
) -> list[CompensationPublic]:
    """Compensations (observations) with the assessments, views and checkpoints they belong to."""
    return service.list_compensations(catalogue, assessment)


@router.get("/rulesets", summary="List rulesets")
async def list_rulesets(catalogue: CatalogueDep) -> list[RulesetSummary]:
    """The evidence rulesets (textbook editions) that map compensations to muscles."""
    return service.list_rulesets(catalogue)


@router.get("/rulesets/{slug}", summary="Read one ruleset with its rows", responses=problems(404))
async def get_ruleset(catalogue: CatalogueDep, slug: SlugPath) -> RulesetPublic:
    """Every row of the ruleset: compensation to probable overactive and underactive muscles, with laterality."""
    return service.get_ruleset(catalogue, slug)


@router.get(
    "/exercises",
    summary="Search exercises",
    response_class=Response,
    responses={200: {"model": Page[ExercisePublic], "description": "One page of exercises."}, **problems(422)},
)
async def list_exercises(
    request: Request,
    catalogue: CatalogueDep,
    principal: ReaderDep,
    phase: Annotated[Phase | None, Query(description="Only this phase.")] = None,
    muscle: Annotated[
        str | None,
        Query(description="Only exercises serving this muscle (a group matches its members and a member its groups)."),
    ] = None,
    equipment: Annotated[
        list[str] | None,
        Query(
            description="Equipment the user has (repeat or comma-separate ids); only exercises "
            "needing nothing else. An empty value means bodyweight only."
        ),
    ] = None,
    level: Annotated[int | None, Query(ge=1, le=3, description="Only this level (1-3).")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Text search in name, description and cues.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """Exercises of the library, filtered, in a stable order (by slug), with the total before paging."""
    have = service.parse_equipment(catalogue, equipment, "equipment")
    page = service.list_exercises(
        catalogue,
        phase=phase,
        muscle=muscle,
        equipment=have,
        level=level,
        q=q,
        limit=limit,
        offset=offset,
        tenant=tenant_of(principal),
    )
    return cached_json(request, page)


@router.get("/exercises/{slug}", summary="Read one exercise", responses=problems(404))
async def get_exercise(catalogue: CatalogueDep, principal: ReaderDep, slug: SlugPath) -> ExercisePublic:
    """One exercise with instructions, cues, equipment and default acute variables."""
    return service.get_exercise(catalogue, slug, tenant_of(principal))


@writes.post(
    "/exercises",
    status_code=status.HTTP_201_CREATED,
    summary="Add your own exercise",
    responses=problems(401, 403, 409, 422),
)
def create_exercise(
    request: Request, catalogue: CatalogueDep, principal: WriterDep, data: ExerciseCreate
) -> ExercisePublic:
    """A custom exercise for your tenant's plans only, validated against the catalogue's muscles, phases,
    equipment and risk tags."""
    exercise_service.create_exercise(request.app.state.engine, catalogue, data, principal)
    fresh = request.app.state.catalogue_store.refresh()
    return exercise_service.created(fresh, data.slug, principal.tenant)


@router.get("/equipment", summary="List equipment")
async def list_equipment(catalogue: CatalogueDep) -> list[EquipmentPublic]:
    """Equipment ids that exercises need and that a client may list as available."""
    return service.list_equipment(catalogue)


@router.get("/conditions", summary="List health conditions of the intake")
async def list_conditions(catalogue: CatalogueDep) -> list[ConditionPublic]:
    """The closed list of conditions a plan request's screening may report, and what each does to a plan."""
    return service.list_conditions(catalogue)
