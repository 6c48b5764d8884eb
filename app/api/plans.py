"""POST /v1/analyses, /v1/plans and /v1/plans/batch: stateless, answered from the catalogue snapshot.

The answers are rendered to JSON bytes by the service (see app.services.plans); `responses` documents their
shape with the models of app.schemas.plan.
"""

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from app.api.deps import CATALOGUE_VERSION_HEADER, CallerDep
from app.api.metrics import count_plan
from app.api.ratelimit import spend_plans
from app.api.responses import BODY, PLAN_BUDGET_429, RATE_LIMIT_HEADERS, problems
from app.domain.catalogue import Catalogue
from app.schemas.plan import AnalysisOut, BatchRequest, BatchResponse, PlanRequest, PlanResponse
from app.services import plans as service

router = APIRouter(tags=["plans"], responses=BODY)
JSON = "application/json"


def _json(content: bytes, catalogue: Catalogue, limits: dict[str, str]) -> Response:
    # A returned Response does not take the headers the dependencies set, so say the revision here.
    return Response(content, media_type=JSON, headers={CATALOGUE_VERSION_HEADER: str(catalogue.revision), **limits})


def _documented(model: type, description: str) -> dict[int | str, dict[str, Any]]:
    ok = {"model": model, "description": description, "headers": RATE_LIMIT_HEADERS}
    return {200: ok, **problems(401, 422), 429: PLAN_BUDGET_429}


@router.post(
    "/analyses",
    summary="Analyse assessment findings",
    response_class=Response,
    responses=_documented(AnalysisOut, "The analysis."),
)
async def create_analysis(http: Request, caller: CallerDep, request: PlanRequest) -> Response:
    """Probable overactive and underactive muscles per side, with the evidence, conflicts and resembled patterns."""
    limits = await spend_plans(http, caller.principal, 1)
    return _json(service.analyse_request(caller.catalogue, request), caller.catalogue, limits)


@router.post(
    "/plans",
    summary="Make a corrective-exercise plan",
    response_class=Response,
    responses=_documented(PlanResponse, "The plan, or a referral when red flags stop it."),
)
async def create_plan(http: Request, caller: CallerDep, request: PlanRequest) -> Response:
    """A four-phase plan (Inhibit, Lengthen, Activate, Integrate), or a referral when red flags stop it."""
    limits = await spend_plans(http, caller.principal, 1)
    content, status = service.make_plan(caller.catalogue, request, caller.tenant)
    count_plan(http, status)
    return _json(content, caller.catalogue, limits)


@router.post(
    "/plans/batch",
    summary="Make up to 100 plans at once",
    response_class=Response,
    responses=_documented(BatchResponse, "One result per request, in order."),
)
async def create_plans(http: Request, caller: CallerDep, batch: BatchRequest) -> Response:
    """Each request is answered on its own, in order: a bad one gets its problem without failing the others.

    The plans of one answer may take at most 16 MiB (the server's CEPLAN_MAX_BATCH_ANSWER_BYTES); a batch past
    that gets 422 `batch_answer_too_large`, saying how many such requests fit in one batch."""
    limits = await spend_plans(http, caller.principal, len(batch.requests))
    # Up to 100 plans take a while: plan them off the event loop, so other requests keep being read and answered.
    content, statuses = await run_in_threadpool(
        service.make_batch,
        caller.catalogue,
        batch.requests,
        caller.tenant,
        max_answer_bytes=http.app.state.settings.max_batch_answer_bytes,
    )
    for status in statuses:
        count_plan(http, status)
    return _json(content, caller.catalogue, limits)
