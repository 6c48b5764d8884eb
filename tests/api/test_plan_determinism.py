"""The same request, catalogue and template version give the same answer, byte for byte, whatever the worker
answered before (issue 11: the memo of exercise choices was keyed by the excluded risk tags, not the conditions behind
them, so `blood_thinners` answered after `diabetes` said rolling was "excluded by diabetes")."""

import dataclasses
from typing import Any

from hypothesis import HealthCheck, given, settings

from app.domain import planner
from app.domain.catalogue import Catalogue
from app.schemas.plan import PlanRequest
from app.services import plans as service
from tests.audit.auditor import Knowledge
from tests.audit.strategies import plan_requests
from tests.conftest import SEED_DIR
from tests.databases import SNAPSHOT_ONLY

KNOWLEDGE = Knowledge.load(SEED_DIR)


def _fresh(catalogue: Catalogue) -> Catalogue:
    """The same snapshot's data with nothing remembered: what a worker that just started holds."""
    return dataclasses.replace(catalogue)


def _fresh_answer(catalogue: Catalogue, body: dict[str, Any]) -> bytes:
    query = service.to_domain(PlanRequest.model_validate(body))
    fresh = _fresh(catalogue)
    return service.render_plan(fresh, planner.make_plan(fresh, query))


@SNAPSHOT_ONLY
@settings(
    max_examples=2000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(body=plan_requests(KNOWLEDGE))
def test_a_warm_worker_answers_as_a_fresh_one(catalogue: Catalogue, body: dict[str, Any]) -> None:
    """The session's catalogue has answered every request before this one (and the rest of the suite's); a copy of
    its data with no memory must answer byte for byte the same."""
    warm, _ = service.make_plan(catalogue, PlanRequest.model_validate(body))
    assert warm == _fresh_answer(catalogue, body)


def test_conditions_excluding_the_same_tags_are_each_named_whatever_came_first(catalogue: Catalogue) -> None:
    squat = {"type": "overhead_squat", "findings": [{"compensation": "knees_move_inward", "side": "bilateral"}]}
    bodies = [{"assessments": [squat], "screening": {"conditions": [c]}} for c in ("diabetes", "blood_thinners")]
    warm = [service.make_plan(catalogue, PlanRequest.model_validate(b))[0] for b in bodies]
    assert warm == [_fresh_answer(catalogue, b) for b in bodies]
    assert b"blood thinners" in warm[1].lower() or b"blood-thinning" in warm[1].lower()
    assert b"diabetes" not in warm[1].lower()


def test_the_fresh_copy_really_starts_empty(catalogue: Catalogue) -> None:
    # Guard the test above: a copy that shared the memo would make it pass whatever the planner does.
    squat = {"type": "overhead_squat", "findings": [{"compensation": "heels_rise", "side": "bilateral"}]}
    service.make_plan(catalogue, PlanRequest.model_validate({"assessments": [squat]}))
    assert catalogue._memo
    assert not _fresh(catalogue)._memo
