"""Hypothesis strategies for random valid plan requests, built from the seed as the auditor reads it.

Valid means what a client of POST /v1/plans may send: each assessment type at most once; per assessment, a
compensation at most once per body side and never on a side an excluded partner already claims; lateral
compensations left/right/bilateral/null, the others bilateral/null; only compensations the chosen ruleset has a
row for (no ruleset: the seed's default). Request shapes follow tests/api/test_plan_properties.py, plus the
issue-11 `lifestyle` block and an optional level (issue 11; see README.md here).
"""

import functools
from typing import Any

from hypothesis import strategies as st

from tests.api.test_plan_properties import BODY_SIDES, LATERAL_SIDES, MODES, UNSIDED_SIDES, _claims
from tests.audit.auditor import Compensation, Knowledge

Json = dict[str, Any]

# issue 11 "Request: optional lifestyle".
ACTIVITIES = (
    "desk_work",
    "driving",
    "standing_work",
    "manual_work",
    "running",
    "cycling",
    "swimming",
    "strength_training",
    "team_sports",
    "racket_sports",
    "walking",
    "yoga_pilates",
)
PAIN_PLACES = ("left knee", "right shoulder", "lower back", "neck")


def partners(knowledge: Knowledge, compensation: Compensation) -> set[str]:
    """Compensations that may not share a side with this one, whichever of the two names the other."""
    named_by_others = {c.slug for c in knowledge.compensations.values() if compensation.slug in c.excludes}
    return set(compensation.excludes) | named_by_others


def usable(knowledge: Knowledge, ruleset: str) -> dict[str, list[Compensation]]:
    """Per assessment type, its compensations that have a row in the ruleset (seed order)."""
    rows = knowledge.rulesets.get(ruleset, frozenset())
    return {
        assessment: [c for c in knowledge.compensations.values() if (assessment, c.slug) in rows]
        for assessment in knowledge.assessments
    }


# Strategy objects are built once (per knowledge) and reused: building them per draw costs Hypothesis more than
# drawing from them.
BOOLEANS = st.booleans()
TRIMESTERS = st.sampled_from([1, 2, 3])
HOURS = st.integers(0, 24) | st.sampled_from([0.5, 6.5, 7.5, 10.5])
STRESS = st.integers(1, 5)
ACTIVITY_LISTS = st.lists(st.sampled_from(ACTIVITIES), max_size=4, unique=True)
MINUTES = st.integers(5, 90)
PLACES = st.sampled_from(PAIN_PLACES)
PLACE_LISTS = st.lists(PLACES, max_size=2, unique=True)
KINDS = st.sampled_from(["injury", "surgery"])
MODE_CHOICES = st.sampled_from([None, *MODES])
LEVEL_CHOICES = st.sampled_from([None, None, 1, 2, 3])
KIT_CHOICES = st.sampled_from(["absent", "absent", "none", "some", "some", "all"])
RED_FLAGS = st.sampled_from(["refer_condition", "refer_condition", "current_pain", "numbness", "recent", "uncleared"])


@functools.cache
def _one_in(n: int) -> st.SearchStrategy[int]:
    return st.sampled_from(range(n))  # uniform, unlike st.integers


@functools.cache
def _sides(lateral: bool, blocked: frozenset[str]) -> st.SearchStrategy[str | None]:
    return st.sampled_from([s for s in (LATERAL_SIDES if lateral else UNSIDED_SIDES) if not _claims(s) & blocked])


@functools.cache
def _picks(knowledge: Knowledge, ruleset: str, assessment: str) -> st.SearchStrategy[list[Compensation]]:
    choices = usable(knowledge, ruleset)[assessment]
    return st.lists(st.sampled_from(choices), min_size=1, max_size=6, unique_by=lambda c: c.slug)


@functools.cache
def _partners(knowledge: Knowledge, slug: str) -> frozenset[str]:
    return frozenset(partners(knowledge, knowledge.compensations[slug]))


@functools.cache
def _conditions(knowledge: Knowledge, refer: bool) -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(c.slug for c in knowledge.conditions.values() if (c.action == "refer") == refer))


@functools.cache
def _condition_lists(knowledge: Knowledge) -> st.SearchStrategy[list[str]]:
    return st.lists(_conditions(knowledge, False), min_size=1, max_size=4, unique=True)


@functools.cache
def _kit(knowledge: Knowledge) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(sorted(knowledge.equipment)), min_size=1, unique=True)


@functools.cache
def _rulesets(knowledge: Knowledge) -> st.SearchStrategy[str | None]:
    return st.sampled_from([None, None, None, *sorted(knowledge.rulesets)])


@functools.cache
def _types(knowledge: Knowledge, ruleset: str) -> st.SearchStrategy[list[str]]:
    available = sorted(a for a, cs in usable(knowledge, ruleset).items() if cs)
    return st.lists(st.sampled_from(available), min_size=1, max_size=3, unique=True)


