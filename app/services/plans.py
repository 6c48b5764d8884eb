"""Analyses and plans: map the request to the domain, run the rules on the snapshot, render the answer.

Answers are rendered straight to JSON bytes (orjson): a plan is mostly exercise text that does not change
between requests, so each exercise is serialised once per catalogue snapshot and spliced in as a fragment.
The shapes are those of app.schemas.plan, which documents them and against which the tests check them.
"""

import hashlib
from typing import Any

import orjson
from pydantic import ValidationError

from app.config import get_settings
from app.domain import planner
from app.domain import requests as domain
from app.domain.analysis import Analysis, Evidence, Implication, analyse, choose_ruleset
from app.domain.catalogue import Catalogue
from app.domain.errors import DomainError
from app.domain.model import Exercise, PhaseVariables
from app.domain.plan import NextStep, Plan, PlannedExercise
from app.domain.screening import Notice
from app.errors import InvalidInput
from app.schemas.plan import PlanRequest, ScreeningIn
from app.schemas.problem import FieldError
from app.services.bytecache import ByteBudgetCache
from app.services.problems import domain_problem, pydantic_problem


def _screening(screening: ScreeningIn | None) -> domain.Screening | None:
    if screening is None:
        return None
    pregnancy = screening.pregnancy
    return domain.Screening(
        current_pain=screening.current_pain,
        pain_locations=tuple(screening.pain_locations),
        numbness=screening.numbness,
        injuries=tuple(domain.InjuryReport(i.kind, i.location, i.weeks_ago) for i in screening.injuries),
        pregnancy=domain.Pregnancy(pregnancy.trimester, pregnancy.cleared_by_physician) if pregnancy else None,
        conditions=tuple(screening.conditions),
    )


def to_domain(request: PlanRequest, tenant: str | None = None) -> domain.PlanRequest:
    preferences, lifestyle = request.preferences, request.lifestyle
    template = preferences.template
    return domain.PlanRequest(
        assessments=tuple(
            domain.AssessmentResult(a.type, tuple(domain.Finding(f.compensation, f.side) for f in a.findings))
            for a in request.assessments
        ),
        ruleset=request.ruleset,
        screening=_screening(request.screening),
        preferences=domain.Preferences(
            mode=preferences.mode,
            session_minutes=preferences.session_minutes,
            equipment=None if preferences.equipment is None else frozenset(preferences.equipment),
            level=preferences.level,
            template=domain.TemplateChoice(template.slug, template.version) if template else None,
        ),
        lifestyle=(
            domain.Lifestyle(
                lifestyle.sleep_hours,
                lifestyle.stress,
                lifestyle.sitting_hours,
                tuple(sorted(set(lifestyle.activities))),
            )
            if lifestyle
            else None
        ),
        tenant=tenant,
    )


def _evidence(items: tuple[Evidence, ...]) -> list[dict[str, Any]]:
    return [{"assessment": e.assessment, "compensation": e.compensation, "side": e.side} for e in items]


def _implications(items: tuple[Implication, ...]) -> list[dict[str, Any]]:
    return [{"muscle": i.muscle, "sides": i.sides, "evidence": _evidence(i.evidence)} for i in items]


def _analysis(analysis: Analysis) -> dict[str, Any]:
    return {
        "ruleset": {"slug": analysis.ruleset.slug, "name": analysis.ruleset.name},
        "overactive": _implications(analysis.overactive),
        "underactive": _implications(analysis.underactive),
        "conflicts": [
            {
                "muscle": c.muscle,
                "sides": c.sides,
                "overactive_evidence": _evidence(c.overactive_evidence),
                "underactive_evidence": _evidence(c.underactive_evidence),
            }
            for c in analysis.conflicts
        ],
        "patterns": [
            {
                "pattern": r.pattern,
                "ruleset": r.ruleset,
                "score": r.score,
                "matched_overactive": r.matched_overactive,
                "matched_underactive": r.matched_underactive,
            }
            for r in analysis.patterns
        ],
    }


