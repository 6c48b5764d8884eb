"""POST /v1/analyses, /v1/plans and /v1/plans/batch: stateless, answered from the catalogue snapshot."""

from fastapi import APIRouter, Depends, Request

from app.api.auth import ReaderDep, get_principal, tenant_of
from app.api.deps import CatalogueDep
from app.api.metrics import count_plan
from app.api.responses import BODY, problems
from app.schemas.plan import AnalysisOut, BatchRequest, BatchResponse, PlanRequest, PlanResponse
from app.services import plans as service

router = APIRouter(tags=["plans"], responses=BODY)


@router.post(
    "/analyses",
    summary="Analyse assessment findings",
    responses=problems(401, 422),
    dependencies=[Depends(get_principal)],
)
async def create_analysis(catalogue: CatalogueDep, request: PlanRequest) -> AnalysisOut:
    """Probable overactive and underactive muscles per side, with the evidence, conflicts and resembled patterns."""
    return service.analyse_request(catalogue, request)


@router.post("/plans", summary="Make a corrective-exercise plan", responses=problems(401, 422))
async def create_plan(
    http: Request, catalogue: CatalogueDep, principal: ReaderDep, request: PlanRequest
) -> PlanResponse:
    """A four-phase plan (Inhibit, Lengthen, Activate, Integrate), or a referral when red flags stop it."""
    plan = service.make_plan(catalogue, request, tenant_of(principal))
    count_plan(http, plan.status)
    return plan


@router.post("/plans/batch", summary="Make up to 100 plans at once", responses=problems(401, 422))
async def create_plans(
    http: Request, catalogue: CatalogueDep, principal: ReaderDep, batch: BatchRequest
) -> BatchResponse:
    """Each request is answered on its own, in order: a bad one gets its problem without failing the others."""
    answer = service.make_batch(catalogue, batch.requests, tenant_of(principal))
    for item in answer.results:
        if item.plan is not None:
            count_plan(http, item.plan.status)
    return answer