@st.composite
def findings(draw: st.DrawFn, knowledge: Knowledge, ruleset: str, assessment: str) -> list[Json]:
    """1-6 distinct compensations of one assessment, sides never overlapping their own or an excluded one's."""
    picked = draw(_picks(knowledge, ruleset, assessment))
    claimed: dict[str, set[str]] = {}
    found: list[Json] = []
    for compensation in picked:
        blocked = frozenset().union(*(claimed.get(p, set()) for p in _partners(knowledge, compensation.slug)))
        if all(_claims(s) & blocked for s in (LATERAL_SIDES if compensation.lateral else UNSIDED_SIDES)):
            continue
        side = draw(_sides(compensation.lateral, blocked))
        sides = [side]
        if side in BODY_SIDES and draw(BOOLEANS):
            other = "right" if side == "left" else "left"
            if other not in blocked:
                sides.append(other)  # the same compensation on the other side too: one finding per side
        for one in sides:
            claimed.setdefault(compensation.slug, set()).update(_claims(one))
            finding: Json = {"compensation": compensation.slug}
            if one is not None or draw(BOOLEANS):
                finding["side"] = one
            found.append(finding)
    # The first compensation drawn is never blocked, so there is always at least one finding.
    return list(draw(st.permutations(found)))


@st.composite
def screenings(draw: st.DrawFn, knowledge: Knowledge) -> Json | None:
    """None (no block) a third of the time; else mostly non-referring conditions, sometimes a cleared pregnancy,
    an old injury, and one time in six a red flag (current pain, a referring condition, ...)."""
    shape = draw(_one_in(12))
    if shape <= 3:
        return None
    if shape == 4:
        return {} if draw(BOOLEANS) else {"current_pain": False, "conditions": []}
    screening: Json = {}
    if shape <= 9 or draw(BOOLEANS):
        screening["conditions"] = draw(_condition_lists(knowledge))
    if draw(_one_in(4)) == 0:
        screening["pregnancy"] = {"trimester": draw(TRIMESTERS), "cleared_by_physician": True}
    if draw(_one_in(6)) == 0:
        weeks = st.integers(knowledge.recent_injury_weeks + 1, 5200)
        screening["injuries"] = [{"kind": draw(KINDS), "location": draw(PLACES), "weeks_ago": draw(weeks)}]
    if shape >= 10:  # a red flag
        flag = draw(RED_FLAGS)
        if flag == "refer_condition":
            conditions = [*screening.get("conditions", []), draw(_conditions(knowledge, True))]
            screening["conditions"] = list(draw(st.permutations(conditions)))
        elif flag == "current_pain":
            screening["current_pain"] = True
            screening["pain_locations"] = draw(PLACE_LISTS)
        elif flag == "numbness":
            screening["numbness"] = True
        elif flag == "recent":
            weeks = st.integers(0, knowledge.recent_injury_weeks)
            screening["injuries"] = [{"kind": draw(KINDS), "location": "right ankle", "weeks_ago": draw(weeks)}]
        else:
            screening["pregnancy"] = {"trimester": draw(TRIMESTERS), "cleared_by_physician": False}
    return screening


@st.composite
def preferences(draw: st.DrawFn, knowledge: Knowledge) -> Json | None:
    if draw(_one_in(6)) == 0:
        return None
    chosen: Json = {}
    mode = draw(MODE_CHOICES)
    if mode is not None:
        chosen["mode"] = mode
    if draw(_one_in(5)) >= 2:
        chosen["session_minutes"] = draw(MINUTES)
    kit = draw(KIT_CHOICES)
    if kit == "none":
        chosen["equipment"] = []
    elif kit == "some":
        chosen["equipment"] = draw(_kit(knowledge))
    elif kit == "all":
        chosen["equipment"] = sorted(knowledge.equipment)
    level = draw(LEVEL_CHOICES)
    if level is not None:
        chosen["level"] = level
    return chosen


@st.composite
def lifestyles(draw: st.DrawFn) -> Json | None:
    if draw(BOOLEANS):
        return None
    block: Json = {}
    if draw(BOOLEANS):
        block["sleep_hours"] = draw(HOURS)
    if draw(BOOLEANS):
        block["stress"] = draw(STRESS)
    if draw(BOOLEANS):
        block["sitting_hours"] = draw(HOURS)
    if draw(BOOLEANS):
        block["activities"] = draw(ACTIVITY_LISTS)
    return block


@st.composite
def plan_requests(draw: st.DrawFn, knowledge: Knowledge) -> Json:
    """A random valid plan request over every assessment type, mode, level, equipment and intake the seed has."""
    ruleset = draw(_rulesets(knowledge))
    rows = ruleset or knowledge.default_ruleset
    types = draw(_types(knowledge, rows))
    body: Json = {"assessments": [{"type": t, "findings": draw(findings(knowledge, rows, t))} for t in types]}
    if ruleset is not None:
        body["ruleset"] = ruleset
    screening = draw(screenings(knowledge))
    if screening is not None:
        body["screening"] = screening
    chosen = draw(preferences(knowledge))
    if chosen is not None:
        body["preferences"] = chosen
    lifestyle = draw(lifestyles())
    if lifestyle is not None:
        body["lifestyle"] = lifestyle
    return body