def analyse_request(catalogue: Catalogue, request: PlanRequest) -> bytes:
    query = to_domain(request)
    ruleset = choose_ruleset(catalogue, query.ruleset)
    return orjson.dumps(_analysis(analyse(catalogue, ruleset, query.assessments)))


def _exercise_fragment(catalogue: Catalogue, exercise: Exercise) -> orjson.Fragment:
    def render() -> orjson.Fragment:
        return orjson.Fragment(
            orjson.dumps(
                {
                    "slug": exercise.slug,
                    "name": exercise.name,
                    "description": exercise.description,
                    "instructions": exercise.instructions,
                    "cues": exercise.cues,
                    "equipment": exercise.equipment,
                    "level": exercise.level,
                    "position": exercise.position,
                    "supported": exercise.supported,
                }
            )
        )

    return catalogue.memoised(("exercise_json", exercise.owner, exercise.slug), render)


def _planned(catalogue: Catalogue, item: PlannedExercise) -> dict[str, Any]:
    dose, why = item.prescription, item.rationale
    return {
        "exercise": _exercise_fragment(catalogue, item.exercise),
        "muscles": item.muscles,
        "side": item.side,
        "side_text": item.side_text,
        "modality": item.exercise.modality,
        "sets": dose.sets,
        "reps": dose.reps,
        "hold_seconds": dose.hold_seconds,
        "tempo": dose.tempo,
        "rest_seconds": dose.rest_seconds,
        "effort": item.effort,
        "notes": item.notes,
        "stop_rule": item.stop_rule,
        "progression": _next_step(item.progression),
        "regression": _next_step(item.regression),
        "rationale": {"muscles": why.muscles, "findings": _evidence(why.findings), "text": why.text},
    }


def _next_step(step: NextStep | None) -> dict[str, str] | None:
    if step is None:
        return None
    return {"slug": step.exercise.slug, "name": step.exercise.name, "when": step.when}


def _variables(v: PhaseVariables) -> dict[str, Any]:
    return {
        "modality": v.modality,
        "sets": v.sets,
        "reps": v.reps,
        "hold_seconds": v.hold_seconds,
        "tempo": v.tempo,
        "rest_seconds": v.rest_seconds,
        "max_exercises": v.max_exercises,
    }


def _notices(items: tuple[Notice, ...]) -> list[dict[str, str]]:
    return [{"code": n.code, "message": n.message} for n in items]


def _referral(plan: Plan) -> dict[str, Any]:
    referral = plan.referral
    assert referral is not None
    return {
        "status": plan.status,
        "ruleset": {"slug": plan.analysis.ruleset.slug, "name": plan.analysis.ruleset.name},
        "analysis": _analysis(plan.analysis),
        "referral": {
            "reasons": _notices(referral.reasons),
            "advice": referral.advice,
            "findings": referral.findings,
            "urgent_signs": referral.urgent_signs,
        },
        "warnings": _notices(plan.warnings),
    }


def _plan(catalogue: Catalogue, plan: Plan) -> dict[str, Any]:
    template = plan.template
    return {
        "status": plan.status,
        "template": {"slug": template.template, "version": template.version, "title": template.title},
        "ruleset": {"slug": plan.analysis.ruleset.slug, "name": plan.analysis.ruleset.name},
        "mode": plan.mode,
        "analysis": _analysis(plan.analysis),
        "phases": [
            {
                "phase": p.phase.value,
                "acute_variables": _variables(p.variables),
                "modalities": p.modalities,
                "exercises": [_planned(catalogue, e) for e in p.exercises],
            }
            for p in plan.phases
        ],
        "estimated_minutes": plan.estimated_minutes,
        "session_minutes": plan.session_minutes,
        "frequency_per_week": plan.frequency_per_week,
        "reassess_after_weeks": plan.reassess_after_weeks,
        "warnings": _notices(plan.warnings),
        "lifestyle": _notices(plan.lifestyle),
        "omitted": [
            {
                "reason": o.reason,
                "phase": o.phase,
                "detail": o.detail,
                "muscle": o.muscle,
                "side": o.side,
                "exercise": o.exercise,
                "compensation": o.compensation,
            }
            for o in plan.omitted
        ],
    }


