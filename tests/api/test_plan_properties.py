"""Property-based tests of POST /v1/plans: random valid requests built from the seeded catalogue keep the
plan's rules, and random garbage gets a 4xx problem, never a 5xx."""

import copy
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from app.domain.catalogue import Catalogue
from app.domain.model import Compensation, ConditionAction

# Hypothesis keeps its example database and caches in ./.hypothesis by default. pyproject's `norecursedirs`
# replaces pytest's default ignores, so once that directory exists the Hypothesis plugin warns while
# collecting, and `filterwarnings = error` turns the warning into a collection error for the whole suite
# (a second `make test`, as .ci/run does, would fail). Keep Hypothesis's files out of the project tree.
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "ceplan-hypothesis")

Json = dict[str, Any]
Where = tuple[str | int, ...]

PROBLEM = "application/problem+json"
PHASES = ["inhibit", "lengthen", "activate", "integrate"]
BODY_SIDES = ("left", "right")
LATERAL_SIDES = ("left", "right", "bilateral", None)
UNSIDED_SIDES = ("bilateral", None)
MODES = ("standalone", "warm_up", "cool_down")

# --- valid requests ------------------------------------------------------------------------------------------


def _claims(side: str | None) -> set[str]:
    """Body sides a finding claims: bilateral and null count for both (domain.md K.4)."""
    return {side} if side in BODY_SIDES else set(BODY_SIDES)


def _partners(catalogue: Catalogue, compensation: Compensation) -> set[str]:
    """Compensations that may not share a side with this one, whichever of the two names the other."""
    named_by_others = {c.slug for c in catalogue.compensations.values() if compensation.slug in c.excludes}
    return set(compensation.excludes) | named_by_others


@st.composite
def _findings(draw: st.DrawFn, catalogue: Catalogue, usable: list[Compensation]) -> list[Json]:
    """1-6 distinct compensations of one assessment, sides never overlapping one's own or an excluded one's."""
    picked = draw(st.lists(st.sampled_from(usable), min_size=1, max_size=6, unique_by=lambda c: c.slug))
    claimed: dict[str, set[str]] = {}
    findings: list[Json] = []
    for compensation in picked:
        blocked = set().union(*(claimed.get(p, set()) for p in _partners(catalogue, compensation)))
        options = [s for s in (LATERAL_SIDES if compensation.lateral else UNSIDED_SIDES) if not _claims(s) & blocked]
        if not options:
            continue
        side = draw(st.sampled_from(options))
        sides = [side]
        if side in BODY_SIDES and draw(st.booleans()):
            other = "right" if side == "left" else "left"
            if other not in blocked:
                sides.append(other)  # the same compensation on the other side too: no overlap
        for one in sides:
            claimed.setdefault(compensation.slug, set()).update(_claims(one))
            finding: Json = {"compensation": compensation.slug}
            if one is not None or draw(st.booleans()):
                finding["side"] = one
            findings.append(finding)
    # The first compensation drawn is never blocked, so there is always at least one finding.
    return list(draw(st.permutations(findings)))


@st.composite
def _screening(draw: st.DrawFn, catalogue: Catalogue) -> Json | None:
    """Mostly nothing; sometimes excluding or cautionary conditions and old history; now and then a red flag."""
    policy = catalogue.screening
    assert policy is not None
    safe = sorted(c.slug for c in catalogue.conditions.values() if c.action is not ConditionAction.REFER)
    refer = sorted(c.slug for c in catalogue.conditions.values() if c.action is ConditionAction.REFER)
    shape = draw(st.sampled_from(range(10)))  # uniform, unlike st.integers, which favours small values
    if shape <= 3:  # a fresh dict each time: tests mutate what they draw
        nothing = draw(st.sampled_from(["omit", "empty", "explicit"]))
        if nothing == "omit":
            return None
        return {} if nothing == "empty" else {"current_pain": False, "conditions": []}
    screening: Json = {}
    if shape <= 6 or draw(st.booleans()):
        screening["conditions"] = draw(st.lists(st.sampled_from(safe), min_size=1, max_size=4, unique=True))
    if shape in (6, 7):  # history that does not refer: old injuries, a cleared pregnancy, pain that has passed
        old = policy.recent_injury_weeks + 1
        screening["injuries"] = draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "kind": st.sampled_from(["injury", "surgery"]),
                        "location": st.sampled_from(["left knee", "right shoulder", "lower back"]),
                        "weeks_ago": st.integers(old, 5200),
                    }
                ),
                max_size=2,
            )
        )
        if draw(st.booleans()):
            screening["pregnancy"] = {"trimester": draw(st.sampled_from([1, 2, 3])), "cleared_by_physician": True}
        if draw(st.booleans()):
            screening["pain_locations"] = ["left knee"]
    if shape >= 8:  # at least one red flag
        flags = draw(
            st.lists(
                st.sampled_from(["current_pain", "numbness", "condition", "injury", "pregnancy"]),
                min_size=1,
                max_size=2,
                unique=True,
            )
        )
        if "current_pain" in flags:
            screening["current_pain"] = True
            screening["pain_locations"] = draw(st.lists(st.sampled_from(["neck", "left hip"]), max_size=2))
        if "numbness" in flags:
            screening["numbness"] = True
        if "condition" in flags:
            conditions = [*screening.get("conditions", []), draw(st.sampled_from(refer))]
            screening["conditions"] = list(draw(st.permutations(conditions)))
        if "injury" in flags:
            screening["injuries"] = [
                {
                    "kind": draw(st.sampled_from(["injury", "surgery"])),
                    "location": "right ankle",
                    "weeks_ago": draw(st.integers(0, policy.recent_injury_weeks)),
                }
            ]
        if "pregnancy" in flags:
            screening["pregnancy"] = {"trimester": draw(st.sampled_from([1, 2, 3])), "cleared_by_physician": False}
    return screening


