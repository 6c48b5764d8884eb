"""Analysis + template + screening -> a four-phase plan whose every line says why (domain.md F, G, I, J, K, M).

Overactive muscles are rolled (where rolling is safe) and lengthened, underactive ones activated, and Integrate
exercises cover the compensations found. What each phase may use is decided in `selection`, how much of it in
`dosage`, and every sentence a person reads is worded in `wording`. This module puts them together and fits the
plan to the session's time.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass

from app.domain import wording
from app.domain.analysis import Analysis, Evidence, analyse, choose_ruleset
from app.domain.catalogue import Catalogue, integrate_rank
from app.domain.dosage import prescription, seconds
from app.domain.errors import UnknownId
from app.domain.explain import conflict_warnings, gap_omission, overlap_warnings, referral_findings
from app.domain.lifestyle import lifestyle_notes
from app.domain.model import PHASE_ORDER, Exercise, ModeVariables, Phase, TemplateVersion
from app.domain.plan import NextStep, Omission, Plan, PlannedExercise, PlannedPhase, Rationale, Referral
from app.domain.requests import PlanRequest, Preferences
from app.domain.screening import Notice, ScreeningOutcome, screen
from app.domain.selection import (
    BODY_SIDES,
    RELEASE_PHASES,
    Client,
    Gap,
    Need,
    Pick,
    SideMap,
    body_sides,
    select,
)
from app.domain.templates import choose_template

__all__ = ["Plan", "make_plan"]

# Rolled muscles are stretched too when there is room (domain.md M.5): their lengthening weighs a little more.
ROLLED_BONUS = 0.5


def make_plan(catalogue: Catalogue, request: PlanRequest) -> Plan:
    ruleset = choose_ruleset(catalogue, request.ruleset)
    analysis = analyse(catalogue, ruleset, request.assessments)
    preferences = request.preferences
    template = choose_template(catalogue, preferences.template, request.tenant)
    mode = template.modes[preferences.mode]
    equipment = _check_equipment(catalogue, preferences)
    outcome = screen(catalogue, request.screening)
    if outcome.referral_reasons:
        return _referral(catalogue, request, analysis, template, mode, outcome)
    client = Client(outcome.excluded_tags, equipment, request.level, request.tenant)
    builder = _Builder(catalogue, analysis, mode, client, request, outcome)
    phases, omitted = builder.build(preferences.session_minutes)
    warnings = (
        *_screening_notices(catalogue, request, analysis, outcome),
        *_equipment_notice(catalogue, preferences, phases),
        *conflict_warnings(catalogue, analysis, phases),
        *overlap_warnings(catalogue, analysis),
    )
    return Plan(
        "plan",
        analysis,
        template,
        preferences.mode,
        phases,
        _minutes(phases),
        preferences.session_minutes,
        mode.frequency_per_week,
        mode.reassess_after_weeks,
        tuple(warnings),
        lifestyle_notes(catalogue, request, analysis, outcome),
        tuple(omitted),
    )


def _referral(
    catalogue: Catalogue,
    request: PlanRequest,
    analysis: Analysis,
    template: TemplateVersion,
    mode: ModeVariables,
    outcome: ScreeningOutcome,
) -> Plan:
    policy = catalogue.screening
    referral = Referral(
        outcome.referral_reasons,
        policy.referral_advice if policy else "",
        referral_findings(catalogue, request),
        policy.urgent_signs if policy else (),
    )
    return Plan(
        "referral",
        analysis,
        template,
        request.preferences.mode,
        (),
        0,
        request.preferences.session_minutes,
        mode.frequency_per_week,
        mode.reassess_after_weeks,
        outcome.warnings,
        (),
        (),
        referral,
    )


def _check_equipment(catalogue: Catalogue, preferences: Preferences) -> frozenset[str] | None:
    if preferences.equipment is None:
        return None
    for index, slug in enumerate(sorted(preferences.equipment)):
        if slug not in catalogue.equipment:
            raise UnknownId("equipment", slug, field=f"preferences.equipment.{index}", allowed=catalogue.equipment)
    return preferences.equipment


def _minutes(phases: Iterable[PlannedPhase]) -> int:
    return math.ceil(sum(item.seconds for phase in phases for item in phase.exercises) / 60)


def _screening_notices(
    catalogue: Catalogue, request: PlanRequest, analysis: Analysis, outcome: ScreeningOutcome
) -> list[Notice]:
    policy = catalogue.screening
    notices = []
    if request.screening is None and policy is not None:
        notices.append(Notice("not_screened", policy.messages["not_screened"]))
    notices += outcome.warnings
    pregnant = request.screening is not None and request.screening.pregnancy is not None
    if pregnant and policy is not None and "low_back_arches" in analysis.compensations:
        notices.append(Notice("pregnancy_low_back_arch", policy.messages["pregnancy_low_back_arch"]))
    return notices


def _equipment_notice(catalogue: Catalogue, preferences: Preferences, phases: Iterable[PlannedPhase]) -> list[Notice]:
    policy = catalogue.screening
    if preferences.equipment is not None or policy is None:
        return []
    used = sorted({slug for phase in phases for item in phase.exercises for slug in item.exercise.equipment})
    listed = wording.equipment_names(catalogue, used) if used else "nothing beyond body weight"
    return [Notice("assumed_equipment", policy.messages["assumed_equipment"].format(equipment=listed))]


@dataclass(slots=True)
class _Choice:
    """One exercise a phase could include, with what it would serve; `sets` grows when time allows."""

    phase: Phase
    pick: Pick
    evidence: tuple[Evidence, ...]
    muscles: tuple[str, ...]  # or, for Integrate, the compensations it covers
    sets: int

    @property
    def score(self) -> float:
        return self.pick.score


class _Builder:
    def __init__(
        self,
        catalogue: Catalogue,
        analysis: Analysis,
        mode: ModeVariables,
        client: Client,
        request: PlanRequest,
        outcome: ScreeningOutcome,
    ) -> None:
        self.catalogue = catalogue
        self.analysis = analysis
        self.mode = mode
        self.client = client
        self.request = request
        self.sides = SideMap.of(catalogue, analysis)
        self.conflicts = {c.muscle: body_sides(c.sides) for c in analysis.conflicts}
        self.capped = _effort_capped(catalogue, request)
        pregnant = request.screening is not None and request.screening.pregnancy is not None
        policy = catalogue.screening
        self.weak_evidence = frozenset(policy.pregnancy_weak_evidence if pregnant and policy else ())

    # --- what each phase must serve -------------------------------------------------------------------------
    def _needs(self, phase: Phase, rolled: frozenset[str]) -> tuple[list[Need], list[Omission]]:
        omitted: list[Omission] = []
        implications = self.analysis.underactive if phase is Phase.ACTIVATE else self.analysis.overactive
        needs = []
        for implication in implications:
            sides = body_sides(implication.sides)
            if phase in RELEASE_PHASES:
                conflict = self.conflicts.get(implication.muscle, frozenset())
                if conflict:
                    omitted.append(self._conflict_omission(phase, implication.muscle, conflict))
                sides -= conflict
                if phase is Phase.INHIBIT and sides and not self.catalogue.muscles[implication.muscle].smr_safe:
                    detail = wording.never_rolled(self.catalogue, implication.muscle)
                    omitted.append(Omission("unsafe_to_roll", phase, detail, muscle=implication.muscle))
                    continue
            if not sides:
                continue
            weight = sum(self._weight(e) for e in implication.evidence)
            if phase is Phase.LENGTHEN and implication.muscle in rolled:
                weight += ROLLED_BONUS
            needs.append(Need(implication.muscle, sides, implication.evidence, weight))
        return needs, omitted

    def _weight(self, evidence: Evidence) -> float:
        """How much a finding counts: half when the intake makes it weak evidence of an imbalance (an arched low back
        in pregnancy, domain.md M.2)."""
        return 0.5 if evidence.compensation in self.weak_evidence else 1.0

    def _conflict_omission(self, phase: Phase, muscle: str, sides: frozenset[str]) -> Omission:
        detail = wording.conflict_omission(self.catalogue, muscle, sides)
        return Omission("conflict", phase, detail, muscle=muscle, side=",".join(sorted(sides)))

    # --- choosing ---------------------------------------------------------------------------------------------
    def _muscle_choices(self, phase: Phase, rolled: frozenset[str]) -> tuple[list[_Choice], list[Omission]]:
        needs, omitted = self._needs(phase, rolled)
        variables = self.mode.phases[phase]
        selection = select(self.catalogue, phase, variables.modality, needs, self.client, self.sides)
        by_muscle = {need.muscle: need for need in needs}
        choices = []
        for pick in selection.picks:
            muscles = tuple(dict.fromkeys(muscle for muscle, _ in pick.covers))
            evidence = tuple({id(e): e for m in muscles for e in by_muscle[m].evidence}.values())
            choices.append(_Choice(phase, pick, evidence, muscles, variables.sets))
        omitted += [self._gap_omission(phase, gap) for gap in selection.gaps]
        return choices, omitted

    def _gap_omission(self, phase: Phase, gap: Gap) -> Omission:
        return gap_omission(self.catalogue, phase, gap, self.request.preferences.level is not None, self.client)

    def _integrate_choices(self) -> tuple[list[_Choice], list[Omission]]:
        variables = self.mode.phases[Phase.INTEGRATE]
        evidence = {
            e.compensation: e for i in (*self.analysis.overactive, *self.analysis.underactive) for e in i.evidence
        }
        options = []
        refusals: dict[str, Exercise] = {}
        for exercise in sorted(self.catalogue.integrate_exercises, key=integrate_rank):
            if not self.client.visible(exercise) or not exercise.for_compensations:
                continue
            if self.client.refusal(exercise) is None:
                options.append(exercise)
            else:
                for compensation in exercise.for_compensations:
                    refusals.setdefault(compensation, exercise)
        uncovered = set(self.analysis.compensations)
        choices = []
        while uncovered:
            best = max(options, key=lambda e: len(uncovered & set(e.for_compensations)), default=None)
            covered = sorted(uncovered & set(best.for_compensations)) if best else []
            if best is None or not covered:
                break
            uncovered.difference_update(covered)
            options.remove(best)
            found = tuple(evidence[c] for c in covered if c in evidence)
            pick = Pick(
                best, frozenset(BODY_SIDES), tuple((c, "both") for c in covered), float(len(covered)), _first(found)
            )
            choices.append(_Choice(Phase.INTEGRATE, pick, found, tuple(covered), variables.sets))
        # Once every compensation is covered, a second movement for the most of them is the next priority: the
        # template's number or spare session time may take it (domain.md F.1: 1-3 integration exercises).
        seen = set(self.analysis.compensations)
        extras = sorted(
            (e for e in options if seen & set(e.for_compensations)),
            key=lambda e: (-len(seen & set(e.for_compensations)), integrate_rank(e)),
        )
        chosen = [c.pick.exercise for c in choices]
        for extra in [e for e in extras if not any(_same_movement(e, c) for c in chosen)][:2]:
            chosen.append(extra)
            covered = sorted(seen & set(extra.for_compensations))
            again = tuple(evidence[c] for c in covered if c in evidence)
            pick = Pick(
                extra, frozenset(BODY_SIDES), tuple((c, "again") for c in covered), 0.5 * len(covered), _first(again)
            )
            choices.append(_Choice(Phase.INTEGRATE, pick, again, tuple(covered), variables.sets))
        omitted = []
        for compensation in sorted(uncovered):
            refused = refusals.get(compensation)
            gap = Gap(
                "no_exercise" if refused is None else _first_kind(self.client, refused),
                compensation,
                frozenset(BODY_SIDES),
                self.client.refusal(refused) if refused else None,
                refused,
            )
            omission = self._gap_omission(Phase.INTEGRATE, gap)
            omitted.append(Omission(omission.reason, Phase.INTEGRATE, omission.detail, compensation=compensation))
        return choices, omitted

    # --- the plan ------------------------------------------------------------------------------------------
    def build(self, session_minutes: int | None) -> tuple[tuple[PlannedPhase, ...], list[Omission]]:
        choices: dict[Phase, list[_Choice]] = {}
        omitted: list[Omission] = []
        for phase in PHASE_ORDER:
            limit = self.mode.phases[phase].max_exercises
            if limit == 0:
                choices[phase] = []
                if self._phase_has_work(phase):
                    detail = wording.not_in_mode(phase, self.request.preferences.mode)
                    omitted.append(Omission("not_in_mode", phase, detail))
                continue
            if phase is Phase.INTEGRATE:
                found, missing = self._integrate_choices()
            else:
                rolled = frozenset(m for c in choices.get(Phase.INHIBIT, []) for m in c.muscles)
                found, missing = self._muscle_choices(phase, rolled)
            choices[phase] = found
            omitted += missing
        counts = self._fit(choices, session_minutes)
        omitted += self._cut_omissions(choices, counts, session_minutes)
        phases = tuple(self._phase(phase, choices[phase][: counts[phase]]) for phase in PHASE_ORDER)
        return phases, _one_per_muscle(omitted)

    def _phase_has_work(self, phase: Phase) -> bool:
        if phase is Phase.INTEGRATE:
            return bool(self.analysis.compensations)
        return bool(self.analysis.underactive if phase is Phase.ACTIVATE else self.analysis.overactive)

    def _seconds(self, choice: _Choice, sets: int | None = None) -> int:
        variables = self.mode.phases[choice.phase]
        dose = prescription(choice.pick.exercise, variables, sets or choice.sets)
        sides = 2 if choice.pick.exercise.unilateral and len(choice.pick.sides) == 2 else 1
        return seconds(dose, variables, sides, self.mode.transition_seconds)

    def _fit(self, choices: dict[Phase, list[_Choice]], session_minutes: int | None) -> dict[Phase, int]:
        """How many of each phase's choices the plan keeps. Without a session time the template's numbers rule;
        with one they are where it starts: over the time the least important go first, under it the next
        priorities come in, then more sets (up to each technique's range), as long as they fit."""
        counts = {p: min(len(choices[p]), self.mode.phases[p].max_exercises) for p in PHASE_ORDER}
        if session_minutes is None:
            return counts
        budget = session_minutes * 60
        total = sum(self._seconds(c) for p in PHASE_ORDER for c in choices[p][: counts[p]])
        while total > budget:
            # Every phase keeps its first exercise as long as another has more than one (a short session still runs
            # the whole continuum); otherwise the least evidence goes first, from the fullest phase on a tie.
            tails = [
                (counts[p] == 1, choices[p][counts[p] - 1].score, -counts[p], -PHASE_ORDER.index(p), p)
                for p in PHASE_ORDER
                if counts[p]
            ]
            phase = min(tails)[-1]
            counts[phase] -= 1
            total -= self._seconds(choices[phase][counts[phase]])
        while True:
            options = [
                (choices[p][counts[p]], p)
                for p in PHASE_ORDER
                if counts[p] < len(choices[p]) and total + self._seconds(choices[p][counts[p]]) <= budget
            ]
            if not options:
                break
            choice, phase = max(options, key=lambda o: (o[0].score, -PHASE_ORDER.index(o[1])))
            counts[phase] += 1
            total += self._seconds(choice)
        return self._add_sets(choices, counts, total, budget)

    def _add_sets(
        self, choices: dict[Phase, list[_Choice]], counts: dict[Phase, int], total: int, budget: int
    ) -> dict[Phase, int]:
        ranges = self.catalogue.safety.max_sets if self.catalogue.safety else {}
        kept = [c for p in PHASE_ORDER for c in choices[p][: counts[p]]]
        grew = True
        while grew:
            grew = False
            for choice in kept:
                if choice.sets >= ranges.get(choice.pick.exercise.modality, choice.sets):
                    continue
                more = self._seconds(choice, choice.sets + 1) - self._seconds(choice)
                if total + more <= budget:
                    choice.sets += 1
                    total += more
                    grew = True
        return counts

    def _cut_omissions(
        self, choices: dict[Phase, list[_Choice]], counts: dict[Phase, int], session_minutes: int | None
    ) -> list[Omission]:
        omitted = []
        for phase in PHASE_ORDER:
            kept = {(m, s) for c in choices[phase][: counts[phase]] for m, s in c.pick.covers}
            covered = {m for m, _ in kept}
            for choice in choices[phase][counts[phase] :]:
                for muscle in choice.muscles:
                    if phase is Phase.INTEGRATE and muscle in covered:
                        continue  # a kept movement trains it: only a second one was cut
                    sides = [s for m, s in choice.pick.covers if m == muscle and (m, s) not in kept]
                    if not sides:
                        continue
                    limit = self.mode.phases[phase].max_exercises
                    mode = self.request.preferences.mode
                    detail = wording.cut(self.catalogue, phase, muscle, limit, session_minutes, mode)
                    reason = "phase_limit" if session_minutes is None else "time_budget"
                    if phase is Phase.INTEGRATE:
                        omitted.append(
                            Omission(reason, phase, detail, exercise=choice.pick.exercise.slug, compensation=muscle)
                        )
                    else:
                        side = ",".join(s for s in BODY_SIDES if s in sides)
                        omitted.append(Omission(reason, phase, detail, muscle, side, choice.pick.exercise.slug))
        return omitted

    def _phase(self, phase: Phase, kept: list[_Choice]) -> PlannedPhase:
        variables = self.mode.phases[phase]
        ordered = sorted(kept, key=lambda c: self._position_order(c.pick.exercise))  # stable: priority within a place
        planned = tuple(self._planned(choice) for choice in ordered)
        modalities = tuple(dict.fromkeys(item.exercise.modality for item in planned))
        return PlannedPhase(phase, variables, planned, modalities)

    def _position_order(self, exercise: Exercise) -> tuple[int, int]:
        """Floor, then seated, then standing, and the same position together: the client gets down and up, and
        turns over, as few times as possible (M.1)."""
        safety = self.catalogue.safety
        if safety is None:
            return (0, 0)
        return safety.positions[exercise.position].group, list(safety.positions).index(exercise.position)

    def _planned(self, choice: _Choice) -> PlannedExercise:
        exercise, pick = choice.pick.exercise, choice.pick
        variables = self.mode.phases[choice.phase]
        side = _side(exercise, pick.sides)
        first = pick.first
        effort, notes = exercise.effort, tuple[str, ...]()
        if self.capped is not None and exercise.effort is not None:
            cap, note = self.capped
            safety = self.catalogue.safety
            if safety and safety.efforts[exercise.effort].rank > safety.efforts[cap].rank:
                effort, notes = cap, (note,)
        muscles = exercise.targets if choice.phase is Phase.INTEGRATE else choice.muscles
        text = wording.rationale(
            self.catalogue, choice.phase, choice.muscles, pick.sides, choice.evidence, exercise.targets
        )
        safety = self.catalogue.safety
        return PlannedExercise(
            exercise,
            muscles,
            side,
            wording.side_text(side, first),
            prescription(exercise, variables, choice.sets),
            Rationale(choice.muscles, choice.evidence, text),
            self._seconds(choice),
            effort,
            notes,
            safety.stop_rule if safety else "",
            self._next_step(choice, exercise.progression, safety.progress_when[choice.phase] if safety else ""),
            self._next_step(choice, exercise.regression, safety.regress_when if safety else ""),
        )

    def _next_step(self, choice: _Choice, slug: str | None, when: str) -> NextStep | None:
        """The linked exercise, if this client may do it on the same sides (safe, equipped, within the level, and
        working no muscle it must not); else none, rather than advice the plan would not give."""
        linked = self.catalogue.exercise(slug, self.request.tenant) if slug else None
        if linked is None or not self.client.visible(linked) or self.client.refusal(linked) is not None:
            return None
        if not self.sides.allows(self.catalogue, choice.phase, linked, choice.pick.sides):
            return None
        return NextStep(linked, when)


def _first_kind(client: Client, exercise: Exercise) -> str:
    refusal = client.refusal(exercise)
    return refusal.kinds[0] if refusal else "no_exercise"


def _first(evidence: tuple[Evidence, ...]) -> str:
    """The side a whole-body movement starts on: the one more findings name (the stance leg of a single-leg squat),
    else the left."""
    return "right" if sum(e.side == "right" for e in evidence) > sum(e.side == "left" for e in evidence) else "left"


def _same_movement(one: Exercise, other: Exercise) -> bool:
    """Whether a second integrate exercise would repeat the first: the same muscles and compensations with other
    equipment, or a step of its own progression chain (its easier or harder version)."""
    if (frozenset(one.targets), frozenset(one.for_compensations)) == (
        frozenset(other.targets),
        frozenset(other.for_compensations),
    ):
        return True
    return other.slug in (one.regression, one.progression) or one.slug in (other.regression, other.progression)


def _side(exercise: Exercise, sides: frozenset[str]) -> str | None:
    """The side of a one-sided exercise: its only side, else both; None for one done on both sides at once."""
    if not exercise.unilateral:
        return None
    return next(iter(sides)) if len(sides) == 1 else "both"


def _effort_capped(catalogue: Catalogue, request: PlanRequest) -> tuple[str, str] | None:
    """The effort isometrics are capped at for this client, and the note that says so, if they are."""
    safety, screening = catalogue.safety, request.screening
    if safety is None or screening is None:
        return None
    pregnant = screening.pregnancy is not None and safety.cap_pregnancy
    if pregnant or set(screening.conditions) & set(safety.cap_conditions):
        return safety.cap_effort, safety.cap_note
    return None


def _one_per_muscle(omitted: list[Omission]) -> list[Omission]:
    """One entry per muscle (or compensation) and phase: the first reason found decided it."""
    seen: set[tuple[object, ...]] = set()
    kept = []
    for omission in omitted:
        key = (omission.phase, omission.muscle, omission.compensation, omission.reason == "not_in_mode")
        if omission.muscle is None and omission.compensation is None:
            kept.append(omission)
        elif key not in seen:
            seen.add(key)
            kept.append(omission)
    return kept
