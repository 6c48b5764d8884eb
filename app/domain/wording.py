"""Sentences a client or trainer reads: display names and plain second person, never ids (ids stay in the
machine fields of a plan). Every function here only words what the rules decided; none decides anything."""

from collections.abc import Collection, Iterable

from app.domain.analysis import Evidence
from app.domain.catalogue import Catalogue
from app.domain.model import Phase

BODY_SIDES = ("left", "right")
PHASE_NOUNS = {
    Phase.INHIBIT: "rolling",
    Phase.LENGTHEN: "stretching",
    Phase.ACTIVATE: "strengthening",
    Phase.INTEGRATE: "whole-body movement",
}
MODE_NAMES = {"standalone": "standalone session", "warm_up": "warm-up", "cool_down": "cool-down"}
ORDINALS = {1: "first", 2: "second", 3: "third"}


def lower_first(name: str) -> str:
    """A display name inside a sentence: 'Soleus' -> 'soleus', but 'TFL ...' keeps its capitals."""
    if len(name) > 1 and name[1].isupper():
        return name
    return name[:1].lower() + name[1:]


def join_words(items: Iterable[str]) -> str:
    listed = list(dict.fromkeys(items))
    if len(listed) <= 1:
        return "".join(listed)
    return ", ".join(listed[:-1]) + " and " + listed[-1]


def muscle_name(catalogue: Catalogue, slug: str) -> str:
    """The muscle's name as it reads inside a sentence (made once per snapshot: plans name dozens)."""
    names = catalogue.indexed(("muscle_names",), lambda: {s: lower_first(m.name) for s, m in catalogue.muscles.items()})
    return names.get(slug) or slug.replace("_", " ")


def muscle_names(catalogue: Catalogue, slugs: Iterable[str]) -> str:
    return join_words(muscle_name(catalogue, slug) for slug in slugs)


def compensation_name(catalogue: Catalogue, slug: str) -> str:
    compensation = catalogue.compensations.get(slug)
    return lower_first(compensation.name) if compensation else slug.replace("_", " ")


def assessment_name(catalogue: Catalogue, slug: str) -> str:
    assessment = catalogue.assessments.get(slug)
    if assessment is None:
        return slug.replace("_", " ")
    return lower_first(assessment.name)


def equipment_names(catalogue: Catalogue, slugs: Iterable[str]) -> str:
    return join_words(
        lower_first(catalogue.equipment[s].name) if s in catalogue.equipment else s.replace("_", " ") for s in slugs
    )


def condition_name(catalogue: Catalogue, cause: str) -> str:
    """A condition slug, or `pregnancy_trimester_N` as the screening names a pregnancy's exclusions."""
    if cause.startswith("pregnancy_trimester_"):
        trimester = int(cause.rsplit("_", 1)[1])
        return f"pregnancy ({ORDINALS.get(trimester, str(trimester))} trimester)"
    condition = catalogue.conditions.get(cause)
    return lower_first(condition.name) if condition else cause.replace("_", " ")


def side_words(sides: Collection[str]) -> str:
    body = [s for s in BODY_SIDES if s in sides]
    if len(body) == 1:
        return f"the {body[0]} side"
    return "both sides"


def _found(catalogue: Catalogue, e: Evidence) -> str:
    """A finding and its side as a person says it: the stance leg of a single-leg squat, the direction of a shift."""
    name = compensation_name(catalogue, e.compensation)
    if e.side not in BODY_SIDES:
        return name
    if e.assessment == "single_leg_squat":
        return f"{name} (standing on the {e.side} leg)"
    if e.compensation == "asymmetric_weight_shift":
        return f"{name} (toward the {e.side})"
    return f"{name} ({e.side})"


def findings_words(catalogue: Catalogue, evidence: Iterable[Evidence]) -> str:
    """'knees move inward and feet turn out (left) in the overhead squat assessment; ...': grouped by assessment,
    in the order given."""
    by_assessment: dict[str, list[str]] = {}
    for e in evidence:
        by_assessment.setdefault(e.assessment, []).append(_found(catalogue, e))
    return "; ".join(
        f"{join_words(found)} in the {assessment_name(catalogue, assessment)}"
        for assessment, found in by_assessment.items()
    )


def side_text(side: str | None, first: str | None) -> str | None:
    """How a one-sided exercise is done, in words (the side named is the side worked); None for one done on both
    sides at once."""
    if side in BODY_SIDES:
        return f"Work the {side} side only."
    if side == "both":
        first = first or "left"
        other = "right" if first == "left" else "left"
        return f"Work both sides: the {first} side first, then the {other}."
    return None