@st.composite
def _preferences(draw: st.DrawFn, catalogue: Catalogue) -> Json | None:
    if draw(st.sampled_from(range(5))) == 4:
        return None
    preferences: Json = {}
    if draw(st.booleans()):
        preferences["mode"] = draw(st.sampled_from(MODES))
    minutes = draw(st.none() | st.integers(5, 90))
    if minutes is not None or draw(st.booleans()):
        preferences["session_minutes"] = minutes
    if draw(st.booleans()):
        preferences["equipment"] = draw(st.lists(st.sampled_from(sorted(catalogue.equipment)), unique=True))
    elif draw(st.booleans()):
        preferences["equipment"] = None
    level = draw(st.sampled_from([1, 2, 3, None]))
    if level is not None:
        preferences["level"] = level
    if draw(st.sampled_from(range(6))) == 5:
        slug = catalogue.default_template
        published = [v.version for v in catalogue.template_versions(slug) if v.status == "published"]
        preferences["template"] = {"slug": slug, "version": draw(st.sampled_from([None, *published]))}
    return preferences


def _usable(catalogue: Catalogue, ruleset: str) -> dict[str, list[Compensation]]:
    """Per assessment type, the compensations that belong to it and have a row in the ruleset."""
    return {
        assessment: [
            c
            for c in catalogue.compensations.values()
            if assessment in c.assessments and catalogue.row(ruleset, assessment, c.slug) is not None
        ]
        for assessment in catalogue.assessments
    }


@st.composite
def plan_requests(draw: st.DrawFn, catalogue: Catalogue) -> Json:
    ruleset = draw(st.sampled_from([None, *sorted(catalogue.rulesets)]))
    usable = _usable(catalogue, ruleset or catalogue.default_ruleset.slug)
    types = draw(
        st.lists(st.sampled_from(sorted(a for a, cs in usable.items() if cs)), min_size=1, max_size=3, unique=True)
    )
    body: Json = {"assessments": [{"type": t, "findings": draw(_findings(catalogue, usable[t]))} for t in types]}
    if ruleset is not None or draw(st.booleans()):
        body["ruleset"] = ruleset
    screening = draw(_screening(catalogue))
    if screening is not None:
        body["screening"] = screening
    preferences = draw(_preferences(catalogue))
    if preferences is not None:
        body["preferences"] = preferences
    return body


