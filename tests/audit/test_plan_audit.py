"""Thousands of random valid requests, answered in-process by the service, must pass the independent audit.

The answer is parsed from the JSON bytes the service would send; the auditor (tests/audit/auditor.py) checks it
against the seed and the request only. On failure the message gives the count per rule and the first few
violations of each, with their requests. `python -m tests.audit.report N` prints the same table."""

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.catalogue import Catalogue
from tests.audit.auditor import BODY_SIDES, Knowledge
from tests.audit.report import SEED_DIR, Tally, audit_one
from tests.audit.strategies import partners, plan_requests, usable
from tests.databases import SNAPSHOT_ONLY

EXAMPLES = 5000


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return Knowledge.load(Path(SEED_DIR))


@SNAPSHOT_ONLY
def test_generated_plans_pass_the_audit(catalogue: Catalogue, knowledge: Knowledge) -> None:
    tally = Tally(keep=3)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(data=st.data())
    def each(data: st.DataObject) -> None:
        body = data.draw(plan_requests(knowledge), label="request")
        sent, parsed, found = audit_one(catalogue, knowledge, body)
        tally.add(sent, parsed, found)

    each()
    assert tally.requests >= EXAMPLES
    if tally:
        pytest.fail(f"the audit found violations\n{tally.table()}\n\nfirst of each:\n{tally.samples()}", pytrace=False)


def _sides(side: object) -> set[str]:
    return {side} if side in BODY_SIDES else set(BODY_SIDES)


def _check_valid(knowledge: Knowledge, body: dict[str, object]) -> None:
    """The promises of strategies.py, checked on one request."""
    ruleset = body.get("ruleset") or knowledge.default_ruleset
    assert isinstance(ruleset, str)
    available = usable(knowledge, ruleset)
    assessments = body["assessments"]
    assert isinstance(assessments, list)
    types = [a["type"] for a in assessments]
    assert len(types) == len(set(types)), f"an assessment type twice: {types}"
    for assessment in assessments:
        claimed: dict[str, set[str]] = {}
        for finding in assessment["findings"]:
            slug, side = finding["compensation"], finding.get("side")
            compensation = knowledge.compensations[slug]
            assert compensation in available[assessment["type"]], f"{slug} has no {ruleset} row"
            assert compensation.lateral or side in ("bilateral", None), f"{slug} is not lateral, side {side}"
            assert not claimed.get(slug, set()) & _sides(side), f"{slug} twice on a side"
            for partner in partners(knowledge, compensation):
                assert not claimed.get(partner, set()) & _sides(side), f"{slug} with {partner} on a side"
            claimed.setdefault(slug, set()).update(_sides(side))


def test_generated_requests_are_valid_and_cover_every_option(knowledge: Knowledge) -> None:
    seen: Counter[str] = Counter()

    @settings(max_examples=1500, deadline=None, derandomize=True, database=None)
    @given(data=st.data())
    def each(data: st.DataObject) -> None:
        body = data.draw(plan_requests(knowledge), label="request")
        _check_valid(knowledge, body)
        preferences = body.get("preferences")
        prefs = preferences if isinstance(preferences, dict) else {}
        screening = body.get("screening")
        assessments = body["assessments"]
        assert isinstance(assessments, list)
        seen.update(f"type:{a['type']}" for a in assessments)
        seen.update(f"compensation:{f['compensation']}" for a in assessments for f in a["findings"])
        seen[f"ruleset:{body.get('ruleset')}"] += 1
        seen[f"mode:{prefs.get('mode')}"] += 1
        seen[f"level:{prefs.get('level')}"] += 1
        equipment = prefs.get("equipment")
        seen[f"equipment:{'absent' if equipment is None else 'none' if equipment == [] else 'some'}"] += 1
        seen[f"minutes:{'absent' if prefs.get('session_minutes') is None else 'given'}"] += 1
        seen[f"screening:{'absent' if screening is None else 'given'}"] += 1
        seen[f"lifestyle:{'absent' if body.get('lifestyle') is None else 'given'}"] += 1
        if isinstance(screening, dict):
            seen.update(f"condition:{c}" for c in screening.get("conditions", []))
            pregnancy = screening.get("pregnancy")
            if isinstance(pregnancy, dict) and pregnancy["cleared_by_physician"]:
                seen[f"trimester:{pregnancy['trimester']}"] += 1
            if screening.get("current_pain"):
                seen["current_pain"] += 1

    each()
    wanted = (
        [f"type:{a}" for a in knowledge.assessments]
        + [f"compensation:{c}" for c in knowledge.compensations]
        + [f"ruleset:{r}" for r in [None, *knowledge.rulesets]]
        + [f"mode:{m}" for m in (None, "standalone", "warm_up", "cool_down")]
        + [f"level:{level}" for level in (None, 1, 2, 3)]
        + ["equipment:absent", "equipment:none", "equipment:some", "minutes:absent", "minutes:given"]
        + ["screening:absent", "screening:given", "lifestyle:absent", "lifestyle:given", "current_pain"]
        + [f"trimester:{t}" for t in (1, 2, 3)]
        + [f"condition:{c.slug}" for c in knowledge.conditions.values()]
    )
    missing = [w for w in wanted if not seen[w]]
    assert not missing, f"never generated: {missing}"
