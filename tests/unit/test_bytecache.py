"""The answer caches are bounded by bytes: whatever callers make an answer weigh, a worker keeps its budget."""

import gc
import json
import tracemalloc

from app.schemas.plan import MAX_ASSESSMENTS, MAX_CONDITIONS, MAX_EQUIPMENT, MAX_FINDINGS, MAX_PLACES, PlanRequest
from app.services.bytecache import ByteBudgetCache
from app.services.plans import REQUEST_KEY_BYTES, to_domain


def _cache(budget: int) -> ByteBudgetCache[int, bytes]:
    return ByteBudgetCache(budget, len, key_bytes=10)


def test_entries_count_their_bytes_and_the_least_recent_go_first() -> None:
    cache = _cache(450)
    for key in range(10):
        cache.put(key, b"x" * 100)
        assert cache.held_bytes <= 450
    assert len(cache) == 4 and cache.held_bytes == 440
    assert cache.get(5) is None and cache.get(9) == b"x" * 100


def test_a_value_over_the_whole_budget_is_not_kept_and_evicts_nothing() -> None:
    cache = _cache(450)
    cache.put(1, b"small")
    cache.put(2, b"x" * 441)  # with its key, one byte over: cachetools itself would raise ValueError
    assert cache.get(2) is None and cache.get(1) == b"small"


def _longest_text(length: int, seed: int) -> str:
    # Distinct strings, as a parsed body gives them: none is shared or interned.
    return (f"{seed:04d}" * length)[:length]


def _request_at_every_maximum() -> bytes:
    types = ["overhead_squat", "single_leg_squat", "push", "pull", "static_posture"][:MAX_ASSESSMENTS]
    n = iter(range(10_000))
    return json.dumps(
        {
            "assessments": [
                {"type": t, "findings": [{"compensation": _longest_text(80, next(n))} for _ in range(MAX_FINDINGS)]}
                for t in types
            ],
            "ruleset": _longest_text(80, next(n)),
            "screening": {
                "pain_locations": [_longest_text(100, next(n)) for _ in range(MAX_PLACES)],
                "injuries": [
                    {"kind": "injury", "location": _longest_text(100, next(n)), "weeks_ago": 1}
                    for _ in range(MAX_PLACES)
                ],
                "conditions": [_longest_text(80, next(n)) for _ in range(MAX_CONDITIONS)],
                "pregnancy": {"trimester": 1, "cleared_by_physician": True},
            },
            "preferences": {
                "equipment": [_longest_text(80, next(n)) for _ in range(MAX_EQUIPMENT)],
                "template": {"slug": _longest_text(80, next(n)), "version": 1},
            },
            "lifestyle": {"sleep_hours": 7.5, "stress": 3, "sitting_hours": 8.0, "activities": ["desk_work"]},
        }
    ).encode()


def test_a_cached_plan_key_never_takes_more_than_its_allowance() -> None:
    body = _request_at_every_maximum()
    gc.collect()
    tracemalloc.start()
    try:
        key = (1, to_domain(PlanRequest.model_validate_json(body), "t" * 64))
        gc.collect()
        held, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert key[1].screening is not None and len(key[1].screening.pain_locations) == MAX_PLACES
    assert held <= REQUEST_KEY_BYTES, f"raise REQUEST_KEY_BYTES to at least {held}"
