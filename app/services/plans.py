"""Analyses and plans: map the request to the domain, run the rules on the snapshot, map the answer back."""

import hashlib
from typing import Any

from pydantic import ValidationError

from app.domain import planner
from app.domain import requests as domain
from app.domain.analysis import Analysis, analyse, choose_ruleset
from app.domain.catalogue import Catalogue
from app.domain.errors import DomainError
from app.schemas.plan import (
    AcuteVariablesOut,
    AnalysisOut,
    BatchItem,
    BatchResponse,
    ExerciseRef,
    NoticeOut,
    OmissionOut,
    PhaseOut,
    PlannedExerciseOut,
    PlanRequest,
    PlanResponse,
    RationaleOut,
    ReferralOut,
    TemplateRef,
)
from app.services.problems import domain_problem, pydantic_problem


def to_domain(request: PlanRequest, tenant: str | None = None) -> domain.PlanRequest:
    screening, preferences = request.screening, request.preferences
    template = preferences.template
    return domain.PlanRequest(
        assessments=tuple(
            domain.AssessmentResult(a.type, tuple(domain.Finding(f.compensation, f.side) for f in a.findings))
            for a in request.assessments
        ),
        ruleset=request.ruleset,
        screening=domain.Screening(
            current_pain=screening.current_pain,
            pain_locations=tuple(screening.pain_locations),
            numbness=screening.numbness,
            injuries=tuple(domain.InjuryReport(i.kind, i.location, i.weeks_ago) for i in screening.injuries),
            pregnancy=(
                domain.Pregnancy(screening.pregnancy.trimester, screening.pregnancy.cleared_by_physician)
                if screening.pregnancy
                else None
            ),
            conditions=tuple(screening.conditions),
        ),
        preferences=domain.Preferences(
            mode=preferences.mode,
            session_minutes=preferences.session_minutes,
            equipment=None if preferences.equipment is None else frozenset(preferences.equipment),
            level=preferences.level,
            template=domain.TemplateChoice(template.slug, template.version) if template else None,
        ),
        tenant=tenant,
    )


def _analysis_out(analysis: Analysis) -> AnalysisOut:
    return AnalysisOut.model_validate(analysis)


def analyse_request(catalogue: Catalogue, request: PlanRequest) -> AnalysisOut:
    query = to_domain(request)
    ruleset = choose_ruleset(catalogue, query.ruleset)
    return _analysis_out(analyse(catalogue, ruleset, query.assessments))


def _exercise_out(item: planner.PlannedExercise) -> PlannedExerciseOut:
    exercise, dose = item.exercise, item.prescription
    return PlannedExerciseOut(
        exercise=ExerciseRef(
            slug=exercise.slug,
            name=exercise.name,
            description=exercise.description,
            instructions=list(exercise.instructions),
            cues=list(exercise.cues),
            equipment=list(exercise.equipment),
            level=exercise.level,
        ),
        muscles=list(item.muscles),
        side=item.side,
        sets=dose.sets,
        reps=dose.reps,
        hold_seconds=dose.hold_seconds,
        tempo=dose.tempo,
        rest_seconds=dose.rest_seconds,
        rationale=RationaleOut.model_validate(item.rationale),
    )


def plan_response(plan: planner.Plan) -> PlanResponse:
    template = plan.template
    response = PlanResponse(
        status=plan.status,
        plan_id="",
        template=TemplateRef(slug=template.template, version=template.version, title=template.title),
        ruleset=plan.analysis.ruleset,
        mode=plan.mode,
        analysis=_analysis_out(plan.analysis),
        referral=(
            ReferralOut(
                reasons=[NoticeOut.model_validate(r) for r in plan.referral_reasons], advice=plan.referral_advice or ""
            )
            if plan.status == "referral"
            else None
        ),
        phases=[
            PhaseOut(
                phase=p.phase.value,
                acute_variables=AcuteVariablesOut.model_validate(p.variables),
                exercises=[_exercise_out(e) for e in p.exercises],
            )
            for p in plan.phases
        ],
        estimated_minutes=plan.estimated_minutes,
        session_minutes=plan.session_minutes,
        frequency_per_week=plan.frequency_per_week,
        reassess_after_weeks=plan.reassess_after_weeks,
        warnings=[NoticeOut.model_validate(w) for w in plan.warnings],
        lifestyle=[NoticeOut.model_validate(n) for n in plan.lifestyle],
        omitted=[OmissionOut.model_validate(o) for o in plan.omitted],
    )
    # The id is a hash of the plan's own content, so equal plans share it and any change shows.
    response.plan_id = hashlib.sha256(response.model_dump_json().encode()).hexdigest()[:32]
    return response


def make_plan(catalogue: Catalogue, request: PlanRequest, tenant: str | None = None) -> PlanResponse:
    return plan_response(planner.make_plan(catalogue, to_domain(request, tenant)))


def make_batch(catalogue: Catalogue, requests: list[dict[str, Any]], tenant: str | None = None) -> BatchResponse:
    """Answer each request on its own: one bad request gets its problem, the others their plans."""
    results = []
    for index, raw in enumerate(requests):
        try:
            plan = make_plan(catalogue, PlanRequest.model_validate(raw), tenant)
            results.append(BatchItem(index=index, status=200, plan=plan))
        except ValidationError as error:
            results.append(BatchItem(index=index, status=422, problem=pydantic_problem(error, f"requests.{index}.")))
        except DomainError as error:
            results.append(BatchItem(index=index, status=422, problem=domain_problem(error, f"requests.{index}.")))
    return BatchResponse(results=results)
