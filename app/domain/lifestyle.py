"""Lifestyle notes: chosen from what the client reported and what the assessment found, never presumed
(domain.md J, M.5)."""

from app.domain.analysis import Analysis
from app.domain.catalogue import Catalogue
from app.domain.model import IntakeTrigger
from app.domain.requests import Lifestyle, PlanRequest
from app.domain.screening import Notice, ScreeningOutcome


def lifestyle_notes(
    catalogue: Catalogue, request: PlanRequest, analysis: Analysis, outcome: ScreeningOutcome
) -> tuple[Notice, ...]:
    found = set(analysis.compensations)
    overactive = {i.muscle for i in analysis.overactive}
    conditions = set(request.screening.conditions) if request.screening else set()
    notes = [
        Notice(note.slug, f"{note.title}: {note.note}")
        for note in catalogue.lifestyle
        if note.always
        or found & set(note.when_compensations)
        or overactive & set(note.when_muscles_overactive)
        or (note.when_past_injury and outcome.past_injury)
        or (note.when_intake is not None and _reported(note.when_intake, request.lifestyle, conditions))
    ]
    policy = catalogue.screening
    if outcome.past_injury and policy and not any(n.code == "past_injury" for n in notes):
        notes.append(Notice("past_injury", policy.past_injury_note))
    return tuple(notes)


def _reported(trigger: IntakeTrigger, lifestyle: Lifestyle | None, conditions: set[str]) -> bool:
    if conditions & set(trigger.conditions):
        return True
    if lifestyle is None:
        return False
    return bool(
        (
            trigger.sitting_hours_at_least is not None
            and (lifestyle.sitting_hours or 0) >= trigger.sitting_hours_at_least
        )
        or (
            trigger.sleep_hours_below is not None
            and lifestyle.sleep_hours is not None
            and lifestyle.sleep_hours < trigger.sleep_hours_below
        )
        or (trigger.stress_at_least is not None and (lifestyle.stress or 0) >= trigger.stress_at_least)
        or set(trigger.activities) & set(lifestyle.activities)
    )