def render_plan(catalogue: Catalogue, plan: Plan) -> bytes:
    body = _referral(plan) if plan.referral is not None else _plan(catalogue, plan)
    content = orjson.dumps(body)
    # The id is a hash of the answer's own content, so equal answers share it and any change shows.
    plan_id = hashlib.sha256(content).hexdigest()[:32]
    return b'{"plan_id":"' + plan_id.encode() + b'",' + content[1:]


# Recently answered plans, by snapshot and request. A plan is a pure function of the two, so a repeated request
# (a class of clients with the same findings, a retried call) is answered without planning again.
# At most 32 MiB per worker: a plan is about 40 KB, and each entry also counts REQUEST_KEY_BYTES for the request
# it is kept under, so about 370 typical plans.
ANSWER_CACHE_BYTES = 32 * 1024 * 1024
# The most a request kept as a key can take in memory under the schema's limits (measured for a request at every
# maximum, 46 KB; tests/unit/test_bytecache.py keeps it true).
REQUEST_KEY_BYTES = 48 * 1024
_answers: ByteBudgetCache[tuple[int, domain.PlanRequest], tuple[bytes, str]] = ByteBudgetCache(
    ANSWER_CACHE_BYTES, lambda answer: len(answer[0]), key_bytes=REQUEST_KEY_BYTES
)


class ScreeningRequired(DomainError):
    code = "screening_required"
    title = "A health screening is required"


def make_plan(catalogue: Catalogue, request: PlanRequest, tenant: str | None = None) -> tuple[bytes, str]:
    """The plan as JSON bytes, and its status (plan or referral)."""
    if request.screening is None and get_settings().require_screening:
        raise ScreeningRequired(
            "this service plans only for screened clients: send a `screening` block (current_pain, numbness, "
            "injuries, pregnancy, conditions)",
            field="screening",
        )
    query = to_domain(request, tenant)
    key = (catalogue.snapshot_id, query)
    answer = _answers.get(key)
    if answer is None:
        plan = planner.make_plan(catalogue, query)
        answer = (render_plan(catalogue, plan), plan.status)
        _answers.put(key, answer)
    return answer


class BatchAnswerTooLarge(InvalidInput):
    code = "batch_answer_too_large"
    title = "The answer to this batch would be too large"


def make_batch(
    catalogue: Catalogue, requests: list[dict[str, Any]], tenant: str | None = None, *, max_answer_bytes: int
) -> tuple[bytes, list[str]]:
    """Answer each request on its own: one bad request gets its problem, the others their plans.

    The whole answer is held in memory before it is sent, so its plans may take at most `max_answer_bytes`
    (CEPLAN_MAX_BATCH_ANSWER_BYTES); past that the batch is refused, saying how many requests fit."""
    results, statuses, answered = [], [], 0
    for index, raw in enumerate(requests):
        item: dict[str, Any] = {"index": index, "status": 200, "plan": None, "problem": None}
        try:
            content, status = make_plan(catalogue, PlanRequest.model_validate(raw), tenant)
        except ValidationError as error:
            item |= {"status": 422, "problem": pydantic_problem(error, f"requests.{index}.").model_dump()}
        except DomainError as error:
            item |= {"status": 422, "problem": domain_problem(error, f"requests.{index}.").model_dump()}
        else:
            answered += len(content)
            if answered > max_answer_bytes:
                raise _too_large(index, max_answer_bytes)
            item["plan"] = orjson.Fragment(content)
            statuses.append(status)
        results.append(item)
    return orjson.dumps({"results": results}), statuses


def _too_large(index: int, max_answer_bytes: int) -> BatchAnswerTooLarge:
    advice = (
        f"send at most {index} requests like these per batch"
        if index
        else "send this request on its own to POST /v1/plans"
    )
    return BatchAnswerTooLarge(
        f"the plans for the first {index + 1} requests exceed the {max_answer_bytes} bytes a batch answer may "
        f"hold; {advice}",
        errors=[FieldError(field="requests", message=advice)],
    )