class Seeded:
    """The `catalogue` fixture behind a short repr. Hypothesis prints a failing test's arguments; the catalogue's
    own repr (some 300 kB) trips its large-repr warning, which `filterwarnings = error` turns into an error
    in the replay, hiding the real failure behind a FlakyStrategyDefinition."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    def __repr__(self) -> str:
        return f"<seeded catalogue, revision {self.catalogue.revision}>"


@pytest.fixture(scope="module")
def seeded(catalogue: Catalogue) -> Seeded:
    return Seeded(catalogue)


# --- what a request promises ---------------------------------------------------------------------------------


def _refers(catalogue: Catalogue, screening: Json) -> bool:
    """Red flags of the intake: pain, numbness, a referring condition, a recent injury, uncleared pregnancy."""
    policy = catalogue.screening
    assert policy is not None
    pregnancy = screening.get("pregnancy")
    return bool(
        screening.get("current_pain", False)
        or screening.get("numbness", False)
        or any(catalogue.conditions[c].action is ConditionAction.REFER for c in screening.get("conditions", []))
        or any(i["weeks_ago"] <= policy.recent_injury_weeks for i in screening.get("injuries", []))
        or (
            pregnancy is not None
            and not pregnancy["cleared_by_physician"]
            and policy.pregnancy_refers_without_clearance
        )
    )


def _excluded_tags(catalogue: Catalogue, screening: Json) -> set[str]:
    policy = catalogue.screening
    assert policy is not None
    tags = {
        tag
        for slug in screening.get("conditions", [])
        if catalogue.conditions[slug].action is ConditionAction.EXCLUDE
        for tag in catalogue.conditions[slug].excludes
    }
    pregnancy = screening.get("pregnancy")
    if pregnancy is not None and pregnancy["cleared_by_physician"]:
        tags |= set(policy.excludes_by_trimester.get(pregnancy["trimester"], ()))
    return tags


def _planned(plan: Json) -> Iterator[tuple[str, Json]]:
    for phase in plan["phases"]:
        for item in phase["exercises"]:
            yield phase["phase"], item


def _check_plan(catalogue: Catalogue, body: Json, plan: Json) -> None:
    screening: Json = body.get("screening") or {}
    preferences: Json = body.get("preferences") or {}
    ruleset = body.get("ruleset") or catalogue.default_ruleset.slug
    assert plan["ruleset"]["slug"] == ruleset

    # 2. a plan has the four phases in order; a referral has none, and says why
    if _refers(catalogue, screening):
        assert plan["status"] == "referral"
        assert "phases" not in plan
        assert plan["referral"]["reasons"] and plan["referral"]["findings"]
        return
    assert plan["status"] == "plan"
    assert [p["phase"] for p in plan["phases"]] == PHASES
    assert "referral" not in plan

    excluded = _excluded_tags(catalogue, screening)
    equipment = preferences.get("equipment")
    level = preferences.get("level") or 1
    requested = {(a["type"], f["compensation"], f.get("side")) for a in body["assessments"] for f in a["findings"]}
    compensations = {compensation for _, compensation, _ in requested}
    for phase, item in _planned(plan):
        slug = item["exercise"]["slug"]
        exercise = catalogue.exercises[slug]
        assert exercise.phase == phase, f"{slug} is a {exercise.phase} exercise, planned in {phase}"
        # 3. nothing a requested condition (or a cleared pregnancy) excludes
        assert not set(exercise.tags) & excluded, f"{slug} is {exercise.tags}, excluded: {sorted(excluded)}"
        # 4. nothing needing equipment the client lacks
        if equipment is not None:
            assert set(exercise.equipment) <= set(equipment), f"{slug} needs {exercise.equipment}, has {equipment}"
            assert set(item["exercise"]["equipment"]) <= set(equipment)
        # 5. no activation or integration above the client's level (rolling and stretching are not levelled)
        if phase in ("activate", "integrate"):
            assert exercise.level <= level, f"{slug} is level {exercise.level}, client {level}"
            assert item["exercise"]["level"] <= level
        # 8. the rationale cites only what was found
        for evidence in item["rationale"]["findings"]:
            assert evidence["compensation"] in compensations, f"{slug} cites {evidence}, request has {compensations}"
            assert (evidence["assessment"], evidence["compensation"], evidence["side"]) in requested, evidence

    # 6. the time budget holds
    minutes = preferences.get("session_minutes")
    if minutes is not None:
        assert plan["estimated_minutes"] <= minutes, f"{plan['estimated_minutes']} min over the {minutes} asked"


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_valid_requests_get_plans_that_keep_the_rules(client: TestClient, seeded: Seeded, data: st.DataObject) -> None:
    catalogue = seeded.catalogue
    body = data.draw(plan_requests(catalogue), label="request")
    response = client.post("/v1/plans", json=body)
    # 1. never a 5xx; a valid request always gets its plan (or referral)
    assert response.status_code < 500, response.text
    assert response.status_code == 200, response.text
    plan = response.json()
    _check_plan(catalogue, body, plan)
    # 7. deterministic: the same request gives the same bytes, hence the same plan_id
    again = client.post("/v1/plans", json=body)
    assert again.status_code == 200
    assert again.content == response.content
    assert again.json()["plan_id"] == plan["plan_id"]


# --- garbage -------------------------------------------------------------------------------------------------

# Every field of the request models, with the JSON kinds it accepts (null only where the contract allows it).
FIELD_KINDS: dict[str, set[str]] = {
    "assessments": {"list"},
    "ruleset": {"str", "null"},
    "screening": {"dict", "null"},
    "preferences": {"dict"},
    "type": {"str"},
    "findings": {"list"},
    "compensation": {"str"},
    "side": {"str", "null"},
    "current_pain": {"bool"},
    "pain_locations": {"list"},
    "numbness": {"bool"},
    "injuries": {"list"},
    "pregnancy": {"dict", "null"},
    "conditions": {"list"},
    "kind": {"str"},
    "location": {"str"},
    "weeks_ago": {"int"},
    "trimester": {"int"},
    "cleared_by_physician": {"bool"},
    "mode": {"str"},
    "session_minutes": {"int", "null"},
    "equipment": {"list", "null"},
    "level": {"int", "null"},
    "template": {"dict", "null"},
    "slug": {"str"},
    "version": {"int", "null"},
}
ITEM_KINDS: dict[str, str] = {
    "assessments": "dict",
    "findings": "dict",
    "injuries": "dict",
    "pain_locations": "str",
    "conditions": "str",
    "equipment": "str",
}
# Per JSON kind, values a lax parser might coerce into a neighbouring type (True -> 1, "1" -> 1, 1 -> True).
KIND_VALUES: dict[str, list[Any]] = {
    "null": [None],
    "bool": [True, False],
    "int": [1, 0],
    "str": ["1", "true", ""],
    "list": [[], ["left"]],
    "dict": [{}, {"slug": "x"}],
}
REQUEST_KEYS = sorted(FIELD_KINDS)

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["left", "bilateral", "overhead_squat", "nasm_ces_2011", "smr"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(REQUEST_KEYS) | st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)


def _slots(value: Any, path: Where = ()) -> Iterator[tuple[Where, set[str]]]:
    """Every value inside a request, with the JSON kinds its place accepts."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*path, key), FIELD_KINDS[key]
            yield from _slots(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield (*path, index), {ITEM_KINDS[str(path[-1])]}
            yield from _slots(child, (*path, index))


def _dicts(value: Any, path: Where = ()) -> Iterator[Where]:
    if isinstance(value, dict):
        yield path
        for key, child in value.items():
            yield from _dicts(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _dicts(child, (*path, index))


def _at(body: Any, path: Where) -> Any:
    for step in path:
        body = body[step]
    return body


def _assert_problem(response: Any, sent: Any) -> None:
    assert response.status_code < 500, f"{response.status_code} for {sent!r}: {response.text}"
    assert 400 <= response.status_code < 500, f"{response.status_code} for {sent!r}: {response.text}"
    assert response.headers["content-type"].startswith(PROBLEM), response.headers["content-type"]
    problem = response.json()
    assert isinstance(problem.get("code"), str) and problem["code"], problem
    assert problem.get("status") == response.status_code, problem


@settings(max_examples=150, deadline=None)
@given(body=json_values)
def test_garbage_bodies_get_a_4xx_problem(client: TestClient, body: Any) -> None:
    response = client.post("/v1/plans", content=json.dumps(body), headers={"content-type": "application/json"})
    _assert_problem(response, body)


@settings(max_examples=50, deadline=None)
@given(raw=st.binary(max_size=64) | st.text(max_size=64).map(str.encode))
def test_unparsable_bodies_get_a_4xx_problem(client: TestClient, raw: bytes) -> None:
    response = client.post("/v1/plans", content=raw, headers={"content-type": "application/json"})
    _assert_problem(response, raw)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_an_unknown_key_anywhere_gets_a_4xx_problem(client: TestClient, seeded: Seeded, data: st.DataObject) -> None:
    catalogue = seeded.catalogue
    body = data.draw(plan_requests(catalogue), label="request")
    where = data.draw(st.sampled_from(list(_dicts(body))), label="where")
    key = data.draw(
        st.sampled_from(["assessment", "rule_set", "sides", "minutes", "Level", "notes", ""])
        | st.text(max_size=8).map(lambda s: f"x_{s}"),
        label="key",
    )
    _at(body, where)[key] = data.draw(json_values, label="value")
    _assert_problem(client.post("/v1/plans", json=body), body)


# Each example sends one request per place and wrong value, so shrinking would re-send dozens of requests per
# step: skip it; the assertion names every place and value that was wrongly accepted instead.
@settings(max_examples=12, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(data=st.data())
def test_a_field_of_the_wrong_type_gets_a_4xx_problem(client: TestClient, seeded: Seeded, data: st.DataObject) -> None:
    """Every place of a valid request, in turn, gets values of each JSON kind its field does not accept."""
    catalogue = seeded.catalogue
    body = data.draw(plan_requests(catalogue), label="request")
    accepted_wrongly = []
    for path, accepted in _slots(body):
        for kind in sorted(set(KIND_VALUES) - accepted):
            for value in KIND_VALUES[kind]:
                mutated = copy.deepcopy(body)
                _at(mutated, path[:-1])[path[-1]] = copy.deepcopy(value)
                response = client.post("/v1/plans", json=mutated)
                assert response.status_code < 500, f"{response.status_code} with {path}={value!r}: {response.text}"
                if response.status_code < 400:
                    accepted_wrongly.append(f"{'.'.join(map(str, path))} = {value!r}")
                else:
                    _assert_problem(response, mutated)
    assert not accepted_wrongly, f"wrong types accepted in {body}: {accepted_wrongly}"