_VERBS = {
    Phase.INHIBIT: "Rolling calms",
    Phase.LENGTHEN: "This stretch lengthens",
    Phase.ACTIVATE: "This strengthens",
}
_ROLES = {Phase.INHIBIT: "overactive", Phase.LENGTHEN: "overactive", Phase.ACTIVATE: "underactive"}


def rationale(
    catalogue: Catalogue,
    phase: Phase,
    muscles: Iterable[str],
    sides: Collection[str],
    evidence: Iterable[Evidence],
    targets: Collection[str] = (),
) -> str:
    seen = findings_words(catalogue, evidence)
    if phase is Phase.INTEGRATE:
        return f"This whole-body movement puts the corrections together, for what the assessment showed: {seen}."
    where = "" if len([s for s in BODY_SIDES if s in sides]) != 1 else f" on {side_words(sides)}"
    named = _served_names(catalogue, list(muscles), targets)
    return f"{_VERBS[phase]} your {named}{where} (probably {_ROLES[phase]}: {seen})."


def _served_names(catalogue: Catalogue, muscles: list[str], targets: Collection[str]) -> str:
    """The muscles an exercise serves, without claiming a whole group it reaches through one part: 'TFL' rather than
    'TFL and hip flexors'; 'hip flexors (through the rectus femoris)' when the part is not itself listed."""
    named = []
    for muscle in muscles:
        if muscle in targets or not targets:
            named.append(muscle_name(catalogue, muscle))
            continue
        parts = [t for t in targets if t != muscle and t in catalogue.descendants(muscle)]
        if parts and any(p in muscles for p in parts):
            continue  # its part is named already
        if parts:
            named.append(f"{muscle_name(catalogue, muscle)} (through the {muscle_names(catalogue, parts)})")
        else:
            named.append(muscle_name(catalogue, muscle))
    return join_words(named)


def with_article(name: str) -> str:
    """'foam roller' -> 'a foam roller'; plurals ('dumbbells') take none."""
    if name.endswith("s"):
        return name
    return ("an " if name[:1] in "aeiou" else "a ") + name


def never_rolled(catalogue: Catalogue, muscle: str) -> str:
    return (
        f"Your {muscle_name(catalogue, muscle)} is never rolled: pressure on the spine, the abdomen or the front "
        "of the neck is unsafe."
    )


def test_name(catalogue: Catalogue, muscle: str) -> str:
    test = catalogue.mobility_test(muscle)
    return f"the {test.name}" if test else "a mobility test"


def test_sentence(catalogue: Catalogue, *muscles: str) -> str:
    """The test that decides whether the first of the muscles that has one is short or weak, in a sentence."""
    test = next((t for t in map(catalogue.mobility_test, muscles) if t is not None), None)
    if test is None:
        return "A mobility test by a qualified professional decides which it is."
    return f"A mobility test decides which it is: the {test.name} ({test.how})."


def conflict_omission(catalogue: Catalogue, muscle: str, sides: Collection[str]) -> str:
    return (
        f"The analysis finds your {muscle_name(catalogue, muscle)} both overactive and underactive on "
        f"{side_words(sides)}: it is not rolled or stretched there until {test_name(catalogue, muscle)} decides which "
        "it is."
    )


def not_in_mode(phase: Phase, mode: str) -> str:
    noun = PHASE_NOUNS[phase] if phase is Phase.INTEGRATE else f"{PHASE_NOUNS[phase]} work"
    return (
        f"A {MODE_NAMES.get(mode, mode)} has no {noun}: do it for the muscles your assessment found in a "
        "standalone session or a warm-up."
    )


def subject(catalogue: Catalogue, phase: Phase, slug: str) -> str:
    """What an omission is about: a muscle, or for Integrate a compensation."""
    if phase is Phase.INTEGRATE:
        return f'"{compensation_name(catalogue, slug)}"'
    return f"your {muscle_name(catalogue, slug)}"


def cut(catalogue: Catalogue, phase: Phase, slug: str, limit: int, session_minutes: int | None, mode: str) -> str:
    what = subject(catalogue, phase, slug)
    if session_minutes is not None:
        return f"The {PHASE_NOUNS[phase]} for {what} did not fit in the {session_minutes}-minute session."
    return (
        f"This template plans up to {limit} {PHASE_NOUNS[phase]} exercises in a {MODE_NAMES.get(mode, mode)}; "
        f"the one for {what} came after them in priority. Give a session time to let the plan use more."
    )
