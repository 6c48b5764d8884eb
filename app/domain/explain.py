"""Notices composed from what the rules decided: why something was left out, what a conflict means, what a
clinician is handed. Every sentence states what the plan really does (domain.md M.5)."""

from collections.abc import Iterable

from app.domain import wording
from app.domain.analysis import Analysis
from app.domain.catalogue import Catalogue
from app.domain.model import Phase
from app.domain.plan import Omission, PlannedPhase
from app.domain.requests import PlanRequest
from app.domain.screening import Notice
from app.domain.selection import BODY_SIDES, Client, Gap, body_sides


def gap_omission(catalogue: Catalogue, phase: Phase, gap: Gap, level_given: bool, client: Client) -> Omission:
    side = ",".join(s for s in BODY_SIDES if s in gap.sides)
    detail = _gap_detail(catalogue, phase, gap, level_given, client)
    exercise = gap.exercise.slug if gap.exercise else None
    return Omission(gap.reason, phase, detail, muscle=gap.muscle, side=side, exercise=exercise)


def _gap_detail(catalogue: Catalogue, phase: Phase, gap: Gap, level_given: bool, client: Client) -> str:
    what = wording.subject(catalogue, phase, gap.muscle)
    noun = wording.PHASE_NOUNS[phase]
    refusal, exercise = gap.refusal, gap.exercise
    if gap.reason == "no_exercise" or exercise is None:
        return f"The library has no {noun} exercise for {what}."
    name = wording.lower_first(exercise.name)
    if gap.reason == "missing_equipment" and refusal is not None:
        items = wording.join_words(
            wording.with_article(wording.equipment_names(catalogue, [item])) for item in refusal.missing
        )
        return f"{items.capitalize()} would add the {name} for {what}; it is not among the equipment listed."
    if gap.reason == "above_level" and refusal is not None:
        if level_given:
            level = client.level
            return f"The {noun} exercises for {what} start at level {refusal.level}; the client is at level {level}."
        return (
            f"The {noun} exercises for {what} start at level {refusal.level}; no level was given, so the plan "
            "keeps to level 1."
        )
    if gap.reason == "works_weak_muscle":
        state = "need strengthening" if phase is not Phase.ACTIVATE else "are overactive"
        blockers = wording.muscle_names(catalogue, gap.blockers)
        return (
            f"Every {noun} exercise for {what} on {wording.side_words(gap.sides)} also works muscles that {state} "
            f"there{': your ' + blockers if blockers else ''}, so it is left out."
        )
    tags = refusal.tags if refusal else ()
    names = catalogue.safety.tag_names if catalogue.safety else {}
    how = wording.join_words(names.get(tag, tag.replace("_", " ")) for tag in tags)
    causes = wording.join_words(wording.condition_name(catalogue, c) for c in (refusal.causes if refusal else ()))
    verb = "are" if len(tags) > 1 else "is"
    return f"No {noun} exercise for {what} can be used: {how} {verb} left out because of {causes}."


def conflict_warnings(catalogue: Catalogue, analysis: Analysis, phases: Iterable[PlannedPhase]) -> list[Notice]:
    activated: dict[str, set[str]] = {}
    for phase in phases:
        if phase.phase is Phase.ACTIVATE:
            for item in phase.exercises:
                done_on = {item.side} if item.side in BODY_SIDES else set(BODY_SIDES)
                for muscle in item.rationale.muscles:
                    activated.setdefault(muscle, set()).update(done_on)
    notices = []
    for conflict in analysis.conflicts:
        sides = body_sides(conflict.sides)
        name = wording.muscle_name(catalogue, conflict.muscle)
        where = wording.side_words(sides)
        if sides <= activated.get(conflict.muscle, set()):
            what = "this plan only strengthens it there and does not roll or stretch it"
        else:
            what = "this plan does not roll or stretch it there"
        text = f"The analysis finds your {name} both overactive and underactive on {where}: {what}."
        notices.append(
            Notice(f"conflict:{conflict.muscle}", f"{text} {wording.test_sentence(catalogue, conflict.muscle)}")
        )
    return notices


def referral_findings(catalogue: Catalogue, request: PlanRequest) -> tuple[str, ...]:
    """What the assessment showed, in words, for the clinician."""
    found = []
    for assessment in request.assessments:
        for finding in assessment.findings:
            side = f" ({finding.side})" if finding.side in BODY_SIDES else " (both sides)" if finding.side else ""
            name = wording.compensation_name(catalogue, finding.compensation)
            place = wording.assessment_name(catalogue, assessment.type)
            found.append(f"{name[:1].upper()}{name[1:]}{side} in the {place}.")
    return tuple(found)


def overlap_warnings(catalogue: Catalogue, analysis: Analysis) -> list[Notice]:
    """A muscle overactive where a group it belongs to (or a part of it) is underactive, on the same side: a
    conflict hidden by the tables' granularity (domain.md K.5, last point). The plan works neither through the other,
    so say so, and name the test that decides it."""
    under = {i.muscle: body_sides(i.sides) for i in analysis.underactive}
    notices = []
    for implication in analysis.overactive:
        over = implication.muscle
        sides = body_sides(implication.sides)
        for weak, weak_sides in under.items():
            shared = sides & weak_sides
            if weak == over or not shared:
                continue
            if weak in catalogue.ancestors(over):
                relation = "the group it belongs to"
            elif weak in catalogue.descendants(over):
                relation = "a part of it"
            else:
                continue
            where = wording.side_words(shared)
            decides = wording.test_sentence(catalogue, over, weak)
            notices.append(
                Notice(
                    f"overlap:{over}:{weak}",
                    f"The analysis finds your {wording.muscle_name(catalogue, over)} overactive on {where} but your "
                    f"{wording.muscle_name(catalogue, weak)} ({relation}) underactive there. This plan leaves out any "
                    f"exercise that would work one through the other. {decides}",
                )
            )
    return notices
